from __future__ import annotations

from django_tasks import task

from caseloop.cases.housekeeping import attachments_sweep_orphans


@task()
def sweep_orphaned_attachments() -> dict[str, int]:
    sweep = attachments_sweep_orphans()
    return {"folders": sweep.folders, "files": sweep.files, "removed": len(sweep.removed)}
