from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_django import Settings


@dataclass
class Mailroom:
    """What a real SMTP server on 127.0.0.1 received."""

    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    greetings: int = 0  # EHLOs: one per SMTP connection

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # aiosmtpd calls this hook by name
                          responses: list[str]) -> list[str]:
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls this hook by name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(settings: Settings, smtp_port: int) -> Iterator[Mailroom]:
    mailroom = Mailroom()
    controller = Controller(mailroom, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port
    try:
        yield mailroom
    finally:
        controller.stop()
