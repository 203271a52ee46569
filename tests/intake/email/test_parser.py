"""The e-mail channel end to end from raw bytes: store, parse, decide, register or thread."""

from __future__ import annotations

import re

import pytest

from caseloop.cases.choices import Channel, EventKind, MessageDirection
from caseloop.cases.models import Case, CaseEvent, CaseMessage
from caseloop.intake import channels
from caseloop.intake.mail.ingest import email_ingest
from caseloop.intake.models import InboundMessage, InboundStatus, Mailbox
from caseloop.intake.services import intake_requeue
from caseloop.notify.models import OutboxMessage
from tests.intake.email.builders import (
    EXE,
    JPEG,
    PDF,
    PNG,
    attachment,
    forwarded,
    inline_image,
    multipart,
    new_message_id,
    raw_email,
    text_part,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def mailbox() -> Mailbox:
    return Mailbox.objects.create(name="support", address="support@caseloop.test", imap_host="imap.invalid",
                                  username="support", password="secret")


def ingest(raw: bytes, source: str = "support"):  # type: ignore[no-untyped-def]
    return email_ingest(raw=raw, source=source)


def test_a_new_mail_becomes_a_case_acknowledged_from_the_mailbox_it_reached() -> None:
    message_id = new_message_id()
    result = ingest(raw_email(message_id=message_id))

    assert (result.result, result.reason) == ("created", "")
    case = Case.objects.get(number=result.case)
    assert (case.channel, case.subject) == (Channel.EMAIL, "洗衣机噪音")
    assert case.content == "洗衣机脱水时噪音很大，请派人上门检查。"
    assert (case.customer.name, case.customer.email) == ("张三", "zhang@example.cn")
    ack = OutboxMessage.objects.get(case=case)
    assert (ack.recipient, ack.sender) == ("zhang@example.cn", "support@caseloop.test")
    assert case.number in ack.subject
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert ack.headers["In-Reply-To"] == message_id
    assert re.fullmatch(r"<[^<>@]+@caseloop\.test>", ack.headers["Message-ID"])


def test_html_only_body_is_stored_as_plain_text_without_any_markup() -> None:
    html = """<html><head><style>p {color: red}</style><title>t</title></head><body>
        <script>alert('x')</script><p>冰箱&nbsp;不制冷</p><img src="x" onerror="alert(1)">
        <div>型号：<b>BCD-520</b><br>地址：上海市</div><!-- tracking --><iframe src="https://evil"></iframe>
        <a href="javascript:alert(2)" onclick="steal()">我的订单</a></body></html>"""
    result = ingest(raw_email(body=html.encode(), content_type="text/html"))

    content = Case.objects.get(number=result.case).content
    assert content == "冰箱 不制冷\n\n型号：BCD-520\n地址：上海市\n\n我的订单"
    for fragment in ("<", "script", "alert", "onerror", "javascript", "color", "tracking", "evil"):
        assert fragment not in content


def test_inline_image_and_attachment_are_kept_and_a_forbidden_file_is_dropped_with_a_note() -> None:
    body = multipart(
        multipart_part := _alternative_with_inline_image(),
        attachment(PDF, "发票.pdf", subtype="pdf"),
        attachment(EXE, "setup.exe"),
    )
    assert multipart_part is not None
    result = ingest(body)

    assert result.result == "created"
    case = Case.objects.get(number=result.case)
    assert sorted(a.original_name for a in case.attachments.all()) == ["image-1.png", "发票.pdf"]
    assert case.content == "冰箱不制冷，照片见下。"
    note = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
    assert "setup.exe" in note.reason


def _alternative_with_inline_image():  # type: ignore[no-untyped-def]
    from email.mime.multipart import MIMEMultipart

    related = MIMEMultipart("related")
    related.attach(text_part('<p>冰箱不制冷，照片见下。</p><img src="cid:photo1">'.encode(), subtype="html"))
    related.attach(inline_image(PNG, "photo1"))
    alternative = MIMEMultipart("alternative")
    alternative.attach(text_part("冰箱不制冷，照片见下。".encode("gbk"), charset="gbk"))
    alternative.attach(related)
    return alternative


def test_a_forwarded_message_is_folded_into_the_case_with_its_attachments() -> None:
    inner = multipart(text_part("快递员态度恶劣，包裹破损。".encode("gb2312"), charset="gb2312"),
                      attachment(JPEG, "破损.jpg", maintype="image", subtype="jpeg"),
                      subject="快递投诉", sender="李四 <li@example.cn>")
    result = ingest(multipart(text_part("转给你们看一下我家人的投诉。".encode()), forwarded(inner),
                              subject="Fwd: 快递投诉", sender="王五 <wang@example.cn>"))

    case = Case.objects.get(number=result.case)
    assert case.subject == "快递投诉"
    assert case.customer.email == "wang@example.cn"
    assert "转给你们看一下我家人的投诉。" in case.content
    assert "From: 李四 <li@example.cn>" in case.content
    assert "快递员态度恶劣，包裹破损。" in case.content
    assert [a.original_name for a in case.attachments.all()] == ["破损.jpg"]


@pytest.mark.parametrize(
    ("extra", "sender", "subject"),
    [
        pytest.param({"Auto-Submitted": "auto-replied"}, None, None, id="auto-submitted"),
        pytest.param({"X-Autoreply": "yes"}, None, None, id="x-autoreply"),
        pytest.param({"Precedence": "bulk"}, None, None, id="precedence-bulk"),
        pytest.param({"Precedence": "junk"}, None, None, id="precedence-junk"),
        pytest.param({"Precedence": "list"}, None, None, id="precedence-list"),
        pytest.param({}, "Mail Delivery System <MAILER-DAEMON@mx.example.cn>", None, id="mailer-daemon"),
        pytest.param({}, "postmaster@example.cn", None, id="postmaster"),
        pytest.param({"Return-Path": "<>"}, None, None, id="null-return-path"),
        pytest.param({}, None, "自动回复: 洗衣机噪音", id="subject-auto-reply"),
        pytest.param({}, "support@caseloop.test", None, id="our-own-address"),
    ],
)
def test_auto_replies_bounces_and_our_own_mail_are_ignored_and_never_acknowledged(
    extra: dict[str, str], sender: str | None, subject: str | None,
) -> None:
    raw = raw_email(extra=extra, sender=sender or "张三 <zhang@example.cn>", subject=subject or "洗衣机噪音")
    result = ingest(raw)

    assert result.result == "ignored"
    assert result.reason
    assert not Case.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_bounce_report_is_ignored() -> None:
    from email.mime.message import MIMEMessage
    from email.mime.text import MIMEText

    status = MIMEMessage(_headers_only("Reporting-MTA: dns; mx.example.cn"), "delivery-status")
    raw = multipart(MIMEText("Delivery failed"), status, subtype="report",
                    params={"report-type": "delivery-status"}, sender="mx@example.cn")
    result = ingest(raw)

    assert (result.result, Case.objects.count(), OutboxMessage.objects.count()) == ("ignored", 0, 0)
    assert "delivery-status" in result.reason


def _headers_only(text: str):  # type: ignore[no-untyped-def]
    from email import message_from_string

    return message_from_string(text + "\n\n")


def test_auto_submitted_no_is_a_person_writing() -> None:
    assert ingest(raw_email(extra={"Auto-Submitted": "no"})).result == "created"


def test_a_reply_with_the_case_number_in_the_subject_is_threaded_into_the_case() -> None:
    first = ingest(raw_email())
    reply = raw_email(subject=f"回复：[{first.case}] 我们已收到您的反馈", sender="zhang@example.cn",
                      body="师傅什么时候上门？\n\n-----原始邮件-----\n发件人: support@caseloop.test\n我们已收到".encode())
    result = ingest(reply)

    assert (result.result, result.case) == ("appended", first.case)
    assert Case.objects.count() == 1
    message = CaseMessage.objects.get(case__number=first.case, direction=MessageDirection.INBOUND)
    assert message.body == "师傅什么时候上门？"
    assert OutboxMessage.objects.count() == 1  # replies are never acknowledged


def test_a_reply_to_our_acknowledgement_is_threaded_by_in_reply_to() -> None:
    first = ingest(raw_email())
    ack_id = OutboxMessage.objects.get().headers["Message-ID"]
    reply = raw_email(subject="Re: 已收到", body=b"thanks, see attached", sender="zhang@example.cn",
                      extra={"In-Reply-To": ack_id, "References": ack_id})

    assert (ingest(reply).result, Case.objects.count()) == ("appended", 1)
    assert CaseMessage.objects.filter(case__number=first.case, body="thanks, see attached").exists()


def test_a_follow_up_referencing_the_customers_first_mail_is_threaded() -> None:
    first_id = new_message_id()
    first = ingest(raw_email(message_id=first_id))
    follow_up = raw_email(subject="补充：型号 XQG80", body="型号是 XQG80-B1。".encode(),
                          extra={"References": f"<unknown@x.cn> {first_id}"})

    assert ingest(follow_up).case == first.case
    assert Case.objects.count() == 1


def test_a_case_number_that_does_not_exist_does_not_thread() -> None:
    result = ingest(raw_email(subject="关于 CF209901010001 的问题"))
    assert result.result == "created"


def test_the_same_message_id_is_taken_once_even_through_two_mailboxes() -> None:
    raw = raw_email(message_id="<same-1@example.cn>")
    first = ingest(raw)
    again = ingest(raw)
    other_mailbox = ingest(raw, source="sales")

    assert first.result == "created"
    assert (again.result, again.case) == ("ignored", first.case)
    assert other_mailbox.result == "ignored"
    assert "duplicate" in other_mailbox.reason
    assert Case.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_message_without_body_becomes_a_case_from_its_subject() -> None:
    case = Case.objects.get(number=ingest(raw_email(body=b"", subject="热水器不出热水")).case)
    assert (case.subject, case.content) == ("热水器不出热水", "热水器不出热水")


def test_a_message_without_subject_takes_its_first_line() -> None:
    case = Case.objects.get(number=ingest(raw_email(subject="", body="空调漏水\n已经三天了".encode())).case)
    assert (case.subject, case.content) == ("空调漏水", "空调漏水\n已经三天了")


def test_a_message_with_only_a_photo_becomes_a_case() -> None:
    result = ingest(multipart(attachment(JPEG, "IMG_0001.jpg", maintype="image", subtype="jpeg"), subject=""))

    case = Case.objects.get(number=result.case)
    assert case.subject == "来自 zhang@example.cn 的邮件"
    assert "IMG_0001.jpg" in case.content
    assert case.attachments.count() == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(raw_email(body=b"", subject=""), "no text and no acceptable attachment", id="empty"),
        pytest.param(multipart(attachment(EXE, "photo.exe"), subject=""), "photo.exe", id="only-a-forbidden-file"),
        pytest.param(b"\x00\xff garbage that is not an e-mail \x00", "no sender address", id="not-an-email"),
    ],
)
def test_a_message_with_nothing_to_register_is_quarantined_whole(raw: bytes, reason: str) -> None:
    result = ingest(raw)

    assert result.result == "quarantined"
    assert reason in result.reason
    stored = InboundMessage.objects.get(pk=result.message)
    assert (stored.status, bytes(stored.payload)) == (InboundStatus.QUARANTINED, raw)
    assert not Case.objects.exists()


def test_a_message_that_breaks_the_parser_is_quarantined_and_can_be_processed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = channels.PARSERS[Channel.EMAIL]

    def broken(message: InboundMessage) -> channels.Decision:
        raise RuntimeError("parser bug")

    monkeypatch.setitem(channels.PARSERS, Channel.EMAIL, broken)
    result = ingest(raw_email())
    assert (result.result, result.reason) == ("quarantined", "RuntimeError: parser bug")

    monkeypatch.setitem(channels.PARSERS, Channel.EMAIL, good)
    again = intake_requeue(result.message)
    assert (again.status, again.outcome) == (InboundStatus.PROCESSED, "created")
    assert Case.objects.count() == 1
