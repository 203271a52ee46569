"""Facts about a request that several clients of the domain need (console, portal, API, hooks)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The customer's address, for rate limits and access logs.

    Behind N reverse proxies (CASELOOP_PROXY_COUNT=N) it is the N-th address from the right of
    X-Forwarded-For — the one our own outermost proxy saw; anything further left was written by the
    client and cannot be trusted. Without proxies it is the socket's peer address.
    """
    proxies = settings.CASELOOP["PROXY_COUNT"]
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
