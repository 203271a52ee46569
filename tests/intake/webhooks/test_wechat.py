from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from defusedxml.ElementTree import fromstring
from django.test import Client

from caseloop.cases.choices import Channel, MessageDirection
from caseloop.cases.models import Case, CaseMessage
from caseloop.customers.services import CustomerDetails
from caseloop.intake.models import InboundMessage, InboundOutcome, InboundStatus, WebhookEndpoint
from tests.factories import register_case
from tests.intake.webhooks.conftest import WECHAT_TOKEN, wechat_query, wechat_text

URL = "/hooks/wechat/wx-main/"
XML = "text/xml"


def _url(**query: Any) -> str:
    return f"{URL}?{urlencode(wechat_query(**query))}"


# --- GET verification ----------------------------------------------------------------------------


def test_verification_with_good_signature_echoes_echostr(client: Client, wechat_endpoint: WebhookEndpoint) -> None:
    response = client.get(URL, wechat_query(echostr="7301866297346453"))

    assert response.status_code == 200
    assert response.content == b"7301866297346453"


def test_verification_with_bad_signature_is_refused(client: Client, wechat_endpoint: WebhookEndpoint) -> None:
    response = client.get(URL, wechat_query("another-token", echostr="7301866297346453"))

    assert response.status_code == 403
    assert b"7301866297346453" not in response.content


def test_unknown_or_inactive_endpoint_is_not_found(client: Client, wechat_endpoint: WebhookEndpoint) -> None:
    assert client.get("/hooks/wechat/nope/", wechat_query(echostr="1")).status_code == 404
    wechat_endpoint.is_active = False
    wechat_endpoint.save()
    assert client.get(URL, wechat_query(echostr="1")).status_code == 404


# --- Messages --------------------------------------------------------------------------------------


def test_text_message_is_stored_acknowledged_and_becomes_a_case(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    started = time.monotonic()
    response = post_on_commit(_url(), wechat_text(openid="oUser_1", msg_id="1001"), content_type=XML)

    assert response.status_code == 200
    assert time.monotonic() - started < 5  # WeChat's rule: answer within five seconds
    reply = {child.tag: child.text for child in fromstring(response.content)}
    assert reply["ToUserName"] == "oUser_1"
    assert reply["FromUserName"] == "gh_account"
    assert reply["MsgType"] == "text"
    assert reply["Content"]
    message = InboundMessage.objects.get()
    assert (message.channel, message.source, message.external_id) == (Channel.WECHAT, "wx-main", "1001")
    assert (message.status, message.outcome) == (InboundStatus.PROCESSED, InboundOutcome.CREATED)
    case = Case.objects.get()
    assert message.case == case
    assert case.channel == Channel.WECHAT
    assert case.customer.wechat_openid == "oUser_1"
    assert case.content == "洗衣机漏水，请尽快处理"


def test_answer_does_not_wait_for_processing(client: Client, wechat_endpoint: WebhookEndpoint) -> None:
    # No on-commit execution here: the view has answered, the message is stored, no case yet.
    response = client.post(_url(), data=wechat_text(msg_id="1002"), content_type=XML)

    assert response.status_code == 200
    assert InboundMessage.objects.get().status == InboundStatus.RECEIVED
    assert not Case.objects.exists()


def test_retry_of_the_same_msgid_makes_no_second_case(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    body = wechat_text(msg_id="1003")
    first = post_on_commit(_url(), body, content_type=XML)
    second = post_on_commit(_url(nonce="other"), body, content_type=XML)

    assert first.status_code == second.status_code == 200
    assert InboundMessage.objects.count() == 1
    assert Case.objects.count() == 1


def test_bad_signature_is_refused_logged_without_secrets_and_nothing_stored(
    client: Client, wechat_endpoint: WebhookEndpoint, caplog: pytest.LogCaptureFixture,
) -> None:
    query = wechat_query("guessed-token")
    with caplog.at_level(logging.WARNING, logger="caseloop.intake.hooks"):
        response = client.post(f"{URL}?{urlencode(query)}", data=wechat_text(), content_type=XML)

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
    assert "bad WeChat signature" in caplog.text
    assert WECHAT_TOKEN not in caplog.text
    assert query["signature"] not in caplog.text


def test_stale_timestamp_is_refused(client: Client, wechat_endpoint: WebhookEndpoint) -> None:
    response = client.post(_url(timestamp=int(time.time()) - 600), data=wechat_text(), content_type=XML)

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("body", [
    # billion laughs
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<xml><Content>&lol2;</Content></xml>",
    # external entity
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    # a bare DTD
    b'<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>',
], ids=["entity-bomb", "external-entity", "dtd"])
def test_xml_with_dtd_or_entities_is_refused(client: Client, wechat_endpoint: WebhookEndpoint, body: bytes) -> None:
    response = client.post(_url(), data=body, content_type=XML)

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("body", [b"<xml><MsgType>text</Msg", b"not xml at all", b"<html><body/></html>"])
def test_malformed_xml_is_refused_and_not_stored(client: Client, wechat_endpoint: WebhookEndpoint, body: bytes) -> None:
    response = client.post(_url(), data=body, content_type=XML)

    assert response.status_code == 400
    assert not InboundMessage.objects.exists()


def test_subscribe_event_is_ignored(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    body = (f"<xml><ToUserName>gh_account</ToUserName><FromUserName>oUser_2</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>").encode()
    response = post_on_commit(_url(), body, content_type=XML)

    assert response.status_code == 200
    assert response.content == b"success"
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.IGNORED
    assert message.external_id.startswith("oUser_2:")
    assert not Case.objects.exists()


def test_text_naming_an_open_case_of_the_same_openid_is_a_reply(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    case = register_case(channel=Channel.WECHAT, customer=CustomerDetails(wechat_openid="oUser_3"))

    post_on_commit(_url(), wechat_text(openid="oUser_3", msg_id="1004", content=f"关于{case.number}，师傅还没来"),
                   content_type=XML)

    message = InboundMessage.objects.get()
    assert (message.outcome, message.case) == (InboundOutcome.APPENDED, case)
    assert Case.objects.count() == 1
    reply = CaseMessage.objects.get(case=case)
    assert reply.direction == MessageDirection.INBOUND
    assert reply.channel == Channel.WECHAT


def test_case_number_of_someone_else_does_not_reach_their_case(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    other = register_case(channel=Channel.WECHAT, customer=CustomerDetails(wechat_openid="oOther"))

    post_on_commit(_url(), wechat_text(openid="oUser_4", msg_id="1005", content=f"{other.number} 进度如何"),
                   content_type=XML)

    assert not CaseMessage.objects.filter(case=other).exists()
    assert Case.objects.exclude(pk=other.pk).get().customer.wechat_openid == "oUser_4"


def test_picture_goes_to_the_customers_open_case(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    case = register_case(channel=Channel.WECHAT, customer=CustomerDetails(wechat_openid="oUser_5"))
    body = (f"<xml><ToUserName>gh_account</ToUserName><FromUserName>oUser_5</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>image</MsgType>"
            f"<PicUrl>https://mmbiz.example/pic.jpg</PicUrl><MediaId>media1</MediaId><MsgId>1006</MsgId></xml>").encode()

    post_on_commit(_url(), body, content_type=XML)

    assert InboundMessage.objects.get().case == case
    assert "https://mmbiz.example/pic.jpg" in CaseMessage.objects.get(case=case).body


def test_encrypted_message_is_kept_in_quarantine(post_on_commit: Any, wechat_endpoint: WebhookEndpoint) -> None:
    body = b"<xml><ToUserName>gh_account</ToUserName><Encrypt><![CDATA[bXlzZWNyZXQ=]]></Encrypt></xml>"

    response = post_on_commit(_url(encrypt_type="aes"), body, content_type=XML)

    assert response.status_code == 200
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.QUARANTINED
    assert "encrypted" in message.reason
    assert not Case.objects.exists()
