"""Roles and what each may do. Pure data: views, services and the state machine ask `can()`.

A capability names one kind of action; a role is a set of capabilities. Visibility of cases
(which cases a role may see at all) is a separate rule in `caseloop.cases.access`.
"""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    SPECIALIST = "specialist", _("Department specialist")
    QA_REVIEWER = "qa_reviewer", _("QA reviewer")
    APPROVER = "approver", _("Approver")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")
    AUDITOR = "auditor", _("Auditor")


class Capability(StrEnum):
    REGISTER_CASE = "register_case"
    EDIT_CASE = "edit_case"
    ADD_NOTE = "add_note"
    ACCEPT = "accept"
    HANDLE = "handle"  # start work, ask for information, hold, resolve
    REVIEW = "review"  # reject, mark duplicate, restore (content review, R3.1)
    APPROVE = "approve"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"
    ASSIGN = "assign"
    VIEW_PERSONAL_DATA = "view_personal_data"
    VIEW_ACCESS_LOG = "view_access_log"


_C = Capability

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.AGENT: frozenset(
        {_C.REGISTER_CASE, _C.EDIT_CASE, _C.ADD_NOTE, _C.ACCEPT, _C.HANDLE, _C.CLOSE, _C.REOPEN,
         _C.ESCALATE, _C.VIEW_PERSONAL_DATA}
    ),
    Role.SUPERVISOR: frozenset(
        {_C.REGISTER_CASE, _C.EDIT_CASE, _C.ADD_NOTE, _C.ACCEPT, _C.HANDLE, _C.REVIEW, _C.APPROVE,
         _C.CLOSE, _C.REOPEN, _C.ESCALATE, _C.ASSIGN, _C.VIEW_PERSONAL_DATA}
    ),
    Role.SPECIALIST: frozenset(
        {_C.EDIT_CASE, _C.ADD_NOTE, _C.ACCEPT, _C.HANDLE, _C.ESCALATE, _C.VIEW_PERSONAL_DATA}
    ),
    Role.QA_REVIEWER: frozenset({_C.ADD_NOTE, _C.REVIEW, _C.ASSIGN, _C.ESCALATE}),
    Role.APPROVER: frozenset({_C.ADD_NOTE, _C.APPROVE, _C.ESCALATE}),
    Role.SERVICE_MANAGER: frozenset(
        {_C.REGISTER_CASE, _C.EDIT_CASE, _C.ADD_NOTE, _C.ACCEPT, _C.HANDLE, _C.REVIEW, _C.APPROVE,
         _C.CLOSE, _C.REOPEN, _C.ESCALATE, _C.ASSIGN, _C.VIEW_PERSONAL_DATA, _C.VIEW_ACCESS_LOG}
    ),
    Role.ANALYST: frozenset(),
    Role.ADMIN: frozenset({_C.ASSIGN, _C.VIEW_ACCESS_LOG}),
    Role.AUDITOR: frozenset({_C.VIEW_ACCESS_LOG}),
}

# Roles that see every case; the others are scoped (see caseloop.cases.access.visible_cases).
ROLES_SEEING_ALL_CASES = frozenset(
    {Role.SUPERVISOR, Role.SERVICE_MANAGER, Role.QA_REVIEWER, Role.ANALYST, Role.ADMIN, Role.AUDITOR}
)
# Roles whose visibility is their departments' cases (plus cases they own or registered).
ROLES_SCOPED_TO_DEPARTMENT = frozenset({Role.SPECIALIST, Role.APPROVER})


def capabilities_of(role: str) -> frozenset[Capability]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def role_can(role: str, capability: Capability) -> bool:
    return capability in capabilities_of(role)
