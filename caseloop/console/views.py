"""The agent console. Views parse input, call services/selectors, and render; no rules live here."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from caseloop.accounts.models import User
from caseloop.accounts.roles import Capability
from caseloop.cases import workflow
from caseloop.cases.access import access_case, visible_cases
from caseloop.cases.choices import RESOLVED_STATUSES, CaseStatus, Channel
from caseloop.cases.models import Case
from caseloop.cases.selectors import SORTS, case_list, case_timeline
from caseloop.cases.services import (
    CaseRegistration,
    UploadedAttachment,
    case_add_note,
    case_assign,
    case_set_escalated,
    case_transition,
)
from caseloop.console.forms import (
    AssignForm,
    CaseFilterForm,
    EscalationForm,
    FastEntryForm,
    NoteForm,
    TransitionForm,
    TriageConfirmForm,
)
from caseloop.core.errors import ApplicationError, NotFound
from caseloop.core.http import client_ip
from caseloop.customers.models import PersonalDataAccess
from caseloop.customers.personal_data import customer_contact_for, may_see_personal_data
from caseloop.customers.services import CustomerDetails
from caseloop.intake.services import intake_register
from caseloop.triage.models import CaseTriage
from caseloop.triage.services import Confirmation, reject_case, suggested_rejection, triage_confirm


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_or_404(request: HttpRequest, number: str, *, for_update: bool = False) -> Case:
    try:
        return access_case(_user(request), number, for_update=for_update)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
@login_required
def case_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = CaseFilterForm(request.GET or None)
    filters = form.to_filters()
    paginator = Paginator(case_list(user=user, filters=filters), settings.CASELOOP["CASE_LIST_PAGE_SIZE"])
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = request.GET.copy()
    sort_query.pop("sort", None)
    sort_query.pop("page", None)
    return render(request, "console/case_list.html", {
        "form": form,
        "page": page,
        "query_string": query.urlencode(),
        "sort_base": sort_query.urlencode(),
        "sort": filters.sort,
        "sorts": list(SORTS),
        "now": timezone.now(),
        "status_counts": _status_counts(user),
        "may_see_personal_data": may_see_personal_data(user),
    })


def _status_counts(user: User) -> list[tuple[str, str, int]]:
    """Open-work tabs above the list: how many visible cases wait in each active status."""
    active = [CaseStatus.PENDING, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.NEEDS_INFORMATION,
              CaseStatus.AWAITING_APPROVAL, CaseStatus.REOPENED]
    counts = dict(
        visible_cases(user).filter(status__in=active).values_list("status").annotate(n=Count("id")).order_by()
    )
    return [(status.value, str(status.label), counts.get(status.value, 0)) for status in active]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(value: str) -> str:
    """Customer text starting like a formula would run in Excel; a leading quote keeps it text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Echo:
    """A file-like sink for csv.writer that hands each row straight to the streaming response."""

    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
def case_export_view(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed; same visibility rule and filters as the list.

    Contact details are left out on purpose: an export leaves the system, and the minimum
    necessary for reporting is the case itself (R9.3).
    """
    filters = CaseFilterForm(request.GET or None).to_filters()
    cases = case_list(user=_user(request), filters=filters)
    now = timezone.now()

    def rows() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese text correctly
        yield writer.writerow([_("Case number"), _("Subject"), _("Status"), _("Priority"), _("Type"), _("Channel"),
                               _("Department"), _("Owner"), _("Received at"), _("Resolution due"), _("Overdue"),
                               _("Escalated")])
        for case in cases.iterator(chunk_size=2000):
            overdue = bool(case.resolution_due_at and case.resolution_due_at < now and case.status not in
                           RESOLVED_STATUSES)
            yield writer.writerow([
                case.number, _spreadsheet_safe(case.subject), case.get_status_display(), case.get_priority_display(),
                case.get_feedback_type_display(), case.get_channel_display(),
                case.department.name if case.department else "", str(case.owner or ""),
                timezone.localtime(case.received_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(case.resolution_due_at).strftime("%Y-%m-%d %H:%M") if case.resolution_due_at else "",
                _("yes") if overdue else "", _("yes") if case.is_escalated else "",
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cases-{timezone.localtime(now):%Y%m%d-%H%M}.csv"'
    return response


@require_GET
@login_required
def case_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    case = _case_or_404(request, number)
    contact = customer_contact_for(user=user, customer=case.customer, purpose=PersonalDataAccess.Purpose.VIEW,
                                   case_number=case.number, ip_address=client_ip(request))
    actions = workflow.available_actions(case.status, _capabilities(user))
    return render(request, "console/case_detail.html", {
        "case": case,
        "contact": contact,
        "timeline": case_timeline(case),
        "attachments": case.attachments.all(),
        "messages_list": case.messages.select_related("author"),
        "actions": actions,
        "transition_form": TransitionForm(),
        "note_form": NoteForm(),
        "escalation_form": EscalationForm(initial={"escalated": not case.is_escalated}),
        "assign_form": AssignForm(initial={"department": case.department_id, "owner": case.owner_id}),
        "can_note": user.can(Capability.ADD_NOTE),
        "can_escalate": user.can(Capability.ESCALATE),
        "can_assign": user.can(Capability.ASSIGN),
        "duplicates": case.duplicates.only("number", "subject"),
        "now": timezone.now(),
        **_triage_context(user, case),
    })


def _triage_context(user: User, case: Case) -> dict[str, Any]:
    triage = CaseTriage.objects.filter(case=case).select_related("confirmed_by").first()
    if triage is None:
        return {"triage": None}
    result = triage.result
    form = TriageConfirmForm(initial={
        "feedback_type": case.feedback_type or triage.predicted_type, "priority": case.priority,
        "review": triage.review, "domain": result.get("domain", ""), "product_line": result.get("product_line", ""),
        "demand": result.get("demand", ""),
    })
    return {"triage": triage, "triage_form": form,
            "can_confirm_triage": user.can(Capability.EDIT_CASE) or user.can(Capability.REVIEW),
            "show_masked": triage.review == "abuse",
            "suggested_rejection": (suggested_rejection(case, triage)
                                    if user.can(workflow.transition_for(workflow.Action.REJECT).capability) else "")}


@require_POST
@login_required
def case_triage_confirm_view(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    form = TriageConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was incomplete."))
        return redirect(reverse("console:case_detail", args=[case.number]) + "#triage")
    data = form.cleaned_data
    try:
        triage_confirm(case=case, actor=_user(request), confirmation=Confirmation(
            feedback_type=data["feedback_type"], priority=data["priority"], review=data["review"],
            domain=data["domain"], product_line=data["product_line"], demand=data["demand"], reason=data["reason"]))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Classification and priority confirmed."))
    return redirect(reverse("console:case_detail", args=[case.number]) + "#triage")


def _capabilities(user: User) -> list[Capability]:
    return [cap for cap in Capability if user.can(cap)]


@require_POST
@login_required
def case_transition_view(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    case = _case_or_404(request, number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was incomplete."))
        return redirect("console:case_detail", number=case.number)
    data = form.cleaned_data
    try:
        original = None
        if data["action"] == workflow.Action.MARK_DUPLICATE and data["duplicate_of"]:
            original = access_case(user, data["duplicate_of"])
        if data["action"] == workflow.Action.REJECT:
            # Through the one rejection service: the customer is told why (R3.1 reason template).
            reject_case(case=case, actor=user, reason_code=data["reason_code"], note=data["reason"])
        else:
            case_transition(case=case, actor=user, action=data["action"], reason=data["reason"],
                            reason_code=data["reason_code"], duplicate_of=original)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        label = workflow.transition_for(data["action"]).label
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect("console:case_detail", number=case.number)


@require_POST
@login_required
def case_note_view(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_add_note(case=case, actor=_user(request), text=form.cleaned_data["text"])
            messages.success(request, _("Note added."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("The note is empty."))
    return redirect(reverse("console:case_detail", args=[case.number]) + "#timeline")


@require_POST
@login_required
def case_escalate_view(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    form = EscalationForm(request.POST)
    if form.is_valid():
        try:
            case_set_escalated(case=case, actor=_user(request), escalated=form.cleaned_data["escalated"],
                               reason=form.cleaned_data["reason"])
            messages.success(request, _("Escalation updated."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Say why the escalation changes."))
    return redirect("console:case_detail", number=case.number)


@require_POST
@login_required
def case_assign_view(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_or_404(request, number)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            case_assign(case=case, actor=_user(request), department=form.cleaned_data["department"],
                        owner=form.cleaned_data["owner"], reason=form.cleaned_data["reason"])
            messages.success(request, _("Assignment updated."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose a department or an owner."))
    return redirect("console:case_detail", number=case.number)


@login_required
def case_entry_view(request: HttpRequest) -> HttpResponse:
    """Fast entry for phone, service-centre, store and paper feedback."""
    user = _user(request)
    if not user.can(Capability.REGISTER_CASE):
        messages.error(request, _("Your role may not register cases."))
        return redirect("console:case_list")
    if request.method == "POST":
        form = FastEntryForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = intake_register(registration=_registration_from(form, request), registered_by=user)
            except ApplicationError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                case = result.case
                messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
                if result.linked_to is not None:
                    messages.info(request, _(
                        "The same customer raised the same problem as %(number)s recently; this case was linked to it."
                    ) % {"number": result.linked_to.number})
                if case.is_entry_late:
                    messages.warning(request, _(
                        "This entry was recorded more than %(minutes)d minutes after the customer's contact."
                    ) % {"minutes": settings.CASELOOP["MANUAL_ENTRY_LIMIT_MINUTES"]})
                return redirect("console:case_detail", number=case.number)
    else:
        form = FastEntryForm(initial={"received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                                      "channel": Channel.PHONE})
    return render(request, "console/case_entry.html", {
        "form": form,
        "entry_limit_minutes": settings.CASELOOP["MANUAL_ENTRY_LIMIT_MINUTES"],
    })


def _registration_from(form: FastEntryForm, request: HttpRequest) -> CaseRegistration:
    data: dict[str, Any] = form.cleaned_data
    uploads = [
        UploadedAttachment(name=f.name or "attachment", stream=f, size=f.size or 0)
        for f in request.FILES.getlist("attachments")
    ]
    return CaseRegistration(
        channel=data["channel"],
        subject=data["subject"],
        content=data["content"],
        received_at=data["received_at"],
        customer=CustomerDetails(name=data["customer_name"], is_anonymous=data["is_anonymous"], phone=data["phone"],
                                 email=data["email"], address=data["address"], member_id=data["member_id"],
                                 region=data["region"]),
        feedback_type=data["feedback_type"],
        priority=data["priority"],
        expectation=data["expectation"],
        evidence=data["evidence"],
        product_model=data["product_model"],
        serial_number=data["serial_number"],
        order_number=data["order_number"],
        purchase_date=data["purchase_date"],
        special_group=data["special_group"],
        needs_cross_department=data["needs_cross_department"],
        internal_note=data["internal_note"],
        attachments=uploads,
    )


@require_GET
@login_required
def case_sheet_view(request: HttpRequest, number: str) -> HttpResponse:
    """The printable registration sheet (客户反馈登记表, R2.5)."""
    user = _user(request)
    case = _case_or_404(request, number)
    contact = customer_contact_for(user=user, customer=case.customer, purpose=PersonalDataAccess.Purpose.PRINT,
                                   case_number=case.number, ip_address=client_ip(request))
    return render(request, "console/registration_sheet.html", {
        "case": case,
        "contact": contact,
        "attachments": case.attachments.all(),
        "printed_at": timezone.now(),
        "printed_by": user,
    })


@require_GET
@login_required
def attachment_download_view(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    case = _case_or_404(request, number)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(_("Attachment not found."))
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def index_view(request: HttpRequest) -> HttpResponseRedirect:
    return redirect("console:case_list")

