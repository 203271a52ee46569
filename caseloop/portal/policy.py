"""The customer pages' limits in one place; each can be overridden in settings.CASELOOP (see defaults).

Read at call time, so tests and operators change them without touching code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from caseloop.core.ratelimit import Limit

DEFAULTS: dict[str, Any] = {
    # A person needs a few seconds to fill in the form; a script needs none.
    "PORTAL_MIN_FILL_SECONDS": 3,
    # A form left open longer than this must be submitted again (its signed timestamp expires).
    "PORTAL_FORM_MAX_AGE_SECONDS": 6 * 3600,
    # Submissions (valid or not) from one IP address, and accepted submissions for one contact.
    "PORTAL_SUBMISSIONS_PER_IP": 20,
    "PORTAL_SUBMISSIONS_PER_IP_WINDOW": 3600,
    "PORTAL_SUBMISSIONS_PER_CONTACT": 5,
    "PORTAL_SUBMISSIONS_PER_CONTACT_WINDOW": 3600,
    # All files of one submission together; each file also obeys ATTACHMENT_MAX_BYTES.
    "PORTAL_UPLOAD_TOTAL_BYTES": 50 * 1024 * 1024,
    "PORTAL_ATTACHMENTS_PER_SUBMISSION": 10,
    # Failed tracking look-ups (wrong number or wrong code, counted alike) per IP address.
    "PORTAL_TRACK_FAILURES_PER_IP": 10,
    "PORTAL_TRACK_FAILURES_PER_IP_WINDOW": 900,
    # How long a successful look-up keeps the case open in that browser session.
    "PORTAL_TRACK_SESSION_SECONDS": 1800,
    # Messages a customer may add to one case from the tracking page.
    "PORTAL_MESSAGES_PER_CASE": 10,
    "PORTAL_MESSAGES_PER_CASE_WINDOW": 3600,
    # Kiosk terminals: idle seconds before the form, and the result page, reset themselves.
    "PORTAL_KIOSK_IDLE_SECONDS": 120,
    "PORTAL_KIOSK_RESULT_SECONDS": 60,
}


def value(name: str) -> Any:
    return settings.CASELOOP.get(name, DEFAULTS[name])


def submissions_per_ip() -> Limit:
    return Limit("submit-ip", value("PORTAL_SUBMISSIONS_PER_IP"), value("PORTAL_SUBMISSIONS_PER_IP_WINDOW"))


def submissions_per_contact() -> Limit:
    return Limit("submit-contact", value("PORTAL_SUBMISSIONS_PER_CONTACT"),
                 value("PORTAL_SUBMISSIONS_PER_CONTACT_WINDOW"))


def track_failures_per_ip() -> Limit:
    return Limit("track-fail-ip", value("PORTAL_TRACK_FAILURES_PER_IP"), value("PORTAL_TRACK_FAILURES_PER_IP_WINDOW"))


def messages_per_case() -> Limit:
    return Limit("message-case", value("PORTAL_MESSAGES_PER_CASE"), value("PORTAL_MESSAGES_PER_CASE_WINDOW"))
