"""The NinjaAPI of /api/v1: key authentication per operation, JSON errors in the request's
language, OpenAPI at /api/v1/openapi.json (browsable at /api/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from caseloop.api.errors import in_request_language, install_error_handlers
from caseloop.api.triage_views import router as triage_router
from caseloop.api.views import router

api = NinjaAPI(
    title="Caseloop API",
    version="1",
    description=(
        "Register customer feedback from any system and follow it. Authenticate with an API key "
        "(`Authorization: Bearer cl_…`, created with `caseloop apikey create`). Errors are "
        '`{"error": {"code", "message", "field"}}`, the message in the language of Accept-Language '
        "(zh-hans by default, zh-hant, en). See docs/api.md."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,  # served at /api/docs (caseloop/api/urls.py)
)
install_error_handlers(api)
api.add_decorator(in_request_language, mode="view")
api.add_router("/", router)
api.add_router("/", triage_router)
