"""A supervisor's triage round in a real browser: the queue of cases triage was unsure about, a
case page that shows why triage decided what it did, and the correction on the classification &
priority sheet (问题分类与优先级确认表), recorded as an override."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import Browser, Page, expect

from caseloop.accounts.models import User
from caseloop.accounts.roles import Role
from caseloop.cases.choices import Channel, Priority
from caseloop.cases.models import Case
from caseloop.triage.classifier import ModelBundle
from caseloop.triage.loading import forget
from caseloop.triage.models import CaseTriage, PriorityRule, TriageDecision
from caseloop.triage.services import triage_case
from tests.factories import PASSWORD, UserFactory, register_case

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
SAFETY = "电热水器漏电，今天早上洗澡的时候手碰到龙头被电了一下，现在都不敢用了，订单号2026110512345678"


@pytest.fixture
def fresh_triage(shipped_model: ModelBundle) -> Iterator[None]:
    if not PriorityRule.objects.exists():  # an earlier live-server test flushed the migration's rows
        defaults = importlib.import_module("caseloop.triage.migrations.0002_default_configuration")
        defaults.load_defaults(django_apps, None)
    forget()  # read this test database's rules, not an earlier test's
    yield
    forget()


def _logged_in_page(browser: Browser, live_server: Any, user: User) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    return page


def test_supervisor_sees_why_triage_graded_a_case_and_corrects_it_on_the_sheet(
    browser: Browser, live_server: Any, fresh_triage: None,
) -> None:
    supervisor = UserFactory(username="sup-zhao", role=Role.SUPERVISOR, display_name="赵主管")
    case = register_case(channel=Channel.API, subject="热水器漏电", content=SAFETY)
    triage_case(case.pk)
    CaseTriage.objects.filter(case=case).update(needs_manual_dispatch=True)  # as if triage had been unsure
    page = _logged_in_page(browser, live_server, supervisor)

    page.get_by_test_id("manual-triage-tab").click()
    table = page.get_by_test_id("case-table")
    expect(table.get_by_role("link", name=case.number, exact=True)).to_be_visible()
    table.get_by_role("link", name=case.number, exact=True).click()

    card = page.get_by_test_id("triage")
    expect(card).to_contain_text("自动分诊")
    expect(page.get_by_test_id("priority-reasons")).to_contain_text("安全风险 — 漏电")  # the rule and its word
    expect(page.get_by_test_id("triage-priority")).to_contain_text("紧急")
    expect(page.get_by_test_id("priority-reasons")).to_contain_text("模型")  # the statistical model, not 型号
    expect(page.get_by_test_id("priority-reasons")).not_to_contain_text("型号")
    expect(page.get_by_test_id("entities")).to_contain_text("2026110512345678")
    expect(page.get_by_test_id("entities")).not_to_contain_text("T08:00")  # dates as people write them
    expect(page.get_by_test_id("issue-points").locator("li").first).to_be_visible()

    form = page.get_by_test_id("triage-form")
    form.locator("select[name=feedback_type]").select_option("repair_quality")
    form.locator("select[name=priority]").select_option(Priority.MEDIUM.value)
    form.locator("[name=reason]").fill("上门检测为安装时接地线未接，属维修安装问题")
    form.locator("button[type=submit]").click()

    expect(page.locator(".messages li.success")).to_be_visible()
    expect(card).to_contain_text("赵主管")  # confirmed by
    page.goto("/cases/?manual_triage=on")
    expect(page.get_by_test_id("case-table")).not_to_contain_text(case.number)

    case = Case.objects.get(pk=case.pk)
    assert (case.feedback_type, case.priority) == ("repair_quality", Priority.MEDIUM)
    overrides = TriageDecision.objects.filter(case=case, is_override=True)
    assert {d.dimension for d in overrides} >= {"priority"}
    assert all(d.actor == supervisor for d in overrides)
