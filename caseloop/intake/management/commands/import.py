"""`caseloop import cases FILE.csv|FILE.xlsx [--mapping MAP.json] [--dry-run] [--channel import]`.

Thin: reading, mapping, validation and registration are in caseloop.intake.importing.
Exit status 0 when every row was imported or already present, 1 when some rows were invalid
(the valid ones are imported all the same) or the file could not be read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from caseloop.cases.choices import Channel
from caseloop.intake import importing


class Command(BaseCommand):
    help = "Import cases from a CSV or XLSX file (idempotent by external ID)."
    # The system checks import every URL and view (and the triage models' libraries with them):
    # over a second per run of a command that cron or a mail hook may start every minute. The
    # deployment runs `caseloop check --deploy` once instead.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["cases"], help="What to import.")
        parser.add_argument("file", type=Path, help="A .csv (UTF-8, UTF-8 with BOM or GB18030) or .xlsx file.")
        parser.add_argument("--mapping", type=Path, help='JSON file: {"header in the file": "field", …}.')
        parser.add_argument("--dry-run", action="store_true", help="Validate and count; register nothing.")
        parser.add_argument("--channel", default=Channel.IMPORT, choices=Channel.values,
                            help="Channel of rows without a channel column or value (default: import).")
        parser.add_argument("--batch-size", type=int, default=importing.BATCH_SIZE, help="Rows per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        started = time.perf_counter()
        try:
            table = importing.read_table(path)
            overrides = importing.load_mapping(options["mapping"]) if options["mapping"] else None
            mapping = importing.column_mapping(table.header, overrides)
        except importing.ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        columns = ", ".join(f"{importing.column_name(table.header, i)} → {name}" for name, i in sorted(
            mapping.items(), key=lambda item: item[1]))
        self.stdout.write(_("%(file)s: %(n)d rows (%(encoding)s); columns: %(columns)s")
                          % {"file": path.name, "n": len(table.rows), "encoding": table.encoding, "columns": columns})

        # The bar goes to stderr and only to a terminal, so piped reports stay clean.
        console = Console(file=sys.stderr)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, disable=not console.is_terminal, transient=True) as bar:
            task = bar.add_task("validating" if options["dry_run"] else "importing", total=len(table.rows))
            summary = importing.import_cases(table, mapping=mapping, default_channel=options["channel"],
                                             dry_run=options["dry_run"], batch_size=options["batch_size"],
                                             progress=lambda n: bar.advance(task, n))
        elapsed = time.perf_counter() - started

        for problem in summary.problems:
            self.stdout.write(f"  {problem}")
        rate = summary.total / elapsed if elapsed else 0.0
        figures = {"total": summary.total, "created": summary.created, "present": summary.already_present,
                   "invalid": summary.invalid, "seconds": elapsed, "rate": rate}
        if options["dry_run"]:
            line = _("%(total)d rows: %(created)d would be created, %(present)d already present, %(invalid)d invalid "
                     "(%(seconds).1f s, %(rate).0f rows/s) — dry run, nothing written")
        else:
            line = _("%(total)d rows: %(created)d created, %(present)d already present, %(invalid)d invalid "
                     "(%(seconds).1f s, %(rate).0f rows/s)")
        self.stdout.write(line % figures)
        if summary.invalid:
            raise CommandError(_("%(n)d row(s) were not imported; see the problems above.") % {"n": summary.invalid})
