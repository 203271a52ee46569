"""Spam defence of the public form without third-party services. Pure functions, no database.

- A honeypot field people never see (bots fill every field).
- A signed timestamp issued with the form: a submission faster than a person can type, a forged
  stamp, or one too old to be trusted is refused.
- Content checks: text that is empty once whitespace and invisible characters are removed, too
  many links, one character repeated many times, or a tiny alphabet over a long text.
"""

from __future__ import annotations

import re
import unicodedata

from django.core import signing
from django.utils.translation import gettext as _

from caseloop.core import clock
from caseloop.core.errors import ApplicationError

_FORM_SALT = "caseloop.portal.feedback-form"
MAX_LINKS = 2
MAX_REPEATED_RUN = 12
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|cn|net|org|top|xyz|info|ru|shop|vip|cc)(?:/\S*)?\b",
                   re.IGNORECASE)
_REPEATED_RUN = re.compile(r"(\S)\1{" + str(MAX_REPEATED_RUN - 1) + ",}")


class SubmissionRefused(ApplicationError):
    """The submission looks automated; nothing is registered."""

    code = "spam_suspected"


class FormStampInvalid(ApplicationError):
    """The form's timestamp is missing, forged or expired; the person may simply submit again."""

    code = "form_expired"


def issue_form_stamp() -> str:
    """A signed record of when the form was served; hidden in the form, checked on submission."""
    return signing.dumps({"t": round(clock.now().timestamp(), 3)}, salt=_FORM_SALT, compress=False)


def check_form_stamp(stamp: str, *, min_seconds: float, max_age_seconds: int) -> float:
    """Seconds the person spent on the form; raises if that is implausible or the stamp is not ours."""
    try:
        payload = signing.loads(stamp, salt=_FORM_SALT, max_age=max_age_seconds)
        issued_at = float(payload["t"])
    except signing.SignatureExpired as exc:
        raise FormStampInvalid(_("The form was open for too long. Please check your entries and submit again."),
                               code="form_expired") from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise FormStampInvalid(_("The form could not be verified. Please check your entries and submit again."),
                               code="form_invalid") from exc
    elapsed = clock.now().timestamp() - issued_at
    if elapsed < min_seconds:
        raise FormStampInvalid(_("That was very quick. Please check your entries and submit again."),
                               code="too_fast")
    return elapsed


def check_honeypot(value: str) -> None:
    if value.strip():
        raise SubmissionRefused(_("Your submission could not be accepted."), code="honeypot")


def visible_text(text: str) -> str:
    """The text without whitespace, invisible format characters (zero-width spaces…) and punctuation."""
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in ("C", "P", "Z"))


def content_problem(text: str, *, required: bool = True) -> str | None:
    """Why this customer text is refused (translated), or None when it is acceptable."""
    visible = visible_text(text)
    if not visible:
        return _("Please write something here.") if required or text.strip() else None
    if len(_LINK.findall(text)) > MAX_LINKS:
        return _("Please include at most %(n)d links.") % {"n": MAX_LINKS}
    if _REPEATED_RUN.search(text):
        return _("Please do not repeat the same character many times.")
    if len(visible) >= 40 and len(set(visible)) <= 3:
        return _("This text does not look like a description of a problem.")
    return None
