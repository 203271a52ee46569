"""How an outbox message leaves: one small class per transport (compare healthchecks' transports)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from caseloop.notify.models import OutboxMessage, Transport


class TransportError(Exception):
    """The message could not be delivered now; it will be retried."""


class BaseTransport:
    def send(self, message: OutboxMessage) -> str:
        """Deliver `message`; returns the provider's message id (may be empty). Raises TransportError."""
        raise NotImplementedError


class EmailTransport(BaseTransport):
    """SMTP through Django's mail backend (EMAIL_HOST/EMAIL_PORT, or an anymail backend)."""

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
            with get_connection(timeout=settings.CASELOOP["SMTP_TIMEOUT_SECONDS"]) as connection:
                email.connection = connection
                email.send(fail_silently=False)
        except OSError as exc:  # smtplib errors are OSError subclasses, as are refused connections
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        return headers.get("Message-ID", "")


TRANSPORTS: dict[str, BaseTransport] = {Transport.EMAIL: EmailTransport()}


def transport_for(name: str) -> BaseTransport:
    try:
        return TRANSPORTS[name]
    except KeyError:
        raise TransportError(f"no transport is configured for {name!r}") from None
