"""The state machine as a table: pure tests, no database.

EXPECTED is written out by hand from the process design, independently of workflow.TRANSITIONS,
so a change to the table shows up here as a failing pair rather than passing by construction.
"""

from __future__ import annotations

import itertools

import pytest

from caseloop.accounts.roles import Capability, Role, capabilities_of
from caseloop.cases.choices import CaseStatus as S
from caseloop.cases.choices import RejectionReason
from caseloop.cases.workflow import (
    PREVIOUS_STATUS,
    TRANSITIONS,
    Action,
    TransitionNotAllowed,
    available_actions,
    next_status,
    transition_for,
)

A = Action
WORKABLE = {S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}

# action: (statuses it is allowed from, status it leads to)
EXPECTED: dict[Action, tuple[set[str], str]] = {
    A.ACCEPT: ({S.PENDING, S.REOPENED}, S.ACCEPTED),
    A.START: ({S.ACCEPTED}, S.IN_PROGRESS),
    A.REQUEST_INFORMATION: ({S.PENDING, *WORKABLE}, S.NEEDS_INFORMATION),
    A.INFORMATION_RECEIVED: ({S.NEEDS_INFORMATION}, PREVIOUS_STATUS),
    A.HOLD: (WORKABLE, S.ON_HOLD),
    A.RESUME: ({S.ON_HOLD}, PREVIOUS_STATUS),
    A.SUBMIT_FOR_APPROVAL: ({S.IN_PROGRESS}, S.AWAITING_APPROVAL),
    A.APPROVE: ({S.AWAITING_APPROVAL}, S.IN_PROGRESS),
    A.DECLINE_APPROVAL: ({S.AWAITING_APPROVAL}, S.IN_PROGRESS),
    A.RESOLVE: ({S.IN_PROGRESS}, S.RESOLVED),
    A.CLOSE: ({S.RESOLVED, S.CLOSED_PENDING_FOLLOW_UP}, S.CLOSED),
    A.CLOSE_PENDING_FOLLOW_UP: ({S.RESOLVED}, S.CLOSED_PENDING_FOLLOW_UP),
    A.REOPEN: ({S.RESOLVED, S.CLOSED_PENDING_FOLLOW_UP, S.CLOSED}, S.REOPENED),
    A.REJECT: ({S.PENDING, S.NEEDS_INFORMATION}, S.REJECTED),
    A.MARK_DUPLICATE: ({S.PENDING, S.ACCEPTED, S.NEEDS_INFORMATION}, S.DUPLICATE),
    A.RESTORE: ({S.REJECTED, S.DUPLICATE}, S.PENDING),
}

ALL_PAIRS = list(itertools.product(Action, S))


def test_the_expected_table_covers_every_action() -> None:
    assert set(TRANSITIONS) == set(Action) == set(EXPECTED)


@pytest.mark.parametrize(("action", "status"), ALL_PAIRS, ids=[f"{a.value}-from-{s.value}" for a, s in ALL_PAIRS])
def test_every_action_from_every_status_is_allowed_or_refused_as_designed(action: Action, status: S) -> None:
    sources, target = EXPECTED[action]
    if status in sources:
        remembered = S.IN_PROGRESS
        expected = remembered if target == PREVIOUS_STATUS else target
        assert next_status(action, status, remembered) == expected
    else:
        with pytest.raises(TransitionNotAllowed) as refused:
            next_status(action, status, S.IN_PROGRESS)
        assert refused.value.code == "transition_not_allowed"


@pytest.mark.parametrize("remembered", [S.PENDING, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED])
def test_information_received_returns_to_the_status_before_the_question(remembered: S) -> None:
    assert next_status(A.INFORMATION_RECEIVED, S.NEEDS_INFORMATION, remembered) == remembered


@pytest.mark.parametrize("remembered", sorted(WORKABLE))
def test_resume_returns_to_the_status_before_the_hold(remembered: S) -> None:
    assert next_status(A.RESUME, S.ON_HOLD, remembered) == remembered


def test_resume_without_a_remembered_status_falls_back_to_accepted() -> None:
    assert next_status(A.RESUME, S.ON_HOLD, "") == S.ACCEPTED


def test_pausing_actions_are_marked_so_the_service_remembers_the_status() -> None:
    assert {t.action for t in TRANSITIONS.values() if t.is_pause} == {A.HOLD, A.REQUEST_INFORMATION}


def test_actions_that_need_a_reason_say_so() -> None:
    assert {t.action for t in TRANSITIONS.values() if t.requires_reason} == {
        A.REQUEST_INFORMATION,
        A.HOLD,
        A.DECLINE_APPROVAL,
        A.RESOLVE,
        A.REOPEN,
        A.RESTORE,
    }


def test_reject_requires_one_of_the_rejection_reason_codes() -> None:
    assert set(transition_for(A.REJECT).reason_codes) == set(RejectionReason.values)
    assert [t.action for t in TRANSITIONS.values() if t.reason_codes] == [A.REJECT]


def test_only_mark_duplicate_requires_the_original_case() -> None:
    assert [t.action for t in TRANSITIONS.values() if t.requires_original] == [A.MARK_DUPLICATE]


def test_unknown_action_is_refused_as_a_transition_error() -> None:
    with pytest.raises(TransitionNotAllowed, match="teleport"):
        next_status("teleport", S.PENDING)


def test_refusal_message_names_the_statuses_the_action_is_allowed_from() -> None:
    with pytest.raises(TransitionNotAllowed) as refused:
        next_status(A.RESOLVE, S.PENDING)

    assert str(S.IN_PROGRESS.label) in refused.value.message


@pytest.mark.parametrize(
    ("status", "capabilities", "expected"),
    [
        # Review actions need REVIEW; an agent at intake can only take the case or ask a question.
        (S.PENDING, capabilities_of(Role.AGENT), [A.ACCEPT, A.REQUEST_INFORMATION]),
        (S.PENDING, capabilities_of(Role.SUPERVISOR), [A.ACCEPT, A.REQUEST_INFORMATION, A.REJECT, A.MARK_DUPLICATE]),
        (S.PENDING, capabilities_of(Role.QA_REVIEWER), [A.REJECT, A.MARK_DUPLICATE]),
        (S.PENDING, capabilities_of(Role.ANALYST), []),
        (S.AWAITING_APPROVAL, capabilities_of(Role.APPROVER), [A.APPROVE, A.DECLINE_APPROVAL]),
        (S.AWAITING_APPROVAL, capabilities_of(Role.SPECIALIST), []),
        (
            S.IN_PROGRESS,
            capabilities_of(Role.SPECIALIST),
            [A.REQUEST_INFORMATION, A.HOLD, A.SUBMIT_FOR_APPROVAL, A.RESOLVE],
        ),
        (S.RESOLVED, capabilities_of(Role.SPECIALIST), []),
        (S.RESOLVED, {Capability.CLOSE, Capability.REOPEN}, [A.CLOSE, A.CLOSE_PENDING_FOLLOW_UP, A.REOPEN]),
        (S.CLOSED, {Capability.CLOSE}, []),
        (S.DUPLICATE, {Capability.REVIEW}, [A.RESTORE]),
    ],
)
def test_available_actions_are_those_the_status_allows_and_the_capabilities_permit(
    status: S, capabilities: set[Capability], expected: list[Action]
) -> None:
    assert [t.action for t in available_actions(status, capabilities)] == expected


@pytest.mark.parametrize("status", list(S))
def test_available_actions_with_every_capability_are_exactly_the_table_rows_for_the_status(status: S) -> None:
    expected = {action for action, (sources, _target) in EXPECTED.items() if status in sources}

    assert {t.action for t in available_actions(status, set(Capability))} == expected
