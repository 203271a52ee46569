"""Every refusal of the API has one shape, in the language the client asked for:

    {"error": {"code": "required", "message": "请填写此项。", "field": "subject"}}

`code` is stable and meant for programs; `message` is for people; `field` names the input at
fault (dotted, list items as `attachments[0].data`) or is null. Validation errors list every
problem in `error.details` as well; the first one is repeated at the top.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from caseloop.core.errors import ApplicationError, NotFound, PermissionDenied

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with its HTTP status; raised by the API layer itself (auth, scopes, idempotency)."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


# --- Language -------------------------------------------------------------------------------
# The console is Chinese-first whatever the browser says (core.middleware); an API client states
# the language it wants, so Accept-Language is followed here, English included.

_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


def api_language(request: HttpRequest) -> str:
    header = request.headers.get("Accept-Language", "")
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _sep, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(ranked):
        if tag.startswith(_TRADITIONAL):
            return "zh-hant"
        if tag == "zh" or tag.startswith("zh-"):
            return "zh-hans"
        if tag == "en" or tag.startswith("en-"):
            return "en"
    return settings.LANGUAGE_CODE


def in_request_language(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Operation decorator ("view" mode: around authentication and validation too)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = api_language(request)
        with translation.override(language):
            response = run(request, *args, **kwargs)
        response["Content-Language"] = language
        return response

    return wrapper


# --- Validation errors (422) ----------------------------------------------------------------


# Names the operations give to parameters that are whole schemas; not part of a field's name.
SCHEMA_PARAMETERS = ("payload", "query")


def field_path(loc: Iterable[Any]) -> str | None:
    """("body", "payload", "attachments", 0, "data") → "attachments[0].data"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    if parts and parts[0] in SCHEMA_PARAMETERS:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def _validation_message(error: dict[str, Any]) -> tuple[str, str]:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required", _("This field is required.")
    if kind == "extra_forbidden":
        return "unknown_field", _("This field is not part of the API.")
    if kind == "string_too_long":
        return "too_long", _("Ensure this value has at most %(n)d characters.") % {"n": ctx.get("max_length", 0)}
    if kind == "string_too_short":
        return "too_short", _("Ensure this value has at least %(n)d characters.") % {"n": ctx.get("min_length", 0)}
    if kind in ("too_long", "too_short"):
        return "invalid", _("This list has too many or too few items.")
    if kind in ("enum", "literal_error"):
        return "invalid_choice", _("Unknown value; expected one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind.startswith("datetime"):
        return "invalid", _("Enter a date and time in ISO 8601 with a time zone, e.g. 2025-03-01T09:30:00+08:00.")
    if kind.startswith("date"):
        return "invalid", _("Enter a date as YYYY-MM-DD.")
    if kind.startswith("int"):
        return "invalid", _("Enter a whole number.")
    if kind.startswith("bool"):
        return "invalid", _("Enter true or false.")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return "out_of_range", _("This number is out of range.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "invalid", _("Expected a JSON object.")
    if kind == "list_type":
        return "invalid", _("Expected a JSON list.")
    if kind.startswith("string"):
        return "invalid", _("Expected a string.")
    return "invalid", _("This value is invalid.")


def validation_response(api: NinjaAPI, request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = []
    for error in exc.errors:
        code, message = _validation_message(error)
        details.append({"code": code, "message": message, "field": field_path(error.get("loc", ()))})
    if not details:
        details.append({"code": "invalid", "message": _("This value is invalid."), "field": None})
    first = details[0]
    return api.create_response(request, error_body(str(first["code"]), str(first["message"]), first["field"],
                                                   details=details), status=422)


# --- Handlers ---------------------------------------------------------------------------------


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        response = api.create_response(request, error_body(exc.code, exc.message, exc.field), status=exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(ApplicationError)
    def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        # The services' refusals are already translated (raised under the request's language).
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, PermissionDenied) else 422
        return api.create_response(request, error_body(exc.code, exc.message, exc.field), status=status)

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = api.create_response(
            request, error_body("unauthorized", _("Send a valid API key: “Authorization: Bearer <key>”.")), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="caseloop"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            # ninja's "Cannot parse request body": not JSON, or not UTF-8.
            return api.create_response(
                request, error_body("malformed_json", _("The request body is not valid JSON.")), status=400)
        if exc.status_code == 400 and isinstance(exc.__cause__, RequestDataTooBig):
            return _too_large(request)
        return api.create_response(request, error_body(f"http_{exc.status_code}", str(exc)), status=exc.status_code)

    def _too_large(request: HttpRequest) -> HttpResponse:
        return api.create_response(request, error_body("request_too_large", _("The request is too large.")),
                                   status=413)

    @api.exception_handler(RequestDataTooBig)
    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _too_large(request)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, error_body("not_found", _("Not found.")), status=404)

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_response(api, request, exc)

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API request %s %s failed", request.method, request.path)
        return api.create_response(
            request, error_body("server_error", _("Something went wrong on our side.")),
            status=500)


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()
