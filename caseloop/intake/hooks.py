"""Inbound webhooks at /hooks/<channel>/<key>/: WeChat message push, SMS gateways, social tools.

Each hook authenticates the sender, stores the message as delivered (`intake_receive`, committed
before we answer) and answers at once; `intake_process` runs afterwards in the worker
(`process_inbound`, enqueued on commit). A crash after the answer loses nothing: the stored message
stays RECEIVED and is processed by the retry sweep. Refusals are logged with the endpoint and the
reason, never with a token, secret or signature.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import get_language, get_language_from_request, override
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from caseloop.cases.choices import Channel
from caseloop.core.http import client_ip
from caseloop.intake.channels import wechat
from caseloop.intake.channels.webhook import PayloadError, read_payload
from caseloop.intake.models import InboundMessage, InboundStatus, WebhookEndpoint
from caseloop.intake.services import intake_receive
from caseloop.intake.tasks import process_inbound

logger = logging.getLogger(__name__)

# A signed request older (or newer) than this is refused as a possible replay.
REPLAY_WINDOW_SECONDS = 300
MAX_WECHAT_BODY = 64 * 1024
MAX_JSON_BODY = 256 * 1024
SIGNATURE_HEADER = "X-Caseloop-Signature"
TIMESTAMP_HEADER = "X-Caseloop-Timestamp"
SIGNED_CHANNELS = frozenset({Channel.SMS, Channel.SOCIAL})


@csrf_exempt
def receive(request: HttpRequest, channel: str, key: str) -> HttpResponse:
    endpoint = WebhookEndpoint.objects.filter(channel=channel, key=key, is_active=True).first()
    if endpoint is None:
        raise Http404
    if channel == Channel.WECHAT:
        return _wechat(request, endpoint)
    if channel in SIGNED_CHANNELS:
        return _signed_json(request, endpoint)
    raise Http404


# --- WeChat -----------------------------------------------------------------------------------


def _wechat(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    params = request.GET
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    if not wechat.signature_matches(token=endpoint.token, timestamp=timestamp, nonce=nonce,
                                    given=params.get("signature", "")):
        _refuse(endpoint, request, "bad WeChat signature" if endpoint.token else "endpoint has no token")
        return HttpResponse(status=403)
    if not _is_fresh(timestamp):
        _refuse(endpoint, request, "stale WeChat timestamp")
        return HttpResponse(status=403)
    if request.method == "GET":  # the server-address verification when the account is configured
        return HttpResponse(params.get("echostr", ""), content_type="text/plain; charset=utf-8")
    if params.get("encrypt_type", "raw") not in ("raw", "aes"):
        return HttpResponse(status=400)
    if _too_big(request, MAX_WECHAT_BODY):
        return HttpResponse(status=413)
    body = request.body
    try:
        fields = wechat.parse_xml(body)
    except wechat.WeChatXMLError as exc:
        # Nothing is stored: WeChat itself never sends this, so it is a broken proxy or a forgery
        # with a replayed signature; the WeChat signature does not cover the body.
        _refuse(endpoint, request, f"unusable XML ({exc})", level=logging.WARNING)
        return HttpResponse(status=400)
    message, _created = intake_receive(channel=Channel.WECHAT, source=endpoint.key, payload=body,
                                       external_id=wechat.message_key(fields), content_type="application/xml")
    _enqueue(message)
    if fields.get("MsgType") in ("", "event") or not (fields.get("FromUserName") and fields.get("ToUserName")):
        return HttpResponse("success", content_type="text/plain; charset=utf-8")
    reply = wechat.passive_text_reply(to_user=fields["FromUserName"], from_user=fields["ToUserName"],
                                      content=wechat.acknowledgement_text())
    return HttpResponse(reply, content_type="application/xml; charset=utf-8")


# --- SMS gateways and social-listening tools: signed JSON ------------------------------------------


def signed_string(timestamp: str, body: bytes) -> bytes:
    """What the sender signs: the timestamp header, a dot, the raw body."""
    return timestamp.encode() + b"." + body


def body_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), signed_string(timestamp, body), hashlib.sha256).hexdigest()


def _signed_json(request: HttpRequest, endpoint: WebhookEndpoint) -> HttpResponse:
    with override(get_language_from_request(request) or settings.LANGUAGE_CODE):
        if request.method != "POST":
            return _error(405, "method_not_allowed", _("Use POST."), headers={"Allow": "POST"})
        given = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not given or not timestamp:
            _refuse(endpoint, request, "missing signature or timestamp header")
            return _error(401, "signature_required",
                          _("Sign the request: %(signature)s and %(timestamp)s headers are required.")
                          % {"signature": SIGNATURE_HEADER, "timestamp": TIMESTAMP_HEADER})
        if _too_big(request, MAX_JSON_BODY):
            return _error(413, "too_large", _("The body is larger than %(n)d bytes.") % {"n": MAX_JSON_BODY})
        body = request.body
        if not endpoint.secret or not hmac.compare_digest(body_signature(endpoint.secret, timestamp, body), given):
            _refuse(endpoint, request, "bad signature" if endpoint.secret else "endpoint has no secret")
            return _error(403, "bad_signature", _("The signature does not match."))
        if not _is_fresh(timestamp):
            _refuse(endpoint, request, "stale timestamp")
            return _error(403, "stale_timestamp", _("The timestamp is more than %(n)d seconds away from our clock.")
                          % {"n": REPLAY_WINDOW_SECONDS})
        try:
            payload = read_payload(body, channel=endpoint.channel)
        except PayloadError as exc:
            return _error(400, exc.code, exc.message, field=exc.field)
        message, created = intake_receive(channel=endpoint.channel, source=endpoint.key, payload=body,
                                          external_id=payload.id, content_type="application/json")
        _enqueue(message)
        return JsonResponse({"inbound_id": message.pk, "status": "accepted", "duplicate": not created}, status=202)


def _error(status: int, code: str, message: str, *, field: str = "", headers: dict[str, str] | None = None) -> JsonResponse:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    # The same shape as the REST API's errors.
    response = JsonResponse({"error": error}, status=status, headers=headers, json_dumps_params={"ensure_ascii": False})
    response["Content-Language"] = get_language()  # the language of the message, not the console's default
    return response


# --- Shared -----------------------------------------------------------------------------------------


def _is_fresh(timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(timezone.now().timestamp() - sent) <= REPLAY_WINDOW_SECONDS


def _too_big(request: HttpRequest, limit: int) -> bool:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit
    except ValueError:
        return True


def _enqueue(message: InboundMessage) -> None:
    """Processing runs after the answer. If enqueueing fails the message is still stored (RECEIVED)
    and the sweep (`process_waiting_inbound`) takes it; the sender must not retry for our sake."""
    if message.status != InboundStatus.RECEIVED:
        return

    def enqueue() -> None:
        try:
            process_inbound.enqueue(message.pk)
        except DatabaseError:
            logger.exception("could not enqueue processing of inbound message %s; the sweep will take it", message.pk)

    transaction.on_commit(enqueue)


def _refuse(endpoint: WebhookEndpoint, request: HttpRequest, reason: str, *, level: int = logging.WARNING) -> None:
    logger.log(level, "webhook %s/%s refused a request from %s: %s", endpoint.channel, endpoint.key,
               client_ip(request) or "?", reason)
