"""The public feedback form through Django's test client: the happy path and every refusal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from caseloop.cases.choices import Channel, EventKind
from caseloop.cases.models import Case, CaseAttachment
from caseloop.customers.models import Customer
from caseloop.intake.services import tracking_code_matches
from caseloop.notify.models import OutboxMessage
from tests.portal.helpers import EXE_BYTES, feedback_data, png_bytes, stamp_issued

pytestmark = pytest.mark.django_db

FORM_URL = reverse("portal:feedback")
KIOSK_URL = reverse("portal:feedback_kiosk")
DONE_URL = reverse("portal:feedback_done")
SCRIPT = "<script>alert(1)</script>"


def _submit(client: Client, url: str = FORM_URL, **overrides: Any) -> Any:
    return client.post(url, feedback_data(**overrides), follow=True)


def _receipt(html: str) -> tuple[str, str]:
    number = re.search(r'data-testid="case-number">([^<]+)<', html)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', html)
    assert number, html
    assert code, html
    return number.group(1), code.group(1)


def _nothing_created() -> None:
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    assert CaseAttachment.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_the_form_is_chinese_by_default_and_switches_to_english_by_cookie(client: Client) -> None:
    response = client.get(FORM_URL)

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'name="form_stamp"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="viewport"' in html
    client.cookies["django_language"] = "en"
    assert "Submit feedback" in client.get(FORM_URL).content.decode()


def test_a_submission_registers_a_web_case_through_intake_and_shows_its_number_and_code_once(client: Client) -> None:
    response = _submit(client, attachments=SimpleUploadedFile("fridge.png", png_bytes(), "image/png"))

    assert response.redirect_chain == [(DONE_URL, 302)]
    number, code = _receipt(response.content.decode())
    case = Case.objects.get()
    assert case.number == number
    assert case.channel == Channel.WEB
    assert case.subject == "冰箱冷藏室不制冷"
    assert case.order_number == "JD20240611001"
    assert case.product_description == "BCD-520W"
    assert case.customer.phone_normalized == "13800138000"
    assert case.customer.email == "lin@example.cn"
    assert case.registered_by is None
    assert tracking_code_matches(case, code)
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.content_type) == ("fridge.png", "image/png")
    assert [e.kind for e in case.events.all()] == [EventKind.CREATED, EventKind.ATTACHMENT_ADDED]
    ack = OutboxMessage.objects.get()
    assert ack.recipient == "lin@example.cn"
    assert code in ack.body
    # Shown once: the session forgets the code as the page renders.
    again = client.get(DONE_URL)
    assert again.status_code == 302
    assert code not in client.get(FORM_URL).content.decode()


def test_the_result_page_is_never_cached(client: Client) -> None:
    response = client.post(FORM_URL, feedback_data())
    done = client.get(response["Location"])

    assert "no-store" in done["Cache-Control"]


def test_missing_contact_is_refused_with_a_clear_message(client: Client) -> None:
    response = _submit(client, phone="", email="")

    assert response.status_code == 400
    assert "errors" in response.content.decode()
    assert response.context["form"].has_error("phone")
    _nothing_created()


def test_missing_subject_is_refused(client: Client) -> None:
    response = _submit(client, subject="  ")

    assert response.status_code == 400
    assert response.context["form"].has_error("subject")
    _nothing_created()


def test_an_e_mail_address_alone_is_enough_contact(client: Client) -> None:
    _submit(client, phone="")

    assert Case.objects.get().customer.email == "lin@example.cn"


def test_a_filled_honeypot_is_refused_and_nothing_is_created(client: Client) -> None:
    response = _submit(client, website="http://cheap.example")

    assert response.status_code == 400
    _nothing_created()


def test_a_form_submitted_within_a_second_is_refused_and_keeps_the_entries(client: Client) -> None:
    response = _submit(client, form_stamp=stamp_issued(0.5))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="form-error"' in html
    assert "冰箱冷藏室不制冷" in html  # the person need not type it again
    _nothing_created()


def test_a_forged_form_stamp_is_refused(client: Client) -> None:
    response = _submit(client, form_stamp="eyJ0IjowfQ:forged")

    assert response.status_code == 400
    _nothing_created()


def test_link_spam_is_refused(client: Client) -> None:
    response = _submit(client, content="特价 https://a.example https://b.example https://c.example https://d.example")

    assert response.status_code == 400
    assert response.context["form"].has_error("content")
    _nothing_created()


def test_repeated_characters_are_refused(client: Client) -> None:
    response = _submit(client, subject="差" * 30)

    assert response.status_code == 400
    assert response.context["form"].has_error("subject")
    _nothing_created()


def test_submissions_from_one_ip_are_limited_with_429_in_the_persons_language(
    client: Client, settings: Settings,
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_SUBMISSIONS_PER_IP": 2, "PORTAL_SUBMISSIONS_PER_CONTACT": 99}
    for n in range(2):
        assert _submit(client, subject=f"问题{n}", email=f"c{n}@example.cn", phone="").status_code == 200

    client.cookies["django_language"] = "en"
    refused = client.post(FORM_URL, feedback_data(subject="第三个问题", email="c3@example.cn", phone=""))

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many submissions from your network" in refused.content.decode()
    assert Case.objects.count() == 2
    # Another address is not affected.
    other = client.post(FORM_URL, feedback_data(email="c4@example.cn", phone=""), REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 302


def test_submissions_for_one_contact_are_limited_whatever_the_ip(client: Client, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_SUBMISSIONS_PER_CONTACT": 2}
    for n in range(2):
        response = client.post(FORM_URL, feedback_data(subject=f"问题{n}"), REMOTE_ADDR=f"10.0.0.{n}")
        assert response.status_code == 302

    # The same phone written differently is the same contact.
    refused = client.post(FORM_URL, feedback_data(subject="第三次", phone="+86 13800138000", email=""),
                          REMOTE_ADDR="10.0.0.9")

    assert refused.status_code == 429
    assert Case.objects.count() == 2


@pytest.mark.parametrize(("name", "content"), [
    ("setup.exe", EXE_BYTES),
    ("photo.jpg", EXE_BYTES),
    ("script.html", b"<html><script>alert(1)</script></html>"),
])
def test_a_forbidden_attachment_is_refused_and_nothing_is_created(client: Client, name: str, content: bytes) -> None:
    response = _submit(client, attachments=SimpleUploadedFile(name, content))

    assert response.status_code == 400
    assert response.context["form"].has_error("attachments")
    _nothing_created()


def test_an_oversize_attachment_is_refused_and_nothing_is_created(client: Client, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENT_MAX_BYTES": 1024}
    big = png_bytes() + b"\x00" * 2048

    response = _submit(client, attachments=SimpleUploadedFile("big.png", big, "image/png"))

    assert response.status_code == 400
    assert response.context["form"].has_error("attachments")
    _nothing_created()


def test_files_over_the_total_upload_size_are_refused(client: Client, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_UPLOAD_TOTAL_BYTES": 4 * 1024 * 1024}
    part = png_bytes() + b"\x00" * (1536 * 1024)  # each well under the per-file limit

    response = _submit(client, attachments=[SimpleUploadedFile(f"p{n}.png", part, "image/png") for n in range(3)])

    assert response.status_code == 400
    assert response.context["form"].has_error("attachments")
    _nothing_created()


def test_a_request_declaring_more_than_the_total_is_refused_before_its_body_is_read(
    client: Client, settings: Settings,
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_UPLOAD_TOTAL_BYTES": 1024}
    part = png_bytes() + b"\x00" * (2 * 1024 * 1024)

    response = client.post(FORM_URL, feedback_data(attachments=SimpleUploadedFile("p.png", part, "image/png")))

    assert response.status_code == 413
    _nothing_created()


def test_the_form_needs_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(FORM_URL, feedback_data())

    assert response.status_code == 403
    _nothing_created()


def test_an_anonymous_submission_keeps_no_contact_and_sends_no_mail(client: Client) -> None:
    response = _submit(client, is_anonymous="on", name="", phone="", email="")

    assert response.status_code == 200
    number, code = _receipt(response.content.decode())
    case = Case.objects.get(number=number)
    assert case.customer.is_anonymous
    assert (case.customer.name, case.customer.phone, case.customer.email) == ("", "", "")
    assert tracking_code_matches(case, code)
    assert OutboxMessage.objects.count() == 0


def test_contact_details_typed_before_ticking_anonymous_are_not_kept(client: Client) -> None:
    _submit(client, is_anonymous="on")

    customer = Case.objects.get().customer
    assert customer.is_anonymous
    assert (customer.name, customer.phone, customer.email) == ("", "", "")
    assert OutboxMessage.objects.count() == 0


def test_customer_text_is_escaped_on_the_form_and_the_result_page(client: Client) -> None:
    refused = _submit(client, subject=SCRIPT, phone="", email="")  # re-rendered with the entries
    assert SCRIPT not in refused.content.decode()
    assert "&lt;script&gt;" in refused.content.decode()

    response = _submit(client, subject=SCRIPT, content=f"{SCRIPT} 冰箱坏了", name=SCRIPT)

    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    assert Case.objects.get().subject == SCRIPT  # stored verbatim, escaped on output


def test_the_kiosk_page_has_large_targets_no_way_out_and_resets_itself(client: Client) -> None:
    response = client.get(KIOSK_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<body class="kiosk"' in html
    assert f'data-kiosk-reset-url="{KIOSK_URL}"' in html
    assert 'data-kiosk-idle-seconds="120"' in html
    assert 'autocomplete="off"' in html
    assert reverse("portal:track") not in html  # no navigation away
    assert 'type="file"' not in html
    css = client.get("/static/portal/portal.css")
    css_text = b"".join(css.streaming_content).decode() if css.streaming else css.content.decode()
    assert "body.kiosk button, body.kiosk .button { min-height:72px" in css_text
    js = client.get("/static/portal/portal.js")
    js_text = b"".join(js.streaming_content).decode() if js.streaming else js.content.decode()
    assert "window.location.replace(resetUrl)" in js_text


def test_the_query_flag_also_turns_on_kiosk_mode(client: Client) -> None:
    html = client.get(FORM_URL + "?kiosk=1").content.decode()

    assert '<body class="kiosk"' in html
    assert 'action="/feedback/?kiosk=1"' in html


def test_after_a_kiosk_submission_the_result_page_resets_to_a_blank_kiosk_form(client: Client) -> None:
    response = _submit(client, url=KIOSK_URL)

    html = response.content.decode()
    assert response.redirect_chain == [(DONE_URL + "?kiosk=1", 302)]
    assert 'data-kiosk-always' in html
    assert f'href="{KIOSK_URL}" data-kiosk-finish' in html
    assert 'data-testid="go-track"' not in html
    # Reloading the result page shows no code any more and lands on the blank kiosk form.
    assert client.get(DONE_URL + "?kiosk=1")["Location"] == KIOSK_URL
