"""People and helpers for the agent console's view tests (tests/console).

Users come from tests/factories.py; cases are registered through `case_register` only.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from caseloop.accounts.models import User
from caseloop.accounts.roles import Role
from tests.console.helpers import Staff
from tests.factories import DepartmentFactory, UserFactory


@pytest.fixture
def staff(db: None) -> Staff:
    home = DepartmentFactory(code="after-sales", name="售后服务部")
    away = DepartmentFactory(code="logistics", name="物流部")
    return Staff(
        home=home,
        away=away,
        agent=UserFactory(username="agent-li", role=Role.AGENT, display_name="李坐席"),
        other_agent=UserFactory(username="agent-zhou", role=Role.AGENT, display_name="周坐席"),
        supervisor=UserFactory(username="boss-wang", role=Role.SUPERVISOR, display_name="王主管"),
        specialist=UserFactory(username="spec-zhao", role=Role.SPECIALIST, display_name="赵专员", departments=[home]),
        away_specialist=UserFactory(username="spec-qian", role=Role.SPECIALIST, departments=[away]),
        analyst=UserFactory(username="analyst-sun", role=Role.ANALYST, display_name="孙分析"),
        auditor=UserFactory(username="auditor-wu", role=Role.AUDITOR, display_name="吴审计"),
    )


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """A test client logged in as `user`; `client_for(user, enforce_csrf_checks=True)` checks CSRF."""

    def make(user: User, **kwargs: object) -> Client:
        client = Client(**kwargs)
        client.force_login(user)
        return client

    return make
