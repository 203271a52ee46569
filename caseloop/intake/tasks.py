from __future__ import annotations

from django_tasks import task

from caseloop.intake.services import intake_process


@task()
def process_inbound(message_id: int) -> dict[str, str]:
    result = intake_process(message_id)
    return {"status": result.status, "outcome": result.outcome, "case": result.case_number, "reason": result.reason}
