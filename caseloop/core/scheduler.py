"""Periodic work (outbox retries, mailbox polls, intake sweeps, later SLA sweeps): the scheduler
enqueues tasks on a fixed interval; workers run them. Safe to run on several nodes at once.

Jobs are data: settings.CASELOOP["PERIODIC_JOBS"] maps a name to (task path, seconds). Every job
is idempotent, so a missed or doubled tick loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils.module_loading import import_string

from caseloop.core import clock
from caseloop.core.models import PeriodicJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task_path: str
    every: dt.timedelta


def configured_jobs() -> list[Job]:
    return [Job(name, path, dt.timedelta(seconds=seconds))
            for name, (path, seconds) in settings.CASELOOP["PERIODIC_JOBS"].items()]


def claim(job: Job, now: dt.datetime) -> bool:
    """True for exactly one caller per due run of `job`, across processes and machines."""
    try:
        with transaction.atomic():
            PeriodicJob.objects.get_or_create(name=job.name)
    except IntegrityError:  # another scheduler created the row first
        pass
    due = Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - job.every)
    return bool(PeriodicJob.objects.filter(due, name=job.name).update(last_enqueued_at=now))


def tick(jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every due job once; returns the names enqueued."""
    now = clock.now()
    enqueued = []
    for job in jobs if jobs is not None else configured_jobs():
        if claim(job, now):
            import_string(job.task_path).enqueue()
            enqueued.append(job.name)
    return enqueued


def run_forever(stop: threading.Event, *, interval: float = 5.0) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            tick()
        except Exception:  # the scheduler must outlive a database hiccup
            logger.exception("scheduler tick failed")
        stop.wait(interval)
