"""Triage tests use the model Caseloop ships (trained from the corpus once, then cached on disk)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from caseloop.triage.classifier import ModelBundle
from caseloop.triage.loading import builtin_bundle, forget


@pytest.fixture(scope="session")
def shipped_model() -> ModelBundle:
    return builtin_bundle()


@pytest.fixture
def triage_ready(db: None, shipped_model: ModelBundle) -> Iterator[ModelBundle]:
    """The database's configuration is read afresh for every test (each test rolls it back)."""
    forget()
    yield shipped_model
    forget()
