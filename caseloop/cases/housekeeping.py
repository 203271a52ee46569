"""Housekeeping of stored case files.

A registration stores its attachments inside its transaction, because a committed attachment row
without its file would be worse. Storage writes cannot roll back, though: when the transaction
does (a retry that lost an idempotency race, a file over the per-case limit, a message
quarantined after its files were stored), the files stay behind with no row naming them. They hold customers'
personal data that no retention rule can reach, so the sweep removes them.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage

from caseloop.cases.models import ATTACHMENT_ROOT, CaseAttachment
from caseloop.cases.numbering import day_prefix
from caseloop.core import clock

logger = logging.getLogger(__name__)

# A registration that stored a file may still commit; none stays open this long.
ORPHAN_GRACE = dt.timedelta(hours=1)


@dataclass
class OrphanSweep:
    folders: int = 0
    files: int = 0
    removed: list[str] = field(default_factory=list)


def attachments_sweep_orphans(*, days: int = 3, now: dt.datetime | None = None) -> OrphanSweep:
    """Delete stored files that no attachment row names, in the folders of cases numbered in the
    last `days` days (run hourly by the scheduler, so each day's folders are read many times
    before they leave the window). Files younger than `ORPHAN_GRACE` are left alone."""
    now = now or clock.now()
    today = clock.localtime(now).date()
    prefix = settings.CASELOOP["CASE_NUMBER_PREFIX"]
    recent = tuple(day_prefix(prefix, today - dt.timedelta(days=back)) for back in range(days))
    sweep = OrphanSweep()
    if not default_storage.exists(ATTACHMENT_ROOT):
        return sweep
    folders, _files = default_storage.listdir(ATTACHMENT_ROOT)
    for folder in sorted(f for f in folders if f.startswith(recent)):
        sweep.folders += 1
        _dirs, files = default_storage.listdir(f"{ATTACHMENT_ROOT}/{folder}")
        names = [f"{ATTACHMENT_ROOT}/{folder}/{name}" for name in files]
        sweep.files += len(names)
        named = set(CaseAttachment.objects.filter(file__in=names).values_list("file", flat=True))
        for name in names:
            if name in named or now - default_storage.get_modified_time(name) < ORPHAN_GRACE:
                continue
            default_storage.delete(name)
            sweep.removed.append(name)
            logger.info("removed %s: no attachment names it", name)
    return sweep
