"""Playwright against Debian's chromium (no browser is ever downloaded) and pytest-django's live server.

The live server runs in a thread over the test database (transactional: SQLite is a file, so both
threads see the same rows). Playwright's sync API keeps an asyncio loop registered as running in
the test thread, which would make Django refuse ORM calls made by the test itself; hence
DJANGO_ALLOW_ASYNC_UNSAFE for the duration of each browser test only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(live_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """A headless chromium, started for one test and closed after it."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser installs Debian's chromium)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
            # Connections the test opened while Playwright's loop was running live in their own
            # context; close them here, or PostgreSQL keeps the session and the test database
            # cannot be dropped at the end of the run.
            connections.close_all()
