"""Forms of the agent console: they parse and validate input; services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from caseloop.accounts.models import Department, User
from caseloop.cases.choices import CaseStatus, Channel, FeedbackType, Priority, RejectionReason, SpecialGroup
from caseloop.cases.selectors import DEFAULT_SORT, SORTS, CaseFilters

ENTRY_CHANNELS = [
    (Channel.PHONE.value, Channel.PHONE.label),
    (Channel.SERVICE_CENTER.value, Channel.SERVICE_CENTER.label),
    (Channel.STORE.value, Channel.STORE.label),
    (Channel.PAPER.value, Channel.PAPER.label),
]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_LOCAL, **kwargs)


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.MultipleChoiceField(label=_("Status"), choices=CaseStatus.choices, required=False)
    priority = forms.MultipleChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    feedback_type = forms.MultipleChoiceField(label=_("Type"), choices=FeedbackType.choices, required=False)
    channel = forms.MultipleChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True),
                                        required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.filter(is_active=True).order_by("username"),
                                   required=False)
    received_from = forms.DateField(label=_("Received from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)
    late_entry = forms.BooleanField(label=_("Late entries only"), required=False)
    manual_triage = forms.BooleanField(label=_("Awaiting manual classification only"), required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORTS], required=False, initial=DEFAULT_SORT)

    def to_filters(self) -> CaseFilters:
        data = self.cleaned_data if self.is_valid() else {}
        department = data.get("department")
        owner = data.get("owner")
        return CaseFilters(
            statuses=tuple(data.get("status") or ()),
            priorities=tuple(data.get("priority") or ()),
            feedback_types=tuple(data.get("feedback_type") or ()),
            channels=tuple(data.get("channel") or ()),
            department_id=department.pk if department else None,
            owner_id=owner.pk if owner else None,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            is_overdue=bool(data.get("overdue")),
            is_escalated=bool(data.get("escalated")),
            is_entry_late=bool(data.get("late_entry")),
            awaits_manual_triage=bool(data.get("manual_triage")),
            text=data.get("q") or "",
            sort=data.get("sort") or DEFAULT_SORT,
        )


class FastEntryForm(forms.Form):
    """Phone / service centre / store / paper feedback typed in by an agent (R1.1, R1.3)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ENTRY_CHANNELS, initial=Channel.PHONE)
    received_at = forms.DateTimeField(label=_("Time of contact"), input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
                                      widget=DateTimeLocalInput())
    customer_name = forms.CharField(label=_("Customer name"), max_length=120, required=False)
    is_anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    email = forms.EmailField(label=_("E-mail"), required=False)
    member_id = forms.CharField(label=_("Member ID"), max_length=64, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    region = forms.CharField(label=_("Region"), max_length=80, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    content = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))
    expectation = forms.CharField(label=_("Customer expectation"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    feedback_type = forms.ChoiceField(label=_("Feedback type"), choices=[("", "—"), *FeedbackType.choices],
                                      required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.MEDIUM)
    product_model = forms.CharField(label=_("Product model"), max_length=80, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=80, required=False)
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(label=_("Evidence offered"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    special_group = forms.ChoiceField(label=_("Special group (internal)"), choices=SpecialGroup.choices,
                                      required=False)
    needs_cross_department = forms.BooleanField(label=_("Cross-department coordination needed (internal)"),
                                                required=False)
    internal_note = forms.CharField(label=_("Internal note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_contact = any(data.get(name) for name in ("phone", "email", "member_id"))
        if not data.get("is_anonymous") and not has_contact and not data.get("customer_name"):
            raise forms.ValidationError(_("Give the customer's name or a contact, or mark the customer anonymous."))
        received_at = data.get("received_at")
        if isinstance(received_at, dt.datetime) and received_at > timezone.now() + dt.timedelta(minutes=5):
            self.add_error("received_at", _("The time of contact cannot be in the future."))
        return data


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=40)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason_code = forms.ChoiceField(label=_("Rejection reason"), choices=[("", "—"), *RejectionReason.choices],
                                    required=False)
    duplicate_of = forms.CharField(label=_("Original case number"), max_length=32, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class EscalationForm(forms.Form):
    escalated = forms.BooleanField(required=False)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.filter(is_active=True),
                                        required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.filter(is_active=True).order_by("username"),
                                   required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class TriageConfirmForm(forms.Form):
    """The classification & priority sheet (问题分类与优先级确认表)."""

    feedback_type = forms.ChoiceField(label=_("Type"), choices=FeedbackType.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    review = forms.ChoiceField(label=_("Content review"), choices=[])
    domain = forms.ChoiceField(label=_("Problem domain"), choices=[], required=False)
    product_line = forms.ChoiceField(label=_("Product line"), choices=[], required=False)
    demand = forms.ChoiceField(label=_("Core demand"), choices=[], required=False)
    reason = forms.CharField(label=_("Why (required when you change the priority)"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from caseloop.triage import labels

        super().__init__(*args, **kwargs)
        choices: dict[str, list[tuple[str, Any]]] = {"review": list(labels.REVIEW.items()), "domain": [("", "—"), *labels.DOMAIN.items()],
                   "product_line": [("", "—"), *labels.PRODUCT_LINE.items()],
                   "demand": [("", "—"), *labels.DEMAND.items()]}
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options
