"""An agent's whole round in a real browser: log in, register a phone complaint, find it by a word
of what the customer said, open it, print its registration sheet; and the console on a tablet,
in each of its languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from caseloop.accounts.models import User
from caseloop.accounts.roles import Role
from caseloop.cases.choices import Channel
from caseloop.cases.models import Case
from tests.factories import PASSWORD, UserFactory, register_case

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
CASE_URL = re.compile(r"/cases/(CF\d{12})/$")
HEADER_BLUE = "rgb(16, 42, 67)"  # header.top in console.css: proves the stylesheet was served
CONTENT = (
    "客户来电反映：去年双十一购买的滚筒洗衣机，最近一周烘干功能完全失效，衣服烘完仍然潮湿，"
    "已经按说明书清理过滤网，问题依旧，希望尽快安排师傅上门检修。"
)
SEARCH_WORD = "烘干功能"  # in the middle of the content's second clause, not in the subject
SUBJECT = "滚筒洗衣机故障报修"


def _open_page(browser: Browser, live_server: Any, **context_options: Any) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


def _log_in(page: Page, user: User) -> None:
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))


def _contact_time(minutes_ago: int) -> str:
    moment = timezone.localtime(timezone.now() - dt.timedelta(minutes=minutes_ago))
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_agent_registers_a_phone_complaint_finds_it_by_a_word_of_its_content_and_opens_its_sheet(
    browser: Browser, live_server: Any,
) -> None:
    agent = UserFactory(username="agent-liu", role=Role.AGENT, display_name="刘坐席")
    decoy = register_case(registered_by=agent, subject="冰箱不制冷", content="冰箱冷藏室温度过高，食物变质。")
    page = _open_page(browser, live_server)

    _log_in(page, agent)
    expect(page.locator("header.top")).to_have_css("background-color", HEADER_BLUE)

    new_case = page.get_by_test_id("nav-new-case")
    expect(new_case).to_have_text("新建工单")
    new_case.click()
    expect(page).to_have_url(re.compile(r"/cases/new/$"))
    page.select_option("#id_channel", Channel.PHONE.value)
    page.fill("#id_received_at", _contact_time(8))
    page.fill("#id_customer_name", "刘先生")
    page.fill("#id_phone", "137 1111 2222")
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_content", CONTENT)
    page.get_by_test_id("submit-case").click()

    expect(page).to_have_url(CASE_URL)
    # The number as the agent reads it: the heading is "<number> · <subject>".
    expect(page.locator("h1")).to_contain_text(SUBJECT)
    number = page.locator("h1").inner_text().split("·")[0].strip()
    assert re.fullmatch(r"CF\d{12}", number)
    assert page.url.endswith(f"/cases/{number}/")
    expect(page.locator(".messages li.success")).to_contain_text(number)
    expect(page.get_by_test_id("case-content")).to_have_text(CONTENT)

    page.locator("header.top nav").get_by_role("link", name="工单", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    page.fill("#id_q", SEARCH_WORD)
    page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape("%E7%83%98%E5%B9%B2%E5%8A%9F%E8%83%BD")))
    table = page.get_by_test_id("case-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(table).not_to_contain_text(decoy.number)

    table.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/cases/{number}/$"))

    sheet_link = page.get_by_test_id("sheet-link")
    expect(sheet_link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        sheet_link.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet).to_have_url(re.compile(rf"/cases/{number}/sheet/$"))
    expect(sheet.get_by_test_id("sheet-number")).to_have_text(number)
    expect(sheet.locator("td.content").first).to_have_text(CONTENT)
    expect(sheet.locator("body")).to_contain_text("客户反馈登记表")
    expect(sheet.locator("body")).to_contain_text("137 1111 2222")  # as the agent typed it

    case = Case.objects.select_related("customer").get(number=number)
    assert (case.channel, case.subject, case.content) == (Channel.PHONE, SUBJECT, CONTENT)
    assert (case.registered_by, case.customer.name, case.customer.phone_normalized) == (agent, "刘先生",
                                                                                       "13711112222")
    assert case.is_entry_late is False
    assert Case.objects.count() == 2


def test_tablet_shows_the_whole_entry_form_and_the_language_switcher_changes_the_interface(
    browser: Browser, live_server: Any,
) -> None:
    agent = UserFactory(username="agent-he", role=Role.AGENT, display_name="何坐席")
    width = 768
    page = _open_page(browser, live_server, viewport={"width": width, "height": 1024}, has_touch=True)
    _log_in(page, agent)

    page.goto("/cases/new/")
    expect(page.locator("header.top")).to_have_css("background-color", HEADER_BLUE)
    submit = page.get_by_test_id("submit-case")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    box = submit.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert box["height"] >= 44  # a finger-sized target
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert page.evaluate("window.scrollX") == 0
    overflowing = page.evaluate(
        """(width) => Array.from(document.querySelectorAll(
               '[data-testid=entry-form] input:not([type=hidden]), [data-testid=entry-form] select,'
               + ' [data-testid=entry-form] textarea'))
             .filter((el) => el.getBoundingClientRect().right > width).map((el) => el.name)""",
        width,
    )
    assert overflowing == []

    # The form is usable with touch alone.
    page.fill("#id_customer_name", "何女士")
    page.fill("#id_subject", "门店反馈：烘干机异味")
    page.fill("#id_content", "客户在门店反映新买的烘干机使用时有焦糊味。")
    submit.tap()
    expect(page).to_have_url(CASE_URL)
    expect(page.locator(".messages li.success")).to_be_visible()
    detail_url = page.url

    switcher = page.locator("header.top select[name=language]")
    nav_new_case = page.get_by_test_id("nav-new-case")
    expect(nav_new_case).to_have_text("新建工单")

    switcher.select_option("en")
    expect(nav_new_case).to_have_text("New case")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(detail_url)
    expect(page.locator("button[data-action=accept]")).to_have_text("Accept")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    switcher.select_option("zh-hant")
    expect(nav_new_case).to_have_text("新建工單")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    expect(page).to_have_url(detail_url)

    # The choice sticks: the next page is still in Traditional Chinese.
    page.goto("/cases/new/")
    expect(page.get_by_test_id("nav-new-case")).to_have_text("新建工單")
    expect(page.get_by_test_id("submit-case")).to_be_visible()
