from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from caseloop.core.scheduler import run_forever, tick


class Command(BaseCommand):
    help = "Enqueue periodic tasks (outbox retries, mailbox polls, sweeps). Safe to run on several nodes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue what is due now and exit.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between ticks.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(", ".join(tick()) or "nothing due")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        run_forever(stop, interval=options["interval"])
