"""Polling mailboxes over IMAP: each message taken in exactly once, none lost on a dropped line.

Per mailbox the folder's UIDVALIDITY and the highest UID taken in are kept on the Mailbox row.
Messages are fetched one at a time (BODY.PEEK: flags untouched, nothing deleted); each is stored
with `intake_receive` and committed *before* `last_uid` moves past it, so a connection lost
mid-fetch loses nothing, and the next poll starts after the last stored message. A changed
UIDVALIDITY starts the folder again from UID 1; the stored Message-IDs keep that from doubling
anything. Messages a crash left stored but unprocessed are processed at the start of a poll.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import logging
import ssl
from dataclasses import dataclass, field

from django.utils import timezone
from imapclient import IMAPClient

from caseloop.cases.choices import Channel
from caseloop.core import clock
from caseloop.intake.mail.ingest import IngestResult, email_store, ingest_result
from caseloop.intake.models import InboundMessage, InboundStatus, Mailbox
from caseloop.intake.services import intake_process

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 60
MAX_MESSAGES_PER_POLL = 500  # one task run stays bounded; the next poll continues


@dataclass
class PollReport:
    mailbox: str
    results: list[IngestResult] = field(default_factory=list)
    error: str = ""


def mailboxes_poll(*, names: list[str] | None = None) -> list[PollReport]:
    """Poll every active mailbox once (or those named); one failing mailbox never stops the others."""
    mailboxes = Mailbox.objects.filter(is_active=True).order_by("name")
    if names:
        mailboxes = Mailbox.objects.filter(name__in=names).order_by("name")
    return [mailbox_poll(mailbox) for mailbox in mailboxes]


def mailbox_poll(mailbox: Mailbox, *, limit: int = MAX_MESSAGES_PER_POLL) -> PollReport:
    report = PollReport(mailbox=mailbox.name)
    waiting = InboundMessage.objects.filter(channel=Channel.EMAIL, source=mailbox.name, status=InboundStatus.RECEIVED)
    for message_id in waiting.order_by("pk").values_list("pk", flat=True):
        report.results.append(ingest_result(message_id, intake_process(message_id)))
    try:
        _fetch_new(mailbox, report, limit=limit)
    except Exception as exc:  # a server, network or login failure: recorded on the mailbox, retried next poll
        report.error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("mailbox %s: poll failed: %s", mailbox.name, report.error)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=clock.now(), last_error=report.error)
    return report


def _fetch_new(mailbox: Mailbox, report: PollReport, *, limit: int) -> None:
    client = _connect(mailbox)
    try:
        selected = client.select_folder(mailbox.folder, readonly=True)
        uid_validity = int(selected[b"UIDVALIDITY"])
        if mailbox.uid_validity != uid_validity:
            if mailbox.uid_validity is not None:
                logger.warning("mailbox %s: UIDVALIDITY changed (%s → %s); reading the folder again",
                               mailbox.name, mailbox.uid_validity, uid_validity)
            Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=uid_validity, last_uid=0)
            mailbox.uid_validity, mailbox.last_uid = uid_validity, 0
        # "N:*" always matches the newest message, even when its UID is below N.
        uids = sorted(uid for uid in client.search(["UID", f"{mailbox.last_uid + 1}:*"]) if uid > mailbox.last_uid)
        for uid in uids[:limit]:
            fetched = client.fetch([uid], ["BODY.PEEK[]", "INTERNALDATE"]).get(uid)
            if fetched is not None and b"BODY[]" in fetched:  # None: expunged since the search
                message, created = email_store(raw=bytes(fetched[b"BODY[]"]), source=mailbox.name,
                                               received_at=_aware(fetched.get(b"INTERNALDATE")))
            else:
                message, created = None, False
            # Only now, with the raw message committed, does the mailbox move past it.
            Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid)
            mailbox.last_uid = uid
            if message is not None and created:
                report.results.append(ingest_result(message.pk, intake_process(message.pk)))
    finally:
        _close(client)


def _connect(mailbox: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    if mailbox.imap_security == "ssl":
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=True, ssl_context=context,
                            timeout=IMAP_TIMEOUT_SECONDS)
    else:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=False, timeout=IMAP_TIMEOUT_SECONDS)
        if mailbox.imap_security == "starttls":
            client.starttls(context)
    client.normalise_times = False  # INTERNALDATE with its zone, not converted to naive local time
    try:
        client.login(mailbox.username, mailbox.password)
    except Exception:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError, EOFError):  # the connection may already be gone
        with contextlib.suppress(imaplib.IMAP4.error, OSError, EOFError):
            client.shutdown()


def _aware(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
