"""Writes to cases. Every use case is one transaction; every change appends a timeline event.

Nothing else assigns `Case.status`: `case_transition` applies the table in workflow.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Capability
from caseloop.cases import search, workflow
from caseloop.cases.attachments import check_attachment
from caseloop.cases.choices import (
    MANUAL_CHANNELS,
    CaseStatus,
    Channel,
    EventKind,
    FeedbackType,
    MessageDirection,
    Priority,
    SpecialGroup,
)
from caseloop.cases.models import Case, CaseAttachment, CaseEvent, CaseMessage, CaseSearchDocument
from caseloop.cases.numbering import allocate_case_number
from caseloop.core import clock
from caseloop.core.bulk_insert import insert_new
from caseloop.core.errors import ApplicationError, PermissionDenied
from caseloop.customers.services import CustomerDetails, customer_resolve
from caseloop.products.models import Order, Product
from caseloop.sla import deadlines

# Clocks of different machines disagree a little; a contact time this far ahead is still accepted.
ALLOWED_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class UploadedAttachment:
    name: str
    stream: IO[bytes]
    size: int
    description: str = ""


@dataclass(frozen=True)
class CaseRegistration:
    """Everything an intake channel or an agent knows when a case is registered (R2.2)."""

    channel: str
    subject: str
    content: str
    received_at: dt.datetime
    customer: CustomerDetails
    feedback_type: str = ""
    priority: str = Priority.MEDIUM
    expectation: str = ""
    evidence: str = ""
    product_id: int | None = None
    product_model: str = ""
    product_description: str = ""
    serial_number: str = ""
    purchase_date: dt.date | None = None
    purchase_voucher_number: str = ""
    service_name: str = ""
    order_number: str = ""
    problem_occurred_at: dt.datetime | None = None
    problem_location: str = ""
    repair_date: dt.date | None = None
    repair_location: str = ""
    repair_technician_code: str = ""
    repair_work_done: str = ""
    special_group: str = ""
    needs_cross_department: bool = False
    department_id: int | None = None
    external_id: str = ""
    internal_note: str = ""
    attachments: list[UploadedAttachment] = field(default_factory=list)

    @property
    def needs_savepoint(self) -> bool:
        """Attachments are checked and stored after the case row exists. A caller that catches
        their refusal inside its own transaction (a console form, a test) can only go on when a
        savepoint undoes the rest; without attachments nothing refuses a registration that far in."""
        return bool(self.attachments)


@dataclass(frozen=True)
class RegistrationResult:
    case: Case
    created: bool  # False: the channel's external ID was seen before and that case is returned


def case_register(
    *, registration: CaseRegistration, registered_by: User | None,
    before_numbering: Callable[[Case], None] | None = None,
) -> RegistrationResult:
    """Register a case from any channel: number, customer, deadlines, search index, first event.

    A registration whose (channel, external_id) was registered before returns the first case,
    so a channel that retries never creates two.

    The number is taken last: the day's counter row stays locked from then until commit, and every
    concurrent registration waits for it, so everything that can happen first does — including the
    caller's `before_numbering(case)` work (the case then has a provisional number that no other
    transaction ever sees).
    """
    reg = registration
    validate_registration(reg)
    recorded_at = clock.now()
    # Savepoints are a fifth of a registration's statements: only where an error may be caught.
    with transaction.atomic(savepoint=reg.needs_savepoint):
        if reg.external_id:
            existing = Case.objects.filter(channel=reg.channel, external_id=reg.external_id).first()
            if existing is not None:
                return RegistrationResult(case=existing, created=False)
        try:
            # With an external ID, a savepoint: when a concurrent registration of the same ID commits
            # first (PostgreSQL), its number, customer and case roll back here and the first case is
            # returned. Without one there is no such conflict to recover from.
            with transaction.atomic(savepoint=bool(reg.external_id)):
                case = _create_case(reg, registered_by=registered_by, recorded_at=recorded_at)
                if before_numbering is not None:
                    before_numbering(case)
                _assign_number(case)
                for upload in reg.attachments:  # stored under the case's number
                    _store_attachment(case, upload, actor=registered_by)
        except IntegrityError:
            existing = (Case.objects.filter(channel=reg.channel, external_id=reg.external_id).first()
                        if reg.external_id else None)
            if existing is None:
                raise
            return RegistrationResult(case=existing, created=False)
    return RegistrationResult(case=case, created=True)


def _create_case(reg: CaseRegistration, *, registered_by: User | None, recorded_at: dt.datetime) -> Case:
    """Everything a new case is made of; call inside the registering transaction."""
    customer = customer_resolve(reg.customer)
    product = _product_for(reg)
    order = Order.objects.filter(order_number=reg.order_number.strip()).first() if reg.order_number else None
    first_response_due_at = deadlines.first_response_due(reg.received_at)
    product_description = reg.product_description.strip() or (str(product) if product else reg.product_model)
    # Segmenting the text (jieba) is pure CPU: done before the number is allocated, because the
    # counter row stays locked until commit and every concurrent registration waits on it.
    terms = search.index_terms(reg.subject.strip(), reg.content.strip(), product_description, reg.order_number.strip())
    case = insert_new(Case(
        number=f"~{uuid.uuid4().hex[:30]}",  # provisional until _assign_number
        status=CaseStatus.PENDING,
        channel=reg.channel,
        feedback_type=reg.feedback_type,
        priority=reg.priority or Priority.MEDIUM,
        external_id=reg.external_id.strip(),
        subject=reg.subject.strip(),
        content=reg.content.strip(),
        expectation=reg.expectation.strip(),
        evidence=reg.evidence.strip(),
        customer=customer,
        product=product,
        product_description=product_description,
        serial_number=reg.serial_number.strip(),
        purchase_date=reg.purchase_date or (order.purchase_date if order else None),
        purchase_voucher_number=reg.purchase_voucher_number.strip(),
        service_name=reg.service_name.strip(),
        order=order,
        order_number=reg.order_number.strip(),
        problem_occurred_at=reg.problem_occurred_at,
        problem_location=reg.problem_location.strip(),
        repair_date=reg.repair_date,
        repair_location=reg.repair_location.strip(),
        repair_technician_code=reg.repair_technician_code.strip(),
        repair_work_done=reg.repair_work_done.strip(),
        received_at=reg.received_at,
        recorded_at=recorded_at,
        is_entry_late=is_entry_late(channel=reg.channel, received_at=reg.received_at, recorded_at=recorded_at),
        registered_by=registered_by,
        department_id=reg.department_id,
        first_response_due_at=first_response_due_at,
        resolution_due_at=deadlines.resolution_due(first_response_due_at, reg.priority, clock.organisation_zone()),
        special_group=reg.special_group,
        needs_cross_department=reg.needs_cross_department,
    ))
    # A new case has no search document yet: a plain insert, not update_or_create's lookup.
    insert_new(CaseSearchDocument(case=case, words=terms.words, grams=terms.grams))
    _record(case, EventKind.CREATED, actor=registered_by, at=recorded_at, to_status=case.status,
            is_internal=False, changes={"channel": [None, case.channel], "received_at": [None, reg.received_at.isoformat()]})
    if reg.internal_note.strip():
        _record(case, EventKind.NOTE, actor=registered_by, reason=reg.internal_note.strip())
    return case


def _assign_number(case: Case) -> None:
    number = allocate_case_number(prefix=settings.CASELOOP["CASE_NUMBER_PREFIX"], day=clock.local_date(case.recorded_at))
    # Every registration waits for the day's counter while this runs, up to commit: a plain
    # statement, not a queryset compiled on every call.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET number = %s WHERE id = %s", [number, case.pk])
    case.number = number


def is_entry_late(*, channel: str, received_at: dt.datetime, recorded_at: dt.datetime) -> bool:
    """R1.3: manual channels are due within 30 minutes of contact, system channels within 5.

    Imported cases were entered in another system; their entry delay is not ours to measure.
    """
    if channel == Channel.IMPORT:
        return False
    key = "MANUAL_ENTRY_LIMIT_MINUTES" if channel in MANUAL_CHANNELS else "SYSTEM_ENTRY_LIMIT_MINUTES"
    return recorded_at - received_at > dt.timedelta(minutes=settings.CASELOOP[key])


def case_transition(
    *,
    case: Case,
    actor: User | None,
    action: str,
    reason: str = "",
    reason_code: str = "",
    duplicate_of: Case | None = None,
) -> Case:
    """Move a case through the state machine; the only writer of `Case.status`.

    `actor=None` means the system itself (sweeps, intake rules) and skips the capability check.
    Locks the case row so that two people acting at once are applied one after the other.
    """
    transition = workflow.transition_for(action)
    if actor is not None and not actor.can(transition.capability):
        raise PermissionDenied(_("Your role may not “%(action)s”.") % {"action": transition.label})
    reason = reason.strip()
    if transition.requires_reason and not reason:
        raise ApplicationError(_("“%(action)s” needs a reason.") % {"action": transition.label}, code="reason_required",
                               field="reason")
    if transition.reason_codes and reason_code not in transition.reason_codes:
        raise ApplicationError(_("Choose why the case is rejected."), code="reason_code_required", field="reason_code")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        target = workflow.next_status(action, locked.status, locked.status_before_pause)
        now = clock.now()
        before = locked.status
        updates: dict[str, Any] = {"status": target}
        if transition.is_pause:
            updates["status_before_pause"] = before
        if transition.target == workflow.PREVIOUS_STATUS:
            updates["status_before_pause"] = ""
        if action == workflow.Action.HOLD:
            updates["hold_reason"] = reason
        elif action == workflow.Action.RESUME:
            updates["hold_reason"] = ""
        elif action == workflow.Action.REJECT:
            updates["rejection_reason"] = reason_code
        elif action == workflow.Action.MARK_DUPLICATE:
            updates["duplicate_of"] = _check_original(locked, duplicate_of)
        elif action == workflow.Action.RESTORE:
            updates.update(rejection_reason="", duplicate_of=None)
        elif action == workflow.Action.RESOLVE:
            updates["resolved_at"] = now
        elif action in (workflow.Action.CLOSE, workflow.Action.CLOSE_PENDING_FOLLOW_UP):
            updates["closed_at"] = now
        elif action == workflow.Action.REOPEN:
            updates.update(resolved_at=None, closed_at=None)
        for name, value in updates.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*updates, "updated_at"])
        changes = {}
        if "duplicate_of" in updates and updates["duplicate_of"] is not None:
            changes["duplicate_of"] = [None, updates["duplicate_of"].number]
        _record(locked, EventKind.STATUS_CHANGED, actor=actor, at=now, action=str(action), from_status=before,
                to_status=target, reason=reason, reason_code=reason_code, changes=changes, is_internal=False)
    return locked


def _check_original(case: Case, original: Case | None) -> Case:
    if original is None:
        raise ApplicationError(_("Name the original case this one duplicates."), code="original_required",
                               field="duplicate_of")
    if original.pk == case.pk:
        raise ApplicationError(_("A case cannot duplicate itself."), code="original_invalid", field="duplicate_of")
    if original.status == CaseStatus.DUPLICATE:
        raise ApplicationError(
            _("%(number)s is itself a duplicate; link to its original %(original)s instead.")
            % {"number": original.number, "original": original.duplicate_of.number if original.duplicate_of else "?"},
            code="original_invalid", field="duplicate_of",
        )
    return original


# Fields a person may correct after registration, and who may.
EDITABLE_FIELDS = (
    "subject", "feedback_type", "priority", "expectation", "evidence", "product_description", "serial_number",
    "purchase_date", "purchase_voucher_number", "service_name", "order_number", "problem_occurred_at",
    "problem_location", "repair_date", "repair_location", "repair_technician_code", "repair_work_done",
    "special_group", "needs_cross_department",
)


def case_update_fields(*, case: Case, actor: User, changes: dict[str, Any], reason: str = "") -> Case:
    """Correct registered fields; records each field's before and after. Content stays verbatim."""
    if not actor.can(Capability.EDIT_CASE):
        raise PermissionDenied(_("Your role may not edit cases."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               code="field_not_editable")
    _check_choice("feedback_type", changes, FeedbackType.values, allow_blank=True)
    _check_choice("priority", changes, Priority.values)
    _check_choice("special_group", changes, SpecialGroup.values, allow_blank=True)
    if "subject" in changes and not str(changes["subject"]).strip():
        raise ApplicationError(_("The subject cannot be empty."), code="required", field="subject")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        diff = _apply_changes(locked, changes)
        if diff:
            # Corrections are staff business; the customer sees outcomes, not our bookkeeping.
            _record(locked, EventKind.FIELDS_CHANGED, actor=actor, changes=diff, reason=reason.strip())
    return locked


def case_apply_triage(*, case: Case, changes: dict[str, Any], reason: str, confirmed_by: User | None = None) -> Case:
    """Triage's result reaches the case here: the system (or the person confirming the
    classification sheet, `confirmed_by`) sets fields, with one timeline event saying why."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                               code="field_not_editable")
    _check_choice("feedback_type", changes, FeedbackType.values, allow_blank=True)
    _check_choice("priority", changes, Priority.values)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        diff = _apply_changes(locked, changes)
        kind = EventKind.TRIAGE_CONFIRMED if confirmed_by is not None else EventKind.TRIAGED
        if diff or confirmed_by is not None:
            _record(locked, kind, actor=confirmed_by, changes=diff, reason=reason.strip())
    return locked


def _apply_changes(locked: Case, changes: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the changed fields of a locked case and save them; returns {field: [before, after]}."""
    diff = {name: [_jsonable(getattr(locked, name)), _jsonable(value)]
            for name, value in changes.items() if getattr(locked, name) != value}
    if not diff:
        return diff
    for name in list(diff):
        setattr(locked, name, changes[name])
    if "priority" in diff and locked.first_response_due_at is not None and not locked.is_finished:
        due_before = locked.resolution_due_at
        locked.resolution_due_at = deadlines.resolution_due(
            locked.first_response_due_at, locked.priority, clock.organisation_zone())
        diff.setdefault("resolution_due_at", [_jsonable(due_before), _jsonable(locked.resolution_due_at)])
    locked.save(update_fields=[*{n for n in diff}, "updated_at"])
    if "subject" in diff:
        _index_case(locked)
    return diff


def case_assign(*, case: Case, actor: User, department: Department | None, owner: User | None, reason: str = "") -> Case:
    """Give the case to a department and/or a person; the owner must belong to the department."""
    if not (actor.can(Capability.ASSIGN) or (owner == actor and actor.can(Capability.ACCEPT))):
        raise PermissionDenied(_("Your role may not assign cases."))
    if owner is not None and department is not None and not owner.departments.filter(pk=department.pk).exists():
        raise ApplicationError(_("%(owner)s is not a member of %(department)s.") % {"owner": owner, "department": department},
                               code="owner_not_in_department", field="owner")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        diff: dict[str, list[Any]] = {}
        if locked.department_id != (department.pk if department else None):
            diff["department"] = [str(locked.department or ""), str(department or "")]
            locked.department = department
        if locked.owner_id != (owner.pk if owner else None):
            diff["owner"] = [str(locked.owner or ""), str(owner or "")]
            locked.owner = owner
        if not diff:
            return locked
        locked.save(update_fields=["department", "owner", "updated_at"])
        _record(locked, EventKind.ASSIGNED, actor=actor, changes=diff, reason=reason.strip())
    return locked


def case_add_note(*, case: Case, actor: User, text: str) -> CaseEvent:
    """An internal note: visible to staff only, never to the customer (R2.4)."""
    if not actor.can(Capability.ADD_NOTE):
        raise PermissionDenied(_("Your role may not add notes."))
    text = text.strip()
    if not text:
        raise ApplicationError(_("The note is empty."), code="required", field="text")
    with transaction.atomic():
        return _record(case, EventKind.NOTE, actor=actor, reason=text)


def case_add_message(
    *, case: Case, direction: str, channel: str, body: str, author: User | None = None, external_id: str = "",
    sent_at: dt.datetime | None = None, counts_as_response: bool = True,
) -> CaseMessage:
    """Record a message to or from the customer on the case's timeline.

    An outbound message is the first response (R7.1) unless it is an automatic acknowledgement
    (`counts_as_response=False`).
    """
    body = body.strip()
    if not body:
        raise ApplicationError(_("The message is empty."), code="required", field="body")
    if direction not in MessageDirection.values or channel not in Channel.values:
        raise ApplicationError(_("Unknown message direction or channel."), code="invalid")
    with transaction.atomic():
        message = CaseMessage.objects.create(case=case, direction=direction, channel=channel, body=body, author=author,
                                             sent_at=sent_at or clock.now(), external_id=external_id)
        kind = EventKind.MESSAGE_IN if direction == MessageDirection.INBOUND else EventKind.MESSAGE_OUT
        _record(case, kind, actor=author, reason=body[:500], changes={"message_id": [None, message.pk]},
                is_internal=False)
        if direction == MessageDirection.OUTBOUND and counts_as_response and case.first_responded_at is None:
            Case.objects.filter(pk=case.pk, first_responded_at__isnull=True).update(first_responded_at=message.sent_at)
    return message


def case_set_escalated(*, case: Case, actor: User | None, escalated: bool, reason: str) -> Case:
    """Raise or withdraw the escalation flag (R7.5); a reason is always recorded."""
    if actor is not None and not actor.can(Capability.ESCALATE):
        raise PermissionDenied(_("Your role may not escalate cases."))
    if not reason.strip():
        raise ApplicationError(_("Say why the escalation changes."), code="reason_required", field="reason")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_escalated == escalated:
            return locked
        locked.is_escalated = escalated
        locked.save(update_fields=["is_escalated", "updated_at"])
        _record(locked, EventKind.ESCALATED if escalated else EventKind.DEESCALATED, actor=actor,
                reason=reason.strip(), changes={"is_escalated": [not escalated, escalated]})
    return locked


def case_add_attachment(*, case: Case, actor: User | None, upload: UploadedAttachment) -> CaseAttachment:
    with transaction.atomic():
        return _store_attachment(case, upload, actor=actor)


def _store_attachment(case: Case, upload: UploadedAttachment, *, actor: User | None) -> CaseAttachment:
    limits = settings.CASELOOP
    if case.attachments.count() >= limits["ATTACHMENTS_PER_CASE"]:
        raise ApplicationError(_("A case holds at most %(n)d attachments.") % {"n": limits["ATTACHMENTS_PER_CASE"]},
                               code="too_many_attachments", field="attachments")
    head = upload.stream.read(512)
    upload.stream.seek(0)
    kind = check_attachment(name=upload.name, head=head, size=upload.size, max_bytes=limits["ATTACHMENT_MAX_BYTES"])
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.stream.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.stream.seek(0)
    attachment = CaseAttachment(case=case, original_name=upload.name[:255], content_type=kind.content_type,
                                size=upload.size, sha256=digest.hexdigest(), description=upload.description.strip()[:300],
                                uploaded_by=actor, uploaded_at=clock.now())
    # Storage writes happen inside the transaction: a committed row without its file would be
    # worse than a file without its row, which the hourly sweep removes (cases/housekeeping.py).
    attachment.file.save(upload.name, File(upload.stream), save=False)
    attachment.save()
    _record(case, EventKind.ATTACHMENT_ADDED, actor=actor, changes={"attachment": [None, attachment.original_name]},
            reason=attachment.description, is_internal=False)
    return attachment


def validate_registration(reg: CaseRegistration) -> None:
    """Refuse a registration with what is wrong, naming the field (ApplicationError)."""
    if reg.channel not in Channel.values:
        raise ApplicationError(_("Unknown channel “%(channel)s”.") % {"channel": reg.channel}, code="invalid",
                               field="channel")
    if not reg.subject.strip():
        raise ApplicationError(_("The subject is required."), code="required", field="subject")
    if not reg.content.strip():
        raise ApplicationError(_("The content is required."), code="required", field="content")
    if reg.received_at.tzinfo is None:
        raise ApplicationError(_("The contact time needs a time zone."), code="invalid", field="received_at")
    if reg.received_at > clock.now() + ALLOWED_CLOCK_SKEW:
        raise ApplicationError(_("The contact time is in the future."), code="invalid", field="received_at")
    if not reg.customer.is_anonymous and not reg.customer.has_contact_point and not reg.customer.name.strip():
        raise ApplicationError(_("Give the customer's name or a contact, or mark the customer anonymous."),
                               code="required", field="customer")
    if reg.priority and reg.priority not in Priority.values:
        raise ApplicationError(_("Unknown priority."), code="invalid", field="priority")
    if reg.feedback_type and reg.feedback_type not in FeedbackType.values:
        raise ApplicationError(_("Unknown feedback type."), code="invalid", field="feedback_type")
    if reg.special_group and reg.special_group not in SpecialGroup.values:
        raise ApplicationError(_("Unknown special group."), code="invalid", field="special_group")


def _product_for(reg: CaseRegistration) -> Product | None:
    if reg.product_id:
        return Product.objects.filter(pk=reg.product_id).first()
    if reg.product_model.strip():
        # Most registrations name a model. Written out, as customer_find is: compiling the queryset
        # on every call would cost several times the query. UPPER on both sides = `model__iexact`.
        found = Product.objects.raw(
            "SELECT * FROM products_product WHERE UPPER(model) = UPPER(%s) ORDER BY brand, name, model, id LIMIT 1",
            [reg.product_model.strip()])
        return next(iter(found), None)
    return None


def _index_case(case: Case) -> None:
    terms = search.index_terms(case.subject, case.content, case.product_description, case.order_number)
    CaseSearchDocument.objects.update_or_create(case=case, defaults={"words": terms.words, "grams": terms.grams})


def _check_choice(name: str, changes: dict[str, Any], allowed: list[str], *, allow_blank: bool = False) -> None:
    if name in changes and changes[name] not in allowed and not (allow_blank and changes[name] == ""):
        raise ApplicationError(_("Unknown value for %(field)s.") % {"field": name}, code="invalid", field=name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _record(
    case: Case,
    kind: str,
    *,
    actor: User | None,
    at: dt.datetime | None = None,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    changes: dict[str, Any] | None = None,
    reason_code: str = "",
    reason: str = "",
    is_internal: bool = True,
) -> CaseEvent:
    """Append one timeline event. Call inside the transaction that made the change."""
    return insert_new(CaseEvent(case=case, kind=kind, action=action, actor=actor, at=at or clock.now(),
                                from_status=from_status, to_status=to_status, changes=changes or {},
                                reason_code=reason_code, reason=reason, is_internal=is_internal))
