"""`caseloop intake eml`: files and Maildirs, one JSON line per message, a failure never hidden."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from caseloop.cases.models import Case
from caseloop.intake.models import InboundMessage, InboundStatus
from tests.intake.email.builders import raw_email

pytestmark = pytest.mark.django_db

MALFORMED = b"\x00\x01 this is not an e-mail at all \xff\xfe"


def run_eml(*paths: Path) -> tuple[list[dict[str, object]], str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    failure = None
    try:
        call_command("intake", "eml", *map(str, paths), stdout=out, stderr=err)
    except CommandError as exc:
        failure = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue(), failure


def test_files_are_ingested_and_a_malformed_one_does_not_stop_the_others(tmp_path: Path) -> None:
    files = [tmp_path / "1.eml", tmp_path / "2-bad.eml", tmp_path / "3.eml"]
    files[0].write_bytes(raw_email(body="冰箱不制冷".encode("gbk"), charset="gb2312", subject="冰箱"))
    files[1].write_bytes(MALFORMED)
    files[2].write_bytes(raw_email(body="Bruit énorme".encode("latin-1"), charset="iso-8859-1", subject="Bruit"))

    lines, _, failure = run_eml(*files)

    assert [(line["file"], line["result"]) for line in lines] == [
        (str(files[0]), "created"), (str(files[1]), "quarantined"), (str(files[2]), "created")]
    assert all(set(line) >= {"file", "result", "case", "reason"} for line in lines)
    assert lines[1]["case"] is None
    assert "no sender address" in str(lines[1]["reason"])
    assert Case.objects.count() == 2
    assert InboundMessage.objects.get(status=InboundStatus.QUARANTINED).payload == MALFORMED
    # The failure is not hidden behind exit status 0.
    assert failure is not None
    assert failure.returncode == 1
    assert "1 quarantined" in str(failure)


def test_a_maildir_is_read_from_new_and_cur_and_a_second_run_creates_nothing(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for folder in ("new", "cur", "tmp"):
        (maildir / folder).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1P1.host").write_bytes(raw_email(subject="新邮件"))
    (maildir / "cur" / "1690000000.M2P2.host:2,S").write_bytes(raw_email(subject="已读邮件"))
    (maildir / "tmp" / "1700000001.M3P3.host").write_bytes(raw_email(subject="still being delivered"))

    lines, summary, failure = run_eml(maildir)

    assert failure is None
    assert [line["result"] for line in lines] == ["created", "created"]
    assert sorted(Case.objects.values_list("subject", flat=True)) == ["已读邮件", "新邮件"]
    assert "2 created" in summary

    again, _, failure = run_eml(maildir)
    assert failure is None
    assert [line["result"] for line in again] == ["ignored", "ignored"]
    assert [line["case"] for line in again] == [line["case"] for line in lines]
    assert Case.objects.count() == 2


def test_a_missing_file_is_an_error_line_and_a_failing_exit(tmp_path: Path) -> None:
    (tmp_path / "ok.eml").write_bytes(raw_email())
    lines, _, failure = run_eml(tmp_path / "missing.eml", tmp_path / "ok.eml")

    assert [line["result"] for line in lines] == ["error", "created"]
    assert failure is not None
    assert failure.returncode == 1


def test_auto_replies_are_reported_as_ignored_with_exit_status_zero(tmp_path: Path) -> None:
    (tmp_path / "ooo.eml").write_bytes(raw_email(extra={"Auto-Submitted": "auto-replied"}))
    lines, _, failure = run_eml(tmp_path / "ooo.eml")

    assert failure is None
    assert lines[0]["result"] == "ignored"
    assert "Auto-Submitted" in str(lines[0]["reason"])
