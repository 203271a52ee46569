from __future__ import annotations

from django_tasks import task

from caseloop.notify.services import outbox_drain


# Before triage and other background work: a customer is waiting for the acknowledgement (R1.2),
# and under a burst the queue holds a triage task per case.
@task(priority=50)
def drain_outbox() -> dict[str, int]:
    result = outbox_drain()
    return {"sent": result.sent, "retried": result.retried, "failed": result.failed}
