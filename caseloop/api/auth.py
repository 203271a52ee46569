"""Bearer API keys, scopes and the per-key rate limit, checked before an operation runs."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from caseloop.api.errors import ApiError
from caseloop.api.models import ApiKey
from caseloop.api.services import apikey_authenticate, apikey_touch

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
    """A fixed one-minute window per key in the cache (Redis when REDIS_URL is set, so the count is
    shared by every worker process; per process otherwise)."""
    limit = api_key.rate_limit_per_minute
    if not limit:
        return
    now = time.time()
    window = int(now // RATE_WINDOW_SECONDS)
    cache_key = f"caseloop:api-rate:{api_key.pk}:{window}"
    cache.add(cache_key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=RATE_WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        retry_after = max(1, int((window + 1) * RATE_WINDOW_SECONDS - now))
        raise ApiError(429, "rate_limited",
                       _("Too many requests for this API key; at most %(n)d a minute.") % {"n": limit},
                       headers={"Retry-After": str(retry_after)})
