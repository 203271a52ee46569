"""Channel adapters turn what a channel delivered into one of three intake decisions.

Each adapter registers a parser for its channel with `@parser(Channel.X)`; `intake_process`
looks it up by the stored message's channel. A parser is pure with respect to cases: it reads
the payload and returns a decision; the intake service applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from caseloop.cases.services import CaseRegistration, UploadedAttachment
from caseloop.intake.models import InboundMessage


@dataclass(frozen=True)
class NewCase:
    registration: CaseRegistration


@dataclass(frozen=True)
class Reply:
    """A further message about an existing case (found by number, thread or identity)."""

    case_number: str
    body: str
    sender: str = ""
    attachments: tuple[UploadedAttachment, ...] = ()


@dataclass(frozen=True)
class Ignore:
    reason: str


Decision = NewCase | Reply | Ignore
Parser = Callable[[InboundMessage], Decision]

PARSERS: dict[str, Parser] = {}


def parser(channel: str) -> Callable[[Parser], Parser]:
    def register(function: Parser) -> Parser:
        PARSERS[channel] = function
        return function

    return register


class UnprocessableMessage(Exception):
    """The payload cannot be understood; the message goes to quarantine with this reason."""
