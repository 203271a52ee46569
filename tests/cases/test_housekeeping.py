"""The sweep of stored files that a rolled-back registration left without an attachment row."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from pytest_django import Settings

from caseloop.cases.housekeeping import ORPHAN_GRACE, attachments_sweep_orphans
from caseloop.cases.models import CaseAttachment
from caseloop.cases.services import UploadedAttachment
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from tests.factories import register_case

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR"


def _upload(name: str, data: bytes = PNG) -> UploadedAttachment:
    return UploadedAttachment(name=name, stream=io.BytesIO(data), size=len(data))


def _stored(media_root: Path) -> set[str]:
    return {str(path.relative_to(media_root)) for path in media_root.rglob("*") if path.is_file()}


def _age(media_root: Path, names: set[str], by: dt.timedelta) -> None:
    for name in names:
        stamp = (clock.now() - by).timestamp()
        os.utime(media_root / name, (stamp, stamp))


def test_files_of_a_registration_that_rolled_back_are_removed_and_committed_ones_kept(
    media_root: Path, settings: Settings,
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENTS_PER_CASE": 2}
    with pytest.raises(ApplicationError):  # the third file is refused after two were stored
        register_case(attachments=[_upload("a.png", PNG + b"a"), _upload("b.png", PNG + b"b"),
                                   _upload("c.png", PNG + b"c")])
    left_behind = _stored(media_root)
    kept = register_case(attachments=[_upload("d.png", PNG + b"d")])  # takes the same number and folder
    committed = {str(a.file) for a in CaseAttachment.objects.filter(case=kept)}
    assert len(left_behind) == 2
    assert {name.split("/")[1] for name in left_behind | committed} == {kept.number}
    _age(media_root, left_behind | committed, by=ORPHAN_GRACE + dt.timedelta(minutes=1))

    sweep = attachments_sweep_orphans()

    assert sorted(sweep.removed) == sorted(left_behind)
    assert _stored(media_root) == committed
    assert (sweep.folders, sweep.files) == (1, 3)


def test_a_file_younger_than_the_grace_period_is_left_alone(media_root: Path, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENTS_PER_CASE": 1}
    with pytest.raises(ApplicationError):
        register_case(attachments=[_upload("a.png"), _upload("b.png")])

    assert attachments_sweep_orphans().removed == []  # its transaction might still have committed
    assert len(_stored(media_root)) == 1


def test_only_folders_of_recently_numbered_cases_are_read(media_root: Path) -> None:
    old = media_root / "cases" / "CF201901010001"
    old.mkdir(parents=True)
    (old / "x-file.png").write_bytes(PNG)
    _age(media_root, {"cases/CF201901010001/x-file.png"}, by=dt.timedelta(days=400))

    sweep = attachments_sweep_orphans(days=3)

    assert (sweep.folders, sweep.removed) == (0, [])
    assert (old / "x-file.png").exists()
