from __future__ import annotations

from django_tasks import task

from caseloop.intake.services import intake_process


# A stored channel message is not a case yet: it goes before triage (see notify.tasks.drain_outbox).
@task(priority=40)
def process_inbound(message_id: int) -> dict[str, str]:
    result = intake_process(message_id)
    return {"status": result.status, "outcome": result.outcome, "case": result.case_number, "reason": result.reason}


@task()
def process_waiting_inbound() -> dict[str, int]:
    """Sweep: process stored messages whose processing task never ran (a crash after the 2xx)."""
    from caseloop.intake.services import intake_process_waiting

    return {"processed": intake_process_waiting()}


@task()
def poll_mailboxes() -> dict[str, int]:
    """Fetch new mail from every active mailbox once (see caseloop.intake.mail.imap)."""
    from caseloop.intake.mail.imap import mailboxes_poll

    reports = mailboxes_poll()
    return {"mailboxes": len(reports), "messages": sum(len(r.results) for r in reports),
            "failed_mailboxes": sum(bool(r.error) for r in reports)}
