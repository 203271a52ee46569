from __future__ import annotations

from django_tasks import task

from caseloop.api.idempotency import idempotency_records_prune


@task()
def prune_idempotency_records() -> dict[str, int]:
    return {"deleted": idempotency_records_prune()}
