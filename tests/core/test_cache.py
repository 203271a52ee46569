"""The Redis cache keeps one redis-py client per connection pool (caseloop/core/cache.py)."""

from __future__ import annotations

from django.core.cache import cache


def test_calls_share_one_client_and_values_round_trip(redis_cache: str) -> None:
    client = cache._cache.get_client()  # type: ignore[attr-defined]

    cache.set("answer", {"number": "CF202612050001"}, 30)

    assert cache.get("answer") == {"number": "CF202612050001"}
    assert cache.add("answer", "other", 30) is False
    assert cache._cache.get_client(write=True) is client  # type: ignore[attr-defined]
