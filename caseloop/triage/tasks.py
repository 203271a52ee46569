"""Triage runs in the workers. The services (and the model libraries behind them, about a second to
import) are imported inside the tasks, so that intake, which only queues these tasks, stays light:
`caseloop intake eml` and `caseloop import` start without them."""

from __future__ import annotations

from django_tasks import task

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case


def should_triage(case: Case) -> bool:
    # Imported history is triaged in bulk by `caseloop triage backfill`, not one task per row.
    return case.channel != Channel.IMPORT


@task()
def triage_new_case(case_id: int) -> dict[str, str]:
    from caseloop.triage.services import triage_case

    triage = triage_case(case_id)
    return {"case": str(case_id), "type": triage.predicted_type if triage else "",
            "priority": triage.predicted_priority if triage else ""}


@task()
def triage_new_message(message_id: int) -> dict[str, str]:
    from caseloop.triage.services import triage_message

    run = triage_message(message_id)
    return {"message": str(message_id), "assessed": "yes" if run else "no"}


@task()
def triage_untriaged() -> dict[str, int]:
    """Sweep: triage cases that have no assessment (a lost task, imported history)."""
    from caseloop.triage.services import triage_untriaged_cases

    return {"triaged": triage_untriaged_cases()}
