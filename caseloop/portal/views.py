"""The customer pages: the public feedback form (also as a kiosk) and case tracking.

Views parse input, apply the rules of spam.py / ratelimit.py, call the services and render.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from caseloop.cases.models import Case
from caseloop.cases.services import UploadedAttachment
from caseloop.core import clock, ratelimit
from caseloop.core.errors import ApplicationError
from caseloop.core.http import client_ip
from caseloop.portal import policy, spam
from caseloop.portal.forms import ACCEPT_ATTRIBUTE, CustomerMessageForm, FeedbackForm, TrackForm
from caseloop.portal.services import WebFeedback, portal_add_customer_message, portal_submit_feedback
from caseloop.portal.tracking import find_tracked_case, public_messages, public_timeline, status_explanation

_RESULT_KEY = "portal_submission"  # the number and tracking code, until the result page shows them once
_TRACK_KEY = "portal_tracked_case"  # the case a successful look-up opened in this browser session
# Multipart framing and the text fields on top of the files themselves.
_REQUEST_OVERHEAD_BYTES = 1024 * 1024


def _client_ip(request: HttpRequest) -> str:
    return client_ip(request) or "unknown"


def _is_kiosk(request: HttpRequest, kiosk: bool) -> bool:
    return kiosk or request.GET.get("kiosk") == "1"


# --- The feedback form ---------------------------------------------------------------------------


@csrf_exempt  # CSRF is checked by _feedback_post, after the size check (which must not read the body)
@never_cache
def feedback_view(request: HttpRequest, kiosk: bool = False) -> HttpResponse:
    kiosk = _is_kiosk(request, kiosk)
    if request.method == "POST":
        if _declared_length(request) > policy.value("PORTAL_UPLOAD_TOTAL_BYTES") + _REQUEST_OVERHEAD_BYTES:
            limit_mb = policy.value("PORTAL_UPLOAD_TOTAL_BYTES") / 1024 / 1024
            return _render_form(request, FeedbackForm(), kiosk=kiosk, status=413,
                                error=_("All files together may be at most %(limit).0f MB.") % {"limit": limit_mb})
        return _feedback_post(request, kiosk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return _render_form(request, FeedbackForm(), kiosk=kiosk)


@csrf_protect
def _feedback_post(request: HttpRequest, kiosk: bool) -> HttpResponse:
    verdict = ratelimit.hit(policy.submissions_per_ip(), _client_ip(request))
    form = FeedbackForm(request.POST, request.FILES)
    if not verdict.allowed:
        return _too_many(request, form, kiosk, verdict,
                         _("Too many submissions from your network. Please try again in %(minutes)d minutes."))
    try:
        spam.check_honeypot(request.POST.get("website", ""))
    except spam.SubmissionRefused as exc:
        return _render_form(request, FeedbackForm(), kiosk=kiosk, status=400, error=exc.message)
    if not form.is_valid():
        return _render_form(request, form, kiosk=kiosk, status=400)
    try:
        spam.check_form_stamp(request.POST.get("form_stamp", ""), min_seconds=policy.value("PORTAL_MIN_FILL_SECONDS"),
                              max_age_seconds=policy.value("PORTAL_FORM_MAX_AGE_SECONDS"))
    except spam.FormStampInvalid as exc:
        return _render_form(request, form, kiosk=kiosk, status=400, error=exc.message)
    # Every contact point is counted, so that writing the phone instead of the e-mail does not help.
    verdicts = [ratelimit.hit(policy.submissions_per_contact(), key) for key in form.contact_keys()]
    for verdict in verdicts:
        if not verdict.allowed:
            return _too_many(request, form, kiosk, verdict, _(
                "We have already received several submissions from this contact. Please try again in %(minutes)d "
                "minutes, or follow your earlier case with its tracking code."))
    data: dict[str, Any] = form.cleaned_data
    feedback = WebFeedback(
        subject=data["subject"], content=data["content"], name=data["name"], phone=data["phone"], email=data["email"],
        is_anonymous=data["is_anonymous"], product_model=data["product_model"], order_number=data["order_number"],
        attachments=tuple(UploadedAttachment(name=f.name or "attachment", stream=f, size=f.size or 0)
                          for f in data["attachments"]),
    )
    try:
        result = portal_submit_feedback(feedback=feedback)
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_form(request, form, kiosk=kiosk, status=400)
    request.session[_RESULT_KEY] = {
        "number": result.case.number,
        "code": result.tracking_code,
        "kiosk": kiosk,
        "is_acknowledged_by_email": bool(feedback.email) and not feedback.is_anonymous,
        "is_anonymous": feedback.is_anonymous,
    }
    return redirect(reverse("portal:feedback_done") + ("?kiosk=1" if kiosk else ""))


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_many(request: HttpRequest, form: FeedbackForm, kiosk: bool, verdict: ratelimit.Verdict,
              message: str) -> HttpResponse:
    minutes = max(1, -(-verdict.retry_after_seconds // 60))
    response = _render_form(request, form, kiosk=kiosk, status=429, error=message % {"minutes": minutes})
    response["Retry-After"] = str(verdict.retry_after_seconds)
    return response


def _render_form(request: HttpRequest, form: FeedbackForm, *, kiosk: bool, status: int = 200,
                 error: str = "") -> HttpResponse:
    return render(request, "portal/feedback_form.html", {
        "form": form,
        "form_stamp": spam.issue_form_stamp(),
        "kiosk": kiosk,
        "error": error,
        "accept": ACCEPT_ATTRIBUTE,
        "max_total_bytes": policy.value("PORTAL_UPLOAD_TOTAL_BYTES"),
        "max_total_mb": round(policy.value("PORTAL_UPLOAD_TOTAL_BYTES") / 1024 / 1024),
        "max_file_mb": round(settings.CASELOOP["ATTACHMENT_MAX_BYTES"] / 1024 / 1024),
        "max_files": policy.value("PORTAL_ATTACHMENTS_PER_SUBMISSION"),
        "kiosk_idle_seconds": policy.value("PORTAL_KIOSK_IDLE_SECONDS"),
    }, status=status)


@never_cache
def feedback_done_view(request: HttpRequest) -> HttpResponse:
    """The case number and tracking code, shown once: the session forgets them as the page renders."""
    result = request.session.pop(_RESULT_KEY, None)
    kiosk = _is_kiosk(request, False)
    if not result:
        return redirect(reverse("portal:feedback_kiosk") if kiosk else reverse("portal:feedback"))
    return render(request, "portal/feedback_done.html", {
        "result": result,
        "kiosk": bool(result.get("kiosk")),
        "kiosk_result_seconds": policy.value("PORTAL_KIOSK_RESULT_SECONDS"),
    })


# --- Tracking ------------------------------------------------------------------------------------


@never_cache
def track_view(request: HttpRequest) -> HttpResponse:
    """Number + code → the case. A wrong number and a wrong code get the very same answer."""
    if request.method == "POST":
        return _track_lookup(request)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    case = _tracked_case(request)
    if case is None:
        return _render_track_form(request, TrackForm())
    return render(request, "portal/track_case.html", {
        "case": case,
        "status_label": case.get_status_display(),
        "status_explanation": status_explanation(case.status),
        "timeline": public_timeline(case),
        "messages_list": public_messages(case),
        "message_form": CustomerMessageForm(),
    })


def _track_lookup(request: HttpRequest) -> HttpResponse:
    ip = _client_ip(request)
    limit = policy.track_failures_per_ip()
    verdict = ratelimit.peek(limit, ip)
    if not verdict.allowed:
        minutes = max(1, -(-verdict.retry_after_seconds // 60))
        response = _render_track_form(request, TrackForm(), status=429, error=_(
            "Too many attempts. Please try again in %(minutes)d minutes.") % {"minutes": minutes})
        response["Retry-After"] = str(verdict.retry_after_seconds)
        return response
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _render_track_form(request, form, status=400)
    case = find_tracked_case(form.cleaned_data["number"], form.cleaned_data["code"])
    if case is None:
        ratelimit.hit(limit, ip)
        request.session.pop(_TRACK_KEY, None)
        # A fresh, empty form: echoing what was typed would tell a wrong number from a wrong code apart.
        return _render_track_form(request, TrackForm(), status=200, error=_(
            "We could not find a case with this number and tracking code. Please check both and try again."))
    request.session.cycle_key()
    request.session[_TRACK_KEY] = {"case": case.pk,
                                   "until": clock.now().timestamp() + policy.value("PORTAL_TRACK_SESSION_SECONDS")}
    return redirect("portal:track")


def _render_track_form(request: HttpRequest, form: TrackForm, *, status: int = 200, error: str = "") -> HttpResponse:
    return render(request, "portal/track_form.html", {"form": form, "error": error}, status=status)


def _tracked_case(request: HttpRequest) -> Case | None:
    opened = request.session.get(_TRACK_KEY)
    if not opened or opened.get("until", 0) < clock.now().timestamp():
        request.session.pop(_TRACK_KEY, None)
        return None
    return Case.objects.filter(pk=opened["case"]).first()


@require_POST
def track_forget_view(request: HttpRequest) -> HttpResponse:
    request.session.pop(_TRACK_KEY, None)
    return redirect("portal:track")


@require_POST
def track_message_view(request: HttpRequest) -> HttpResponse:
    case = _tracked_case(request)
    if case is None:
        return redirect("portal:track")
    form = CustomerMessageForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(reverse("portal:track") + "#messages")
    verdict = ratelimit.hit(policy.messages_per_case(), case.number)
    if not verdict.allowed:
        messages.error(request, _("You have sent many messages recently. Please wait a while before writing again."))
        return redirect(reverse("portal:track") + "#messages")
    portal_add_customer_message(case=case, body=form.cleaned_data["body"])
    messages.success(request, _("Your message has been sent."))
    return redirect(reverse("portal:track") + "#messages")
