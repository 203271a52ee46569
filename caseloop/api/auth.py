"""Bearer API keys, scopes and the per-key rate limit, checked before an operation runs."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from caseloop.api.errors import ApiError
from caseloop.api.models import ApiKey
from caseloop.api.services import apikey_authenticate, apikey_touch
from caseloop.core import ratelimit

RATE_WINDOW_SECONDS = 60


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer cl_…` with the scope an operation needs; `request.auth` is the ApiKey."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = apikey_authenticate(token)
        if api_key is None:
            return None  # ninja answers 401 through the AuthenticationError handler
        if not api_key.has_scope(self.scope):
            raise ApiError(403, "insufficient_scope",
                           _("This API key lacks the scope “%(scope)s”.") % {"scope": self.scope})
        check_rate_limit(api_key)
        apikey_touch(api_key)
        return api_key


def check_rate_limit(api_key: ApiKey) -> None:
    """A one-minute window per key, counted in the shared cache (Redis when REDIS_URL is set)."""
    limit = api_key.rate_limit_per_minute
    if not limit:
        return
    verdict = ratelimit.hit(ratelimit.Limit("api-key", limit, RATE_WINDOW_SECONDS), str(api_key.pk))
    if not verdict.allowed:
        raise ApiError(429, "rate_limited",
                       _("Too many requests for this API key; at most %(n)d a minute.") % {"n": limit},
                       headers={"Retry-After": str(verdict.retry_after_seconds)})
