"""The case state machine, as data. Pure: no database, no Django models.

`TRANSITIONS[action]` says from which statuses an action may be taken, which status it leads to,
which capability the actor needs and what the actor must say (a reason, a reason code, the original
of a duplicate). Only `caseloop.cases.services.case_transition` applies it to a case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from caseloop.accounts.roles import Capability
from caseloop.cases.choices import CaseStatus as S
from caseloop.cases.choices import RejectionReason
from caseloop.core.errors import ApplicationError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Sentinel target: go back to the status the case had before it was paused (on hold / needs information).
PREVIOUS_STATUS = "__previous__"


class Action(StrEnum):
    ACCEPT = "accept"
    START = "start"
    REQUEST_INFORMATION = "request_information"
    INFORMATION_RECEIVED = "information_received"
    HOLD = "hold"
    RESUME = "resume"
    SUBMIT_FOR_APPROVAL = "submit_for_approval"
    APPROVE = "approve"
    DECLINE_APPROVAL = "decline_approval"
    RESOLVE = "resolve"
    CLOSE = "close"
    CLOSE_PENDING_FOLLOW_UP = "close_pending_follow_up"
    REOPEN = "reopen"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"
    RESTORE = "restore"


@dataclass(frozen=True)
class Transition:
    action: Action
    label: StrOrPromise  # lazy: translated when shown, in the reader's language
    sources: frozenset[str]
    target: str
    capability: Capability
    requires_reason: bool = False
    reason_codes: tuple[str, ...] = ()  # when set, one of these codes must be given
    requires_original: bool = False  # mark_duplicate: the case this one duplicates
    is_pause: bool = False  # remembers the current status so RESUME can return to it


def _t(
    action: Action, label: StrOrPromise, sources: Iterable[str], target: str, capability: Capability, **kw: object
) -> Transition:
    return Transition(action, label, frozenset(sources), target, capability, **kw)  # type: ignore[arg-type]


_C = Capability
_WORKABLE = (S.ACCEPTED, S.IN_PROGRESS, S.REOPENED)

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        _t(Action.ACCEPT, _("Accept"), [S.PENDING, S.REOPENED], S.ACCEPTED, _C.ACCEPT),
        _t(Action.START, _("Start handling"), [S.ACCEPTED], S.IN_PROGRESS, _C.HANDLE),
        _t(Action.REQUEST_INFORMATION, _("Ask customer for information"), [S.PENDING, *_WORKABLE],
           S.NEEDS_INFORMATION, _C.HANDLE, requires_reason=True, is_pause=True),
        _t(Action.INFORMATION_RECEIVED, _("Information received"), [S.NEEDS_INFORMATION], PREVIOUS_STATUS, _C.HANDLE),
        _t(Action.HOLD, _("Put on hold"), _WORKABLE, S.ON_HOLD, _C.HANDLE, requires_reason=True, is_pause=True),
        _t(Action.RESUME, _("Resume"), [S.ON_HOLD], PREVIOUS_STATUS, _C.HANDLE),
        _t(Action.SUBMIT_FOR_APPROVAL, _("Submit plan for approval"), [S.IN_PROGRESS], S.AWAITING_APPROVAL, _C.HANDLE),
        _t(Action.APPROVE, _("Approve plan"), [S.AWAITING_APPROVAL], S.IN_PROGRESS, _C.APPROVE),
        _t(Action.DECLINE_APPROVAL, _("Send plan back"), [S.AWAITING_APPROVAL], S.IN_PROGRESS, _C.APPROVE,
           requires_reason=True),
        _t(Action.RESOLVE, _("Resolve"), [S.IN_PROGRESS], S.RESOLVED, _C.HANDLE, requires_reason=True),
        _t(Action.CLOSE, _("Close"), [S.RESOLVED, S.CLOSED_PENDING_FOLLOW_UP], S.CLOSED, _C.CLOSE),
        _t(Action.CLOSE_PENDING_FOLLOW_UP, _("Close, follow-up pending"), [S.RESOLVED], S.CLOSED_PENDING_FOLLOW_UP,
           _C.CLOSE),
        _t(Action.REOPEN, _("Reopen"), [S.RESOLVED, S.CLOSED_PENDING_FOLLOW_UP, S.CLOSED], S.REOPENED, _C.REOPEN,
           requires_reason=True),
        _t(Action.REJECT, _("Reject"), [S.PENDING, S.NEEDS_INFORMATION], S.REJECTED, _C.REVIEW,
           reason_codes=tuple(RejectionReason.values)),
        _t(Action.MARK_DUPLICATE, _("Mark as duplicate"), [S.PENDING, S.ACCEPTED, S.NEEDS_INFORMATION], S.DUPLICATE,
           _C.REVIEW, requires_original=True),
        _t(Action.RESTORE, _("Restore for handling"), [S.REJECTED, S.DUPLICATE], S.PENDING, _C.REVIEW,
           requires_reason=True),
    ]
}


class TransitionNotAllowed(ApplicationError):
    code = "transition_not_allowed"


def next_status(action: Action | str, current: str, previous: str = "") -> str:
    """The status `action` leads to from `current`; raises TransitionNotAllowed with a clear message.

    `previous` is the status remembered when the case was paused; RESUME and
    INFORMATION_RECEIVED return to it.
    """
    transition = _lookup(action)
    if current not in transition.sources:
        allowed = "、".join(str(S(s).label) for s in sorted(transition.sources))
        raise TransitionNotAllowed(
            _("“%(action)s” is not possible while the case is “%(status)s”; it is allowed from: %(allowed)s.")
            % {"action": transition.label, "status": S(current).label, "allowed": allowed}
        )
    if transition.target == PREVIOUS_STATUS:
        return previous if previous else S.ACCEPTED
    return transition.target


def available_actions(current: str, capabilities: Iterable[Capability]) -> list[Transition]:
    """The transitions a person with `capabilities` may take from `current`, in table order."""
    held = set(capabilities)
    return [t for t in TRANSITIONS.values() if current in t.sources and t.capability in held]


def _lookup(action: Action | str) -> Transition:
    try:
        return TRANSITIONS[Action(action)]
    except ValueError:
        raise TransitionNotAllowed(_("Unknown action “%(action)s”.") % {"action": action}) from None


def transition_for(action: Action | str) -> Transition:
    return _lookup(action)
