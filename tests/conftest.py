from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
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
def _empty_cache() -> None:
    # Rate-limit counters and queued-work flags of one test must not reach the next.
    cache.clear()


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


@pytest.fixture
def redis_cache(settings: Settings) -> Iterator[str]:
    """Django's cache on the real Redis (production's), under a key prefix of this test's own.

    The machine's Redis (REDIS_TEST_URL, default 127.0.0.1:6379 database 15); CI always has one, so
    there a missing Redis fails the test instead of skipping it.
    """
    url = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url}")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": {"BACKEND": "caseloop.core.cache.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": prefix}}
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
