from __future__ import annotations

from django_tasks import task

from caseloop.intake.services import intake_process


@task()
def process_inbound(message_id: int) -> dict[str, str]:
    result = intake_process(message_id)
    return {"status": result.status, "outcome": result.outcome, "case": result.case_number, "reason": result.reason}


@task()
def process_waiting_inbound() -> dict[str, int]:
    """Sweep: process stored messages whose processing task never ran (a crash after the 2xx)."""
    from caseloop.intake.services import intake_process_waiting

    return {"processed": intake_process_waiting()}
