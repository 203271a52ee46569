"""A customer's round in a real browser: submit the public form with a photo, read the case number
and tracking code from the result page, follow the case at /track/; and the form on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect
from pytest_django import Settings

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case
from tests.portal.helpers import png_bytes

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
SUBJECT = "空调外机噪音过大"
CONTENT = "新装的空调外机运行时噪音很大，晚上影响休息，附上外机照片，希望安排师傅检查。"


@pytest.fixture(autouse=True)
def _fresh_limits(settings: Settings) -> None:
    cache.clear()  # rate-limit counters of earlier tests must not leak in
    # A person needs longer than this; the check itself is the same as in production.
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_MIN_FILL_SECONDS": 1}


def _open_page(browser: Browser, live_server: Any, **context_options: Any) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **context_options)
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context.new_page()


def test_a_customer_submits_the_form_with_a_photo_and_follows_the_case(browser: Browser, live_server: Any) -> None:
    page = _open_page(browser, live_server)

    page.goto("/feedback/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#id_website")).not_to_be_in_viewport()  # the honeypot is out of sight
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_content", CONTENT)
    page.fill("#id_product_model", "KFR-35GW")
    page.fill("#id_name", "赵先生")
    page.fill("#id_phone", "139 1234 5678")
    page.fill("#id_email", "zhao@example.cn")
    page.set_input_files("#id_attachments", files=[
        {"name": "outdoor-unit.png", "mimeType": "image/png", "buffer": png_bytes(64, 48)},
    ])
    expect(page.locator("[data-file-total]")).to_be_visible()
    page.wait_for_timeout(1100)  # the minimum fill time
    page.get_by_test_id("submit-feedback").click()

    expect(page).to_have_url(re.compile(r"/feedback/done/$"))
    number = page.get_by_test_id("case-number").inner_text().strip()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"CF\d{12}", number)
    assert re.fullmatch(r"[2-9A-Z]{8}", code)
    case = Case.objects.get(number=number)
    assert case.channel == Channel.WEB
    assert [a.original_name for a in case.attachments.all()] == ["outdoor-unit.png"]

    page.get_by_test_id("go-track").click()
    expect(page).to_have_url(re.compile(r"/track/$"))
    page.fill("#id_number", number)
    page.fill("#id_code", code.lower())
    page.get_by_test_id("submit-track").click()

    expect(page.get_by_test_id("tracked-number")).to_have_text(number)
    expect(page.get_by_test_id("case-status")).to_have_text("待处理")  # CaseStatus.PENDING in zh-hans
    expect(page.locator("h1.subject")).to_have_text(SUBJECT)
    expect(page.get_by_test_id("timeline").locator("li")).to_have_count(2)  # received, attachment added


def test_anonymous_hides_the_contact_fields_on_a_phone(browser: Browser, live_server: Any) -> None:
    page = _open_page(browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)

    page.goto("/feedback/")
    page.check("#id_is_anonymous")

    expect(page.locator("#id_phone")).to_be_disabled()
    expect(page.locator("#id_email")).to_be_disabled()
    # One column on a phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#id_subject", "门店服务态度很好")
    page.fill("#id_content", "想表扬一下门店的小李，耐心帮我挑选了合适的型号。")
    page.wait_for_timeout(1100)
    page.get_by_test_id("submit-feedback").click()

    expect(page.get_by_test_id("tracking-code")).to_be_visible()
    assert Case.objects.get().customer.is_anonymous
