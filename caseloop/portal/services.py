"""Writes made from the customer pages; both go through the cases/intake services like every channel."""

from __future__ import annotations

from dataclasses import dataclass

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case, CaseMessage
from caseloop.cases.services import CaseRegistration, UploadedAttachment
from caseloop.core import clock
from caseloop.customers.services import CustomerDetails
from caseloop.intake.services import IntakeResult, intake_customer_reply, intake_register


@dataclass(frozen=True)
class WebFeedback:
    """What the public form collected, already validated (forms.FeedbackForm)."""

    subject: str
    content: str
    name: str = ""
    phone: str = ""
    email: str = ""
    is_anonymous: bool = False
    product_model: str = ""
    order_number: str = ""
    attachments: tuple[UploadedAttachment, ...] = ()


def portal_submit_feedback(*, feedback: WebFeedback) -> IntakeResult:
    """Register web-form feedback through the one intake service (channel "web").

    An anonymous submission keeps no contact details, so no acknowledgement can be mailed; the
    result page is the only place its tracking code is shown.
    """
    customer = (CustomerDetails(is_anonymous=True) if feedback.is_anonymous
                else CustomerDetails(name=feedback.name, phone=feedback.phone, email=feedback.email))
    registration = CaseRegistration(
        channel=Channel.WEB,
        subject=feedback.subject,
        content=feedback.content,
        received_at=clock.now(),
        customer=customer,
        product_model=feedback.product_model,
        order_number=feedback.order_number,
        attachments=list(feedback.attachments),
    )
    return intake_register(registration=registration)


def portal_add_customer_message(*, case: Case, body: str) -> CaseMessage:
    """A message the customer writes on the tracking page; answers a request for information."""
    return intake_customer_reply(case=case, channel=Channel.WEB, body=body)
