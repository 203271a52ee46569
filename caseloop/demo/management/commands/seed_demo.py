from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from caseloop.demo.seed import seed_demo


class Command(BaseCommand):
    help = "Load the demo organisation, users and a few hundred cases (once; a second run changes nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=300)

    def handle(self, *args: Any, **options: Any) -> None:
        summary = seed_demo(cases=options["cases"])
        if summary.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {summary.cases} cases."))
        else:
            self.stdout.write(f"Demo data already present ({summary.cases} cases); nothing changed.")
