"""Idempotency-Key (caseloop/api/idempotency.py): retries get the first answer, never a second case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from caseloop.api.models import IdempotencyRecord
from caseloop.cases.models import Case, CaseMessage
from tests.api.conftest import ApiClient, Key, attachment, case_payload
from tests.concurrency import run_concurrently


@pytest.mark.django_db
def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(api: ApiClient) -> None:
    first = api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-42"})

    retry = api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-42"})

    assert (retry.status_code, retry.json()) == (first.status_code, first.json()) == (201, first.json())
    assert retry.json()["tracking_code"]  # the customer's code survives the replay
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_leaves_nothing_of_its_own_work_behind(api: ApiClient) -> None:
    # The record is written with the answer, at the end: a retry does the work and rolls it back.
    api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-44"})
    counts = {model: model.objects.count() for model in (Case, CaseMessage, IdempotencyRecord)}

    api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-44"})

    assert {model: model.objects.count() for model in counts} == counts
    second = api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-45"})
    assert second.json()["number"].endswith("0002")  # the replay's number was rolled back, not skipped


@pytest.mark.django_db
def test_a_retry_with_attachments_does_not_store_its_files_again(api: ApiClient, media_root: Path) -> None:
    payload = case_payload(attachments=[attachment()])
    first = api.post("/cases", payload, headers={"Idempotency-Key": "order-46"})
    files = sorted(path for path in media_root.rglob("*") if path.is_file())

    retry = api.post("/cases", payload, headers={"Idempotency-Key": "order-46"})

    assert (retry.status_code, retry.json()) == (201, first.json())
    assert len(files) == 1
    assert sorted(path for path in media_root.rglob("*") if path.is_file()) == files


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_with_409(api: ApiClient) -> None:
    api.post("/cases", case_payload(), headers={"Idempotency-Key": "order-43"})

    response = api.post("/cases", case_payload(subject="另一个问题"), headers={"Idempotency-Key": "order-43"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_from_another_api_key_is_another_request(make_key: Callable[..., Key]) -> None:
    for api_key in (make_key(), make_key()):
        assert api_key.client().post("/cases", case_payload(), headers={"Idempotency-Key": "k-1"}).status_code == 201

    assert Case.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_request_is_not_remembered_so_the_corrected_retry_goes_through(api: ApiClient) -> None:
    bad = api.post("/cases", case_payload(attachments=[attachment(name="x.exe")]), headers={"Idempotency-Key": "k-2"})
    assert bad.status_code == 422

    good = api.post("/cases", case_payload(), headers={"Idempotency-Key": "k-2"})

    assert good.status_code == 201
    assert Case.objects.count() == 1


@pytest.mark.django_db
def test_the_tracking_code_is_not_kept_in_clear(api: ApiClient) -> None:
    code = api.post("/cases", case_payload(), headers={"Idempotency-Key": "k-3"}).json()["tracking_code"]

    record = IdempotencyRecord.objects.get()

    assert record.response_body["tracking_code"] is None
    assert record.sealed_secret
    assert code not in str(IdempotencyRecord.objects.values().get())


@pytest.mark.django_db
def test_an_over_long_key_is_refused(api: ApiClient) -> None:
    response = api.post("/cases", case_payload(), headers={"Idempotency-Key": "k" * 201})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_retried_message_is_added_once(api: ApiClient) -> None:
    number = api.post("/cases", case_payload()).json()["number"]

    answers = [api.post(f"/cases/{number}/messages", {"body": "补充说明"}, headers={"Idempotency-Key": "m-1"})
               for _ in range(2)]

    assert answers[0].json() == answers[1].json()
    assert [answer.status_code for answer in answers] == [201, 201]
    assert CaseMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_the_same_key_create_one_case(key: Key) -> None:
    api = key.client()
    answers = run_concurrently(
        lambda _index: api.post("/cases", case_payload(), headers={"Idempotency-Key": "burst-1"}), threads=6)

    assert Case.objects.count() == 1
    number = Case.objects.get().number
    assert [(answer.status_code, answer.json()["number"]) for answer in answers] == [(201, number)] * 6
    assert sum(answer.get("Idempotent-Replayed") == "true" for answer in answers) == 5


def test_answers_older_than_the_retention_window_are_forgotten(key: Key) -> None:
    import datetime as dt

    from caseloop.api.idempotency import IDEMPOTENCY_RETENTION, idempotency_records_prune

    key.client().post("/cases", case_payload(), headers={"Idempotency-Key": "old"})
    record = IdempotencyRecord.objects.get()

    assert idempotency_records_prune(now=record.created_at + IDEMPOTENCY_RETENTION - dt.timedelta(minutes=1)) == 0
    assert idempotency_records_prune(now=record.created_at + IDEMPOTENCY_RETENTION + dt.timedelta(minutes=1)) == 1
    assert not IdempotencyRecord.objects.exists()
