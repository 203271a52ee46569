"""Helpers for background work: a task is never seen by a worker before the rows it reads exist."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` as part of the current transaction.

    With the database task queue (production's), the task row is written in the same transaction
    as the work it follows up: both commit or neither does, so a crash right after commit loses no
    triage or acknowledgement, and one request costs one commit instead of one per task. Any other
    queue cannot share the transaction; there the task is enqueued once the transaction commits.
    """
    backend = task_backends[task.backend]
    if isinstance(backend, DatabaseBackend):  # its table lives in the default database, like the cases
        task.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
