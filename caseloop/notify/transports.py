"""How an outbox message leaves: one small class per transport (compare healthchecks' transports)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from caseloop.notify.models import OutboxMessage, Transport


class TransportError(Exception):
    """The message could not be delivered now; it will be retried."""


class BaseTransport:
    def send(self, message: OutboxMessage) -> str:
        """Deliver `message`; returns the provider's message id (may be empty). Raises TransportError."""
        raise NotImplementedError

    @contextmanager
    def session(self) -> Iterator[None]:
        """Around the sends of one drain: a transport may keep its connection open in between."""
        yield


class EmailTransport(BaseTransport):
    """SMTP through Django's mail backend (EMAIL_HOST/EMAIL_PORT, or an anymail backend).

    Inside `session()` one SMTP connection carries every message of the drain (a burst of cases
    is a burst of acknowledgements); a connection that fails is dropped and the next message
    opens a new one. Per thread: concurrent drains never share a connection.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def session(self) -> Iterator[None]:
        self._local.in_session = True
        try:
            yield
        finally:
            self._local.in_session = False
            self._close()

    def send(self, message: OutboxMessage) -> str:
        headers = {str(k): str(v) for k, v in message.headers.items()}
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=message.sender or settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers=headers,
        )
        try:
            email.connection = self._connection()
            email.send(fail_silently=False)
        except OSError as exc:  # smtplib errors are OSError subclasses, as are refused connections
            self._close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            if not getattr(self._local, "in_session", False):
                self._close()
        return headers.get("Message-ID", "")

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(timeout=settings.CASELOOP["SMTP_TIMEOUT_SECONDS"])
            connection.open()
            self._local.connection = connection
        return connection

    def _close(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with suppress(OSError):  # the server hung up already: nothing to say goodbye to
                connection.close()


TRANSPORTS: dict[str, BaseTransport] = {Transport.EMAIL: EmailTransport()}


def transport_for(name: str) -> BaseTransport:
    try:
        return TRANSPORTS[name]
    except KeyError:
        raise TransportError(f"no transport is configured for {name!r}") from None
