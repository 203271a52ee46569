from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Role
from caseloop.triage.classifier import ModelBundle
from caseloop.triage.loading import builtin_bundle, forget
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Settings) -> None:
    # PBKDF2 at production strength costs a good fraction of a second per user; no test is about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Uploaded files go to a fresh folder per test, never to var/media."""
    root = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def department(db: None) -> Department:
    return DepartmentFactory(code="customer-service", name="客服部")


@pytest.fixture
def other_department(db: None) -> Department:
    return DepartmentFactory(code="technical-support", name="技术支持部")


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory(username="supervisor", role=Role.SUPERVISOR, display_name="王主管")


@pytest.fixture
def agent(db: None) -> User:
    return UserFactory(username="agent", role=Role.AGENT, display_name="李坐席")


@pytest.fixture
def specialist(department: Department) -> User:
    return UserFactory(username="specialist", role=Role.SPECIALIST, display_name="赵专员", departments=[department])


@pytest.fixture(scope="session")
def shipped_model() -> ModelBundle:
    """The model Caseloop ships: trained from the corpus once, then cached on disk (var/triage/)."""
    return builtin_bundle()


@pytest.fixture
def triage_ready(db: None, shipped_model: ModelBundle) -> Iterator[ModelBundle]:
    """Triage reads the database's configuration afresh in every test (each test rolls it back)."""
    forget()
    yield shipped_model
    forget()
