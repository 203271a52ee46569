from __future__ import annotations

from django_tasks import task

from caseloop.triage.services import triage_case, triage_message


@task()
def triage_new_case(case_id: int) -> dict[str, str]:
    triage = triage_case(case_id)
    return {"case": str(case_id), "type": triage.predicted_type if triage else "",
            "priority": triage.predicted_priority if triage else ""}


@task()
def triage_new_message(message_id: int) -> dict[str, str]:
    run = triage_message(message_id)
    return {"message": str(message_id), "assessed": "yes" if run else "no"}


@task()
def triage_untriaged() -> dict[str, int]:
    """Sweep: triage cases that have no assessment (a lost task, imported history)."""
    from caseloop.triage.services import triage_untriaged_cases

    return {"triaged": triage_untriaged_cases()}
