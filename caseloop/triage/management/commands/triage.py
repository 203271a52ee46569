"""`caseloop triage train|evaluate|classify|backfill|stats`: the triage models from the command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caseloop.triage import corpus, evaluation
from caseloop.triage.training import TrainingRequest, train_and_activate


class Command(BaseCommand):
    help = "Train, evaluate and run Caseloop's Chinese triage models."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{train,evaluate,classify,backfill,stats}")
        train = actions.add_parser("train", help="Retrain from the corpus, people's decisions and data files; the new "
                                                 "model becomes active only if it is not worse on the held-out split.")
        train.add_argument("--data", action="append", default=[], type=Path, metavar="DIR",
                           help="More labelled JSON lines (the corpus format), or an abuse set folder with train.csv "
                                "(COLD). Files named test.* are never read.")
        train.add_argument("--no-corpus", action="store_true", help="Leave out the shipped corpus.")
        train.add_argument("--no-decisions", action="store_true", help="Leave out labels people confirmed or corrected.")
        train.add_argument("--force", action="store_true", help="Activate even if the evaluation is worse.")
        train.add_argument("--note", default="", help="Kept with the model version.")
        evaluate = actions.add_parser("evaluate", help="Accuracy, macro-F1 and confusion tables on labelled data.")
        evaluate.add_argument("--data", action="append", default=[], type=Path, metavar="DIR",
                              help="A folder of corpus-format JSON lines (its test split when it is the shipped "
                                   "corpus), or shared/data or one of its folders. Default: the corpus's test split.")
        evaluate.add_argument("--json", action="store_true", help="One JSON document instead of tables.")
        actions.add_parser("classify", help='Read {"id": …, "text": …} lines on stdin, write one JSON line each.')
        backfill = actions.add_parser("backfill", help="Triage cases that have no assessment yet (e.g. imported ones).")
        backfill.add_argument("--limit", type=int, default=0, help="At most this many (0: all).")
        actions.add_parser("stats", help="Handling deviation rate (处理偏差率) and the queues.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _train(self, options: dict[str, Any]) -> None:
        request = TrainingRequest(data_dirs=tuple(options["data"]), use_corpus=not options["no_corpus"],
                                  use_decisions=not options["no_decisions"], force=options["force"],
                                  note=options["note"])
        outcome = train_and_activate(request, progress=lambda line: self.stderr.write(line))
        self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=2))
        if not outcome.activated:
            raise CommandError(outcome.message)

    def _evaluate(self, options: dict[str, Any]) -> None:
        from caseloop.triage.loading import current_triager

        triager = current_triager()
        directories = options["data"] or [corpus.CORPUS_DIR]
        reports: dict[str, evaluation.TaskReport] = {}
        for directory in directories:
            directory = directory.resolve()
            if not directory.exists():
                raise CommandError(f"{directory} does not exist")
            if any(directory.rglob("*.jsonl")):
                split = "test" if directory == corpus.CORPUS_DIR.resolve() else None
                records = corpus.load(directory, split=split)
                found = evaluation.evaluate_corpus(triager, records)
                reports.update({f"{name}" if split else f"{name}@{directory.name}": r for name, r in found.items()})
            else:
                reports.update(evaluation.evaluate_shared(triager, directory))
        if options["json"]:
            self.stdout.write(json.dumps({"model_version": triager.bundle.version,
                                          "reports": {k: r.as_dict() for k, r in reports.items()}},
                                         ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"model {triager.bundle.version}, rules {triager.rules_digest}")
        for name, report in reports.items():
            extra = "  ".join(f"{k}={v:.3f}" for k, v in report.extra.items())
            self.stdout.write(f"\n== {name}: n={report.n} accuracy={report.accuracy:.3f} "
                              f"macro-F1={report.macro_f1:.3f}  {extra}")
            self.stdout.write(evaluation.confusion_table(report))

    def _classify(self, options: dict[str, Any]) -> None:
        from caseloop.triage.engine import TriageInput
        from caseloop.triage.loading import current_triager

        triager = current_triager()
        failures = 0
        for line_number, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = item["text"]
                if not isinstance(text, str):
                    raise TypeError("text must be a string")
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                failures += 1
                self.stdout.write(json.dumps({"line": line_number, "error": f"{type(exc).__name__}: {exc}"},
                                             ensure_ascii=False))
                continue
            started = time.perf_counter()
            result = triager.assess(TriageInput(text=text, channel=str(item.get("channel", ""))))
            output = {"id": item.get("id"), **result.as_dict(),
                      "ms": round((time.perf_counter() - started) * 1000, 2)}
            self.stdout.write(json.dumps(output, ensure_ascii=False))
        if failures:
            raise CommandError(f"{failures} input line(s) could not be read")

    def _backfill(self, options: dict[str, Any]) -> None:
        from caseloop.triage.services import triage_untriaged_cases

        done = triage_untriaged_cases(limit=options["limit"], include_recent=True)
        self.stdout.write(json.dumps({"triaged": done}))

    def _stats(self, options: dict[str, Any]) -> None:
        from caseloop.triage.models import CaseTriage
        from caseloop.triage.services import deviation_rate

        rates = deviation_rate()
        self.stdout.write(json.dumps({
            "deviation_rate": {d: {"decided": r.decided, "overridden": r.overridden, "rate": round(r.rate, 4)}
                               for d, r in rates.items()},
            "manual_dispatch_queue": CaseTriage.objects.filter(needs_manual_dispatch=True,
                                                               confirmed_at__isnull=True).count(),
            "unconfirmed": CaseTriage.objects.filter(confirmed_at__isnull=True).count(),
        }, ensure_ascii=False))
