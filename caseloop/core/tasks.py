"""Helpers for background work: tasks are enqueued only after the surrounding transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue `task` once the current transaction commits, so a worker never sees uncommitted rows."""
    transaction.on_commit(lambda: task.enqueue(*args, **kwargs))
