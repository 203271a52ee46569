"""The client address behind reverse proxies: only what our own proxies wrote is trusted."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from pytest_django import Settings

from caseloop.core.http import client_ip


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.9", "10.0.0.5"),  # no proxy configured: a client's header is ignored
    (1, "203.0.113.9", "203.0.113.9"),
    (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the left part was written by the client
    (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
    (2, "203.0.113.9", "10.0.0.5"),  # fewer hops than proxies: fall back to the peer
])
def test_client_ip_trusts_only_the_configured_number_of_proxies(
    settings: Settings, proxies: int, forwarded: str, expected: str
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PROXY_COUNT": proxies}
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.5")

    assert client_ip(request) == expected
