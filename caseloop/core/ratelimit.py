"""Fixed-window rate limits on Django's cache (Redis in production, per-process memory otherwise).

A counter per (scope, identifier, window) is created with `add` and raised with `incr`, both atomic
on Redis, so concurrent requests of several worker processes are counted exactly. Identifiers
(IP addresses, phone numbers, e-mail addresses) are hashed before they become cache keys, so no
contact detail sits in the cache in clear.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from caseloop.core import clock

_KEY_PREFIX = "caseloop:rl"


@dataclass(frozen=True)
class Limit:
    scope: str
    max_hits: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after_seconds: int  # until the current window ends


def hit(limit: Limit, identifier: str) -> Verdict:
    """Count one attempt; `allowed` is False once the window holds more than `max_hits` attempts."""
    key, remaining = _key_and_remaining(limit, identifier)
    # The key outlives its window a little so that a slow request still finds it; its name changes
    # with the window anyway.
    timeout = remaining + 5
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy to it
    if isinstance(backend, RedisCache):
        count = _redis_hit(backend, key, timeout)
    else:
        cache.add(key, 0, timeout=timeout)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            count = 1
    return Verdict(allowed=count <= limit.max_hits, count=count, retry_after_seconds=remaining)


def _redis_hit(redis_cache: RedisCache, key: str, timeout: int) -> int:
    """INCR and EXPIRE in one round trip (Django's add + incr take three: SET NX, EXISTS, INCRBY).

    Redis's INCR creates a missing key at 0; the count is stored as a plain integer, which is how
    Django's Redis cache stores integers too, so `peek` reads it back through the cache API.
    """
    full_key = redis_cache.make_and_validate_key(key)
    client = redis_cache._cache.get_client(full_key, write=True)  # Django's cache exposes no pipeline
    pipeline = client.pipeline(transaction=False)
    pipeline.incr(full_key)
    pipeline.expire(full_key, timeout)
    count, _expiry_set = pipeline.execute()
    return int(count)


def peek(limit: Limit, identifier: str) -> Verdict:
    """The state of the window without counting an attempt (used before checking a tracking code)."""
    key, remaining = _key_and_remaining(limit, identifier)
    count = int(cache.get(key, 0))
    return Verdict(allowed=count < limit.max_hits, count=count, retry_after_seconds=remaining)


def _key_and_remaining(limit: Limit, identifier: str) -> tuple[str, int]:
    now = clock.now().timestamp()
    window = max(1, limit.window_seconds)
    index = int(now // window)
    remaining = max(1, math.ceil((index + 1) * window - now))
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:32]
    return f"{_KEY_PREFIX}:{limit.scope}:{digest}:{index}", remaining
