from __future__ import annotations

from django_tasks import task

from caseloop.notify.services import outbox_drain


@task()
def drain_outbox() -> dict[str, int]:
    result = outbox_drain()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}
