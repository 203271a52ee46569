"""The words an agent reads for triage's codes (reasons, verdicts, taxonomies), translated."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from caseloop.cases.choices import Priority

REVIEW = {"ok": _("Content OK"), "spam": _("Advertising / spam"), "abuse": _("Insults / abuse"),
          "out_of_scope": _("Out of scope"), "meaningless": _("Meaningless")}
SENTIMENT = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
EMOTION = {"calm": _("Calm"), "upset": _("Upset"), "strong": _("Strong")}
DOMAIN = {"appearance": _("Appearance"), "performance": _("Performance"), "function": _("Function"),
          "software": _("Software / system"), "safety": _("Safety"), "logistics": _("Logistics"),
          "service": _("Service"), "after_sales": _("After-sales"), "billing": _("Fees"),
          "account": _("Account & privacy"), "other": _("Other")}
PRODUCT_LINE = {"appliances": _("Home appliances"), "electronics": _("Phones & electronics"),
                "computers": _("Computers & office"), "ecommerce": _("E-commerce"), "logistics": _("Courier & logistics"),
                "telecom": _("Telecom"), "software": _("Software & internet services"), "automotive": _("Cars & mobility"),
                "other": _("Other")}
DEMAND = {"refund": _("Refund"), "exchange": _("Exchange"), "repair": _("Repair"), "compensation": _("Compensation"),
          "apology": _("Apology"), "explanation": _("Explanation"), "fix": _("Fix it soon"),
          "information": _("An answer"), "improvement": _("Improvement"), "none": _("None stated")}
SOURCE = {"online": _("Online"), "offline": _("Offline")}
ENTITY = {"phone": _("Phone"), "email": _("E-mail"), "order_number": _("Order number"),
          "tracking_number": _("Tracking number"), "product_model": _("Product model"),
          "serial_number": _("Serial number"), "amount": _("Amount"), "datetime": _("Date / time"),
          "address": _("Address")}
REASON = {
    "priority.rule": _("rule"), "priority.raise": _("rule (raises one level)"), "priority.model": pgettext_lazy("statistical model", "model"),
    "emotion.strong": _("emotion: strong"), "demand.immediate": _("demands an immediate fix"),
    "scope.surge": _("similar cases in a short window"),
    "spam.link": _("contains a link"), "spam.contact_me": _("asks to be contacted privately"),
    "spam.money": _("money-making offer"), "spam.gambling": _("gambling"), "spam.crypto": _("crypto currency"),
    "spam.prize": _("prize notice"), "spam.promotion": _("promotion"),
    "abuse.words": _("insulting words"), "abuse.threat": _("threat of violence or exposure"), "abuse.model": _("abuse model"),
    "out_of_scope.job": _("job application"), "out_of_scope.homework": _("homework"), "out_of_scope.loan": _("loan request"),
    "meaningless.empty": _("no words"), "meaningless.filler": _("only a greeting or a test"),
    "meaningless.repeated": _("one character repeated"), "meaningless.keyboard": _("random keys"),
    "meaningless.garbled": _("garbled text (wrong character encoding)"),
    "review.model": _("review model"), "demand.words": _("the customer's words"), "demand.model": pgettext_lazy("statistical model", "model"),
}


def reason_text(reason: dict[str, Any]) -> str:
    """ {"code": "scope.surge", "detail": "12/2"} → "similar cases in a short window: 12 in 2 h" """
    code = str(reason.get("code", ""))
    label = str(REASON.get(code, code))
    detail = str(reason.get("detail", ""))
    if code == "scope.surge" and "/" in detail:
        count, hours = detail.split("/", 1)
        detail = str(_("%(count)s customers in %(hours)s h")) % {"count": count, "hours": hours}
    elif code in ("priority.model", "review.model", "demand.model") and detail:
        vocabulary = {"priority.model": dict(Priority.choices), "review.model": REVIEW, "demand.model": DEMAND}[code]
        detail = str(vocabulary.get(detail, detail))
    text = f"{label}: {detail}" if detail else label
    confidence = reason.get("confidence")
    if confidence is not None:
        text += f" ({float(confidence):.0%})"
    return text
