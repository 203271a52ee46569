"""`caseloop triage classify|evaluate|train|backfill|stats` as an operator runs them."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from caseloop.cases.choices import Channel
from caseloop.triage.models import CaseTriage, TriageModelVersion
from tests.factories import register_case

pytestmark = pytest.mark.usefixtures("triage_ready")


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    previous = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("triage", *args, stdout=out, stderr=io.StringIO())
    finally:
        sys.stdin = previous
    return out.getvalue()


def test_classify_writes_one_json_line_per_input_with_every_field() -> None:
    lines = "\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"id": 1, "text": "热水器漏电了，手都麻了"},
        {"id": "b", "text": "兼职刷单日赚500，加微信 abc12345"},
    ])
    outputs = [json.loads(line) for line in run("classify", stdin=lines).splitlines()]
    assert [o["id"] for o in outputs] == [1, "b"]
    first = outputs[0]
    for field in ("type", "type_confidence", "priority", "priority_reasons", "review", "sentiment", "issue_points",
                  "entities"):
        assert field in first
    assert first["priority"] == "high"
    assert outputs[1]["review"] == "spam"


def test_classify_reports_a_bad_line_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO('not json\n{"id": 2, "text": "快递没到"}\n'))
    with pytest.raises(CommandError, match="1 input line"):
        call_command("triage", "classify", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["line"] == 1
    assert "error" in lines[0]
    assert lines[1]["id"] == 2


def test_evaluate_reports_the_held_out_split_with_confusion_tables() -> None:
    report = json.loads(run("evaluate", "--json"))
    reports = report["reports"]
    assert {"type", "priority", "review"} <= set(reports)
    assert reports["type"]["n"] > 100
    assert "high_recall" in reports["priority"]
    assert reports["type"]["confusion"]


def test_evaluate_reads_a_folder_of_pair_data(tmp_path: Path) -> None:
    folder = tmp_path / "similarity-mini"
    folder.mkdir()
    (folder / "test.txt").write_text("空调漏水怎么办\t空调漏水怎么处理\t1\n快递没到\t电视黑屏\t0\n", encoding="utf-8")
    report = json.loads(run("evaluate", "--data", str(folder), "--json"))
    assert report["reports"]["similarity-mini"]["n"] == 2


def test_a_model_worse_on_the_held_out_split_is_not_activated(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    records = [{"text": t, "type": k, "priority": "low", "review": "ok"} for t, k in
               [("空调不制冷", "product_quality"), ("快递没到", "logistics"), ("客服态度差", "service_attitude"),
                ("想问保修", "after_sales")] * 3]
    (tiny / "data.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    with pytest.raises(CommandError, match="kept the active model"):
        run("train", "--no-corpus", "--no-decisions", "--data", str(tiny))
    assert not TriageModelVersion.objects.exists()


@pytest.mark.slow
def test_retraining_on_the_corpus_activates_a_versioned_model() -> None:
    outcome = json.loads(run("train", "--note", "test"))
    assert outcome["activated"]
    active = TriageModelVersion.objects.get(is_active=True)
    assert active.version == outcome["version"]
    assert active.metrics["type_macro_f1"] > 0.3  # chance among 14 types is about 0.07
    case = register_case(channel=Channel.API, subject="漏电", content="插座漏电")
    run("backfill")
    assert CaseTriage.objects.get(case=case).model_version == active.version


def test_backfill_triages_cases_without_an_assessment_and_stats_count_the_queue() -> None:
    register_case(channel=Channel.IMPORT, subject="旧案", content="洗衣机噪音大")
    assert json.loads(run("backfill")) == {"triaged": 1}
    assert json.loads(run("backfill")) == {"triaged": 0}
    stats = json.loads(run("stats"))
    assert stats["unconfirmed"] == 1


def test_the_built_in_model_learns_abuse_from_the_shipped_cold_set_too(shipped_model: object) -> None:
    """The issue allows COLD (Apache-2.0) for training: the shipped model's abuse detector uses it."""
    from caseloop.triage import corpus
    from caseloop.triage.evaluation import read_cold

    shipped = read_cold(corpus.COLD_TRAIN)
    assert len(shipped) > 25_000
    info = shipped_model.trained_on  # type: ignore[attr-defined]
    assert "COLD:train" in info["sources"]
    assert info["abuse_examples"] >= len(shipped)
