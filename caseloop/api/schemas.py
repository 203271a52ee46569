"""Request and response bodies of /api/v1 (they are the OpenAPI schema too).

Codes (status, channel, priority, feedback type) are the stable codes of cases.choices; labels are
not part of the API. Inputs refuse unknown fields, so a misspelt field is an error, not lost data.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from caseloop.cases.choices import CaseStatus, Channel, FeedbackType, MessageDirection, Priority


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(StrictSchema):
    """Who gave the feedback. Give a contact point (phone, e-mail, member ID, WeChat openid) or a
    name, or set `is_anonymous`. Known customers are matched on normalised contact points."""

    name: str = Field("", max_length=120)
    is_anonymous: bool = False
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    member_id: str = Field("", max_length=64)
    wechat_openid: str = Field("", max_length=64)
    region: str = Field("", max_length=80)


class AttachmentIn(StrictSchema):
    """A file, base64-encoded. Its type is decided by the name's extension and checked against
    the file's first bytes; `content_type` is informative only."""

    name: str = Field(..., min_length=1, max_length=255, examples=["photo.jpg"])
    content_type: str = Field("", max_length=120)
    data: str = Field(..., description="The file's bytes, base64 (standard alphabet, padding optional).")
    description: str = Field("", max_length=300)


class CaseIn(StrictSchema):
    channel: Channel = Field(Channel.API, description="Where the customer gave the feedback.")
    customer: CustomerIn
    subject: str = Field(..., min_length=1, max_length=200)
    content: str = Field(..., min_length=1, max_length=20000, description="The customer's words, kept verbatim.")
    expectation: str = Field("", max_length=5000)
    evidence: str = Field("", max_length=5000)
    feedback_type: FeedbackType | None = None
    priority: Priority = Priority.MEDIUM
    product_id: int | None = None
    product_model: str = Field("", max_length=80)
    product_description: str = Field("", max_length=200)
    serial_number: str = Field("", max_length=80)
    purchase_date: dt.date | None = None
    service_name: str = Field("", max_length=120)
    order_number: str = Field("", max_length=64)
    problem_occurred_at: dt.datetime | None = None
    problem_location: str = Field("", max_length=200)
    received_at: dt.datetime | None = Field(
        None, description="When the customer contacted you (ISO 8601 with a time zone); default: now.")
    external_id: str = Field("", max_length=120, description="Your ID of this feedback: sending it again returns "
                                                             "the case registered the first time.")
    attachments: list[AttachmentIn] = Field(default_factory=list)


class RegistrationOut(Schema):
    number: str
    status: CaseStatus
    created: bool = Field(..., description="False when `external_id` named a case registered before.")
    tracking_code: str | None = Field(None, description="With the number, opens /track/ for the customer. Only "
                                                        "in the answer that created the case (and its replays).")
    duplicate_of: str | None = Field(None, description="The same customer's earlier case of the same problem, "
                                                       "which this one was linked to.")
    url: str


class ContactOut(Schema):
    name: str
    is_anonymous: bool
    phone: str
    email: str
    address: str
    member_id: str
    region: str
    is_masked: bool = Field(..., description="True unless the key has the personal_data:read scope.")


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int
    sha256: str
    description: str
    uploaded_at: dt.datetime


class MessageOut(Schema):
    id: int
    direction: MessageDirection
    channel: Channel
    body: str
    sent_at: dt.datetime
    external_id: str


class CaseSummaryOut(Schema):
    number: str
    status: CaseStatus
    channel: Channel
    feedback_type: str
    priority: Priority
    subject: str
    external_id: str
    department: str | None = Field(None, description="The department's code.")
    is_escalated: bool
    received_at: dt.datetime
    updated_at: dt.datetime
    resolution_due_at: dt.datetime | None


class CaseOut(CaseSummaryOut):
    content: str
    expectation: str
    product_description: str
    serial_number: str
    order_number: str
    recorded_at: dt.datetime
    is_entry_late: bool
    duplicate_of: str | None
    first_response_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    customer: ContactOut
    attachments: list[AttachmentOut]
    messages: list[MessageOut]


class CaseListOut(Schema):
    items: list[CaseSummaryOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last page.")


class MessageIn(StrictSchema):
    body: str = Field(..., min_length=1, max_length=20000)
    sent_at: dt.datetime | None = Field(None, description="When the customer sent it; default: now.")
    channel: Channel | None = Field(None, description="Default: the case's channel.")
    external_id: str = Field("", max_length=200)


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


class ErrorDetailWithList(ErrorDetail):
    details: list[ErrorDetail] | None = None


class ErrorOut(Schema):
    error: ErrorDetailWithList
