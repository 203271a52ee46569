"""Against real servers: dovecot over IMAP in, aiosmtpd over SMTP out."""

from __future__ import annotations

import io
import json
from email.header import decode_header, make_header

import pytest
from django.core.management import CommandError, call_command

from caseloop.cases.models import Case, CaseMessage
from caseloop.intake.mail import imap
from caseloop.intake.mail.imap import mailbox_poll, mailboxes_poll
from caseloop.intake.models import InboundMessage, InboundStatus, Mailbox
from caseloop.notify.models import OutboxMessage
from caseloop.notify.services import outbox_drain
from tests.intake.email.builders import encoded_word, raw_email
from tests.intake.email.conftest import DroppingProxy, ImapFolder, Mailroom

pytestmark = pytest.mark.django_db


def three_mails() -> list[bytes]:
    return [
        raw_email(subject=encoded_word("冰箱不制冷", "gb2312"), body="冰箱不制冷".encode("gbk"), charset="gb2312",
                  sender="张三 <zhang@example.cn>"),
        raw_email(subject=encoded_word("洗衣機漏水", "big5"), body="洗衣機漏水".encode("big5"), charset="big5",
                  sender="陳大文 <chan@example.hk>"),
        raw_email(subject="空调噪音", body="空调噪音很大".encode(), sender="李四 <li@example.cn>"),
    ]


def test_poll_creates_cases_and_the_acknowledgement_leaves_from_the_mailbox_by_smtp(
    imap_folder: ImapFolder, smtp_server: Mailroom,
) -> None:
    imap_folder.append(*three_mails())

    report = mailbox_poll(imap_folder.mailbox)

    assert report.error == ""
    assert [r.result for r in report.results] == ["created"] * 3
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["冰箱不制冷", "洗衣機漏水", "空调噪音"]
    mailbox = Mailbox.objects.get(pk=imap_folder.mailbox.pk)
    assert (mailbox.last_uid, mailbox.last_error) == (3, "")
    assert mailbox.uid_validity is not None
    assert mailbox.last_polled_at is not None

    drained = outbox_drain()

    assert drained.sent == 3
    assert smtp_server.envelopes[0][0] == "support@caseloop.test"
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    assert set(by_recipient) == {"zhang@example.cn", "chan@example.hk", "li@example.cn"}
    ack = by_recipient["zhang@example.cn"]
    number = Case.objects.get(customer__email="zhang@example.cn").number
    assert ack["From"] == "support@caseloop.test"
    assert number in str(make_header(decode_header(ack["Subject"])))
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Message-ID"].strip() == OutboxMessage.objects.get(case__number=number).headers["Message-ID"]


def test_the_customers_answer_to_the_acknowledgement_is_threaded_into_the_case(
    imap_folder: ImapFolder, smtp_server: Mailroom,
) -> None:
    imap_folder.append(three_mails()[0])
    mailbox_poll(imap_folder.mailbox)
    outbox_drain()
    ack = smtp_server.messages[0]

    imap_folder.append(raw_email(subject="Re: 收到", body="好的，明天上午在家。".encode(), sender="zhang@example.cn",
                                 extra={"In-Reply-To": ack["Message-ID"]}))
    report = mailbox_poll(imap_folder.mailbox)

    assert [r.result for r in report.results] == ["appended"]
    assert Case.objects.count() == 1
    assert CaseMessage.objects.filter(body="好的，明天上午在家。", case__customer__email="zhang@example.cn").exists()
    assert OutboxMessage.objects.count() == 1


def test_a_second_poll_creates_nothing_new(imap_folder: ImapFolder) -> None:
    imap_folder.append(*three_mails())
    mailbox_poll(imap_folder.mailbox)

    report = mailbox_poll(Mailbox.objects.get(pk=imap_folder.mailbox.pk))

    assert (report.results, report.error) == ([], "")
    assert (Case.objects.count(), InboundMessage.objects.count()) == (3, 3)


def test_a_connection_dropped_mid_fetch_loses_nothing_and_doubles_nothing(
    imap_folder: ImapFolder, dropping_proxy: DroppingProxy,
) -> None:
    imap_folder.append(*three_mails())
    mailbox = imap_folder.mailbox
    direct_port = mailbox.imap_port
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=dropping_proxy.port)

    broken = mailbox_poll(Mailbox.objects.get(pk=mailbox.pk))

    # The line broke while the second message was arriving: the first is in, and only the first.
    assert dropping_proxy.drops == 1
    assert broken.error
    assert [r.result for r in broken.results] == ["created"]
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.last_error) == (1, broken.error)

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=direct_port)
    resumed = mailbox_poll(Mailbox.objects.get(pk=mailbox.pk))
    assert (resumed.error, [r.result for r in resumed.results]) == ("", ["created", "created"])
    assert mailbox_poll(Mailbox.objects.get(pk=mailbox.pk)).results == []
    assert (Case.objects.count(), InboundMessage.objects.count()) == (3, 3)
    assert sorted(Case.objects.values_list("customer__email", flat=True)) == [
        "chan@example.hk", "li@example.cn", "zhang@example.cn"]


def test_a_crash_after_storing_a_message_loses_nothing(
    imap_folder: ImapFolder, monkeypatch: pytest.MonkeyPatch,
) -> None:
    imap_folder.append(*three_mails()[:2])
    real_process = imap.intake_process

    def crash(message_id: int):  # type: ignore[no-untyped-def]
        raise SystemError("worker killed")

    monkeypatch.setattr(imap, "intake_process", crash)
    crashed = mailbox_poll(imap_folder.mailbox)
    assert "worker killed" in crashed.error
    assert InboundMessage.objects.get().status == InboundStatus.RECEIVED  # stored before anything else

    monkeypatch.setattr(imap, "intake_process", real_process)
    report = mailbox_poll(Mailbox.objects.get(pk=imap_folder.mailbox.pk))

    assert [r.result for r in report.results] == ["created", "created"]
    assert (Case.objects.count(), InboundMessage.objects.count()) == (2, 2)


def test_a_changed_uidvalidity_reads_the_folder_again_without_doubling(imap_folder: ImapFolder) -> None:
    imap_folder.append(*three_mails())
    mailbox_poll(imap_folder.mailbox)
    Mailbox.objects.filter(pk=imap_folder.mailbox.pk).update(uid_validity=1)  # as after a server migration

    report = mailbox_poll(Mailbox.objects.get(pk=imap_folder.mailbox.pk))

    assert (report.error, report.results) == ("", [])
    assert Case.objects.count() == 3
    assert Mailbox.objects.get(pk=imap_folder.mailbox.pk).last_uid == 3


def test_a_bad_message_in_the_mailbox_does_not_stop_the_others(imap_folder: ImapFolder) -> None:
    good = three_mails()
    imap_folder.append(good[0], b"Subject: no sender\r\n\r\n", good[1])

    report = mailbox_poll(imap_folder.mailbox)

    assert [r.result for r in report.results] == ["created", "quarantined", "created"]
    assert InboundMessage.objects.filter(status=InboundStatus.QUARANTINED).count() == 1


def test_wrong_credentials_are_recorded_on_the_mailbox_without_the_password(imap_folder: ImapFolder) -> None:
    Mailbox.objects.filter(pk=imap_folder.mailbox.pk).update(password="wrong-password-123")
    imap_folder.append(three_mails()[0])

    [report] = mailboxes_poll()

    assert "Authentication failed" in report.error or "LoginError" in report.error
    mailbox = Mailbox.objects.get(pk=imap_folder.mailbox.pk)
    assert mailbox.last_error == report.error
    assert "wrong-password-123" not in mailbox.last_error
    assert (mailbox.last_uid, Case.objects.count()) == (0, 0)


def test_the_poll_command_prints_a_line_per_message_and_fails_on_a_broken_mailbox(imap_folder: ImapFolder) -> None:
    imap_folder.append(three_mails()[0])
    Mailbox.objects.create(name="broken", address="broken@caseloop.test", imap_host="127.0.0.1", imap_port=1,
                           imap_security="none", username="x", password="y")
    out = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("intake", "poll", stdout=out, stderr=io.StringIO())

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["mailbox"], line["result"]) for line in lines] == [("broken", "error"), ("support", "created")]
    assert failure.value.returncode == 1
