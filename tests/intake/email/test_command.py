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


def run_eml(*paths: Path, options: tuple[str, ...] = ()) -> tuple[list[dict[str, object]], str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    failure = None
    try:
        call_command("intake", "eml", *options, *map(str, paths), stdout=out, stderr=err)
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


@pytest.mark.django_db(transaction=True)  # the worker processes see only committed rows
def test_with_several_jobs_every_file_is_reported_once_and_a_senders_reply_still_threads(tmp_path: Path) -> None:
    first_id = "<first.a@customer.example.cn>"
    messages = {
        "a1.eml": raw_email(sender="甲 <a@example.cn>", message_id=first_id, subject="冰箱不制冷",
                            body="冰箱买了一周就不制冷了。".encode()),
        "b1.eml": raw_email(sender="乙 <b@example.cn>", subject="快递破损", body="快递外箱破损，电视屏幕碎了。".encode()),
        "a2.eml": raw_email(sender="甲 <A@Example.cn>", subject="Re: 冰箱不制冷", extra={"In-Reply-To": first_id},
                            body="补充：冷藏室也不凉。".encode()),
        "c1.eml": raw_email(sender="丙 <c@example.cn>", subject="发票", body="请开具增值税专用发票。".encode()),
        "d-bad.eml": MALFORMED,
    }
    for name, raw in messages.items():
        (tmp_path / name).write_bytes(raw)

    lines, _, failure = run_eml(tmp_path, options=("--jobs", "2"))

    results = {Path(str(line["file"])).name: line for line in lines}
    assert len(lines) == len(messages) == len(results)
    assert {name: line["result"] for name, line in results.items()} == {
        "a1.eml": "created", "b1.eml": "created", "a2.eml": "appended", "c1.eml": "created",
        "d-bad.eml": "quarantined"}
    assert results["a2.eml"]["case"] == results["a1.eml"]["case"]
    assert Case.objects.count() == 3
    assert failure is not None
    assert failure.returncode == 1
