"""Fixed-window rate limits on the cache."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from caseloop.core import ratelimit
from caseloop.core.ratelimit import Limit

LIMIT = Limit("test", max_hits=3, window_seconds=60)
START = dt.datetime(2025, 3, 3, 9, 0, 10, tzinfo=dt.UTC)


@pytest.fixture(autouse=True, params=["local-memory", "redis"])
def shared_cache(request: pytest.FixtureRequest) -> None:
    """Every rule holds on the per-process cache and on Redis (production's, with its own code path)."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    else:
        cache.clear()


def test_hits_up_to_the_limit_are_allowed_and_the_next_is_refused() -> None:
    with time_machine.travel(START, tick=False):
        verdicts = [ratelimit.hit(LIMIT, "10.0.0.1") for _ in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.count for v in verdicts] == [1, 2, 3, 4]
    assert verdicts[-1].retry_after_seconds == 50


def test_identifiers_are_counted_separately() -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            ratelimit.hit(LIMIT, "10.0.0.1")

        assert ratelimit.hit(LIMIT, "10.0.0.2").allowed
        assert not ratelimit.hit(LIMIT, "10.0.0.1").allowed


def test_a_new_window_starts_afresh() -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            ratelimit.hit(LIMIT, "10.0.0.1")
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert ratelimit.hit(LIMIT, "10.0.0.1").allowed


def test_peek_reads_without_counting() -> None:
    with time_machine.travel(START, tick=False):
        ratelimit.hit(LIMIT, "x")
        ratelimit.hit(LIMIT, "x")

        assert ratelimit.peek(LIMIT, "x").allowed
        assert ratelimit.peek(LIMIT, "x").count == 2
        ratelimit.hit(LIMIT, "x")
        assert not ratelimit.peek(LIMIT, "x").allowed


def test_contact_details_never_appear_in_cache_keys() -> None:
    with time_machine.travel(START, tick=False):
        ratelimit.hit(LIMIT, "email:lin@example.cn")

    if isinstance(cache._cache, dict):  # type: ignore[attr-defined]  # local memory
        keys = list(cache._cache)  # type: ignore[attr-defined]
    else:
        keys = [key.decode() for key in cache._cache.get_client().scan_iter("*")]  # type: ignore[attr-defined]
    assert keys
    assert not any("lin@example.cn" in key for key in keys)


def test_on_redis_the_counter_expires_with_its_window(redis_cache: str) -> None:
    with time_machine.travel(START, tick=False):
        ratelimit.hit(LIMIT, "10.0.0.1")

    client = cache._cache.get_client()  # type: ignore[attr-defined]
    [key] = list(client.scan_iter(f"{redis_cache}:*"))
    assert 0 < client.ttl(key) <= 50 + 5
