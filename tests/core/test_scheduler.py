"""The scheduler enqueues each due periodic job once, however many schedulers run."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_tasks import default_task_backend
from pytest_django import Settings

from caseloop.core import clock
from caseloop.core.scheduler import Job, claim, tick
from tests.concurrency import run_concurrently

JOB = Job("drain_outbox", "caseloop.notify.tasks.drain_outbox", dt.timedelta(seconds=30))


@pytest.fixture
def dummy_tasks(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.results.clear()  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_interval(dummy_tasks: None) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False):
        assert tick([JOB]) == ["drain_outbox"]
        assert tick([JOB]) == []
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        assert tick([JOB]) == []
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert tick([JOB]) == ["drain_outbox"]
    enqueued = [r.task.module_path for r in default_task_backend.results]  # type: ignore[attr-defined]
    assert enqueued == ["caseloop.notify.tasks.drain_outbox"] * 2


@pytest.mark.django_db
def test_the_configured_jobs_all_name_importable_tasks(dummy_tasks: None) -> None:
    assert set(tick()) >= {"drain_outbox", "process_waiting_inbound", "poll_mailboxes", "prune_idempotency_records"}


@pytest.mark.django_db(transaction=True)
def test_schedulers_on_several_nodes_claim_a_run_exactly_once() -> None:
    now = clock.now()
    wins = run_concurrently(lambda _index: claim(JOB, now), threads=6)

    assert wins.count(True) == 1
