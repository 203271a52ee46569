"""`caseloop intake eml PATH…` and `caseloop intake poll`: e-mail in, one JSON line per message."""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from caseloop.intake.mail.imap import mailboxes_poll
from caseloop.intake.mail.ingest import Result, email_ingest

EXIT_CODES = """\
Output: one JSON line per message on stdout,
  {"file"|"mailbox": …, "result": "created"|"appended"|"ignored"|"quarantined", "case": number|null,
   "reason": …, "message": inbound message id}
and a summary on stderr.

Exit status: 0 when every message was created, appended or ignored (auto-replies, bounces,
duplicates); 1 when any message was quarantined, any file could not be read or any mailbox could
not be polled (those lines have "result": "error"). The other messages are processed either way;
a quarantined message is kept whole and can be processed again from the admin.
"""


class Command(BaseCommand):
    help = "Take e-mail in: from raw RFC 822 files or a Maildir (eml), or from the configured mailboxes (poll)."
    # The system checks import every URL and view (and the triage models' libraries with them):
    # over a second per run of a command that cron or a mail hook may start every minute. The
    # deployment runs `caseloop check --deploy` once instead.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{eml,poll}")
        eml = actions.add_parser("eml", help="Ingest .eml files, directories of them, or Maildirs (cur/ and new/).",
                                 description="Ingest raw RFC 822 messages exactly as a polled mailbox would.",
                                 epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
        eml.add_argument("paths", nargs="+", metavar="PATH", help="A message file, a directory or a Maildir.")
        eml.add_argument("--source", default="eml",
                         help="Recorded as the messages' source; the name of a mailbox makes the acknowledgements "
                              "leave from its address (default: eml).")
        eml.add_argument("--jobs", type=int, default=1, metavar="N",
                         help="Processes working at once (default 1). Worth it on PostgreSQL; SQLite takes one "
                              "writer at a time. One sender's messages stay in one process, in file order, so "
                              "their replies thread exactly as they would one by one.")
        poll = actions.add_parser("poll", help="Poll the active mailboxes once over IMAP.", epilog=EXIT_CODES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        poll.add_argument("--mailbox", action="append", dest="mailboxes", metavar="NAME",
                          help="Poll only this mailbox (repeatable; inactive ones too when named).")

    def handle(self, *args: Any, **options: Any) -> None:
        counts: Counter[str] = Counter()
        if options["action"] == "eml":
            if options["jobs"] < 1:
                raise CommandError("--jobs must be at least 1")
            files = list(_message_files([Path(p) for p in options["paths"]]))
            for path, outcome in ingest_files(files, source=options["source"], jobs=options["jobs"]):
                self._emit({"file": str(path), **outcome}, counts)
        else:
            for report in mailboxes_poll(names=options["mailboxes"]):
                for result in report.results:
                    self._emit({"mailbox": report.mailbox, **result.as_dict()}, counts)
                if report.error:
                    self._emit({"mailbox": report.mailbox, "result": "error", "case": None, "reason": report.error,
                                "message": None}, counts)
        summary = ", ".join(f"{counts[k]} {k}" for k in (Result.CREATED, Result.APPENDED, Result.IGNORED,
                                                          Result.QUARANTINED, "error"))
        failures = counts[Result.QUARANTINED] + counts["error"]
        if failures:
            raise CommandError(f"{sum(counts.values())} messages: {summary}", returncode=1)
        self.stderr.write(f"{sum(counts.values())} messages: {summary}")

    def _emit(self, line: dict[str, Any], counts: Counter[str]) -> None:
        counts[line["result"]] += 1
        self.stdout.write(json.dumps(line, ensure_ascii=False))


def _message_files(paths: list[Path]) -> Iterator[Path]:
    """Files as given; a directory's files in name order; a Maildir's new/ then cur/ (tmp/ is unfinished)."""
    for path in paths:
        if not path.is_dir():
            yield path  # a missing file is reported as an error line, not silently skipped
            continue
        folders = [path / "new", path / "cur"] if (path / "cur").is_dir() or (path / "new").is_dir() else [path]
        for folder in folders:
            if folder.is_dir():
                yield from sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def ingest_files(files: list[Path], *, source: str, jobs: int) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(file, result) for every file; with `jobs` > 1 from that many processes, as they finish."""
    if jobs == 1:
        for path in files:
            yield path, ingest_file(path, source)
        return
    by_sender: dict[str, list[Path]] = {}
    for path in files:
        by_sender.setdefault(_sender_of(path), []).append(path)
    connections.close_all()  # each process opens its own; a forked connection is unusable
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        tasks = [(paths, source) for paths in by_sender.values()]
        for results in pool.imap_unordered(_ingest_sender, tasks, chunksize=4):
            yield from results


def _ingest_sender(task: tuple[list[Path], str]) -> list[tuple[Path, dict[str, Any]]]:
    paths, source = task
    return [(path, ingest_file(path, source)) for path in paths]


def ingest_file(path: Path, source: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {"result": "error", "case": None, "reason": f"cannot read the file: {exc.strerror or exc}",
                "message": None}
    return email_ingest(raw=raw, source=source).as_dict()


def _sender_of(path: Path) -> str:
    """The From address, lower-cased; a file that cannot be read or has none is its own group."""
    try:
        with path.open("rb") as handle:
            headers = BytesHeaderParser().parse(handle)
        address = parseaddr(str(headers.get("From", "")))[1].lower()
    except (OSError, ValueError, TypeError):
        address = ""
    return address or f"file:{path}"
