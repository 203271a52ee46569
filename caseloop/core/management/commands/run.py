"""`caseloop run`: the one-command start of `make run`.

Migrates, loads the demo data once, starts an in-process task worker and scheduler and serves the site
with waitress on 127.0.0.1:$PORT. Production runs web and worker as separate processes
(docs/operations.md); this is for a laptop or a trial.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from caseloop.demo import data as demo_data


class Command(BaseCommand):
    help = "Migrate, load demo data once, start an in-process worker and serve on http://127.0.0.1:$PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from caseloop.demo.seed import seed_demo

        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"]:
            summary = seed_demo()
            if summary.created:
                self.stdout.write(f"Loaded demo data: {summary.cases} cases.")
                self.stdout.write("Triaging the demo cases (the first run trains the built-in model)…")
                call_command("triage", "backfill", stdout=self.stdout)
        if "CASELOOP_SITE_URL" not in os.environ:  # links in messages to customers point here
            settings.CASELOOP["SITE_URL"] = f"http://{options['host']}:{options['port']}"
        if "EMAIL_HOST" not in os.environ:
            # A trial has no mail server: acknowledgements are printed here instead of retried forever.
            settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
            self.stdout.write("No EMAIL_HOST set: e-mails to customers are printed below.")
        _start_worker_thread()
        _start_scheduler_thread()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(self.style.SUCCESS(f"Caseloop is serving on {url}"))
        if not options["no_demo"]:
            self.stdout.write(f"Demo log-ins (password for all: {demo_data.DEMO_PASSWORD}):")
            for username, display_name, role, _departments in demo_data.USERS:
                self.stdout.write(f"  {username:<11} {role:<16} {display_name}")
        from config.wsgi import application

        serve(application, host=options["host"], port=options["port"], threads=options["threads"],
              ident="caseloop")


def _start_worker_thread() -> None:
    """Run the database task worker in this process, as a daemon thread."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(queue_names=["*"], interval=1.0, batch=False, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="caseloop-run", excluded_queue_names=[])
    threading.Thread(target=worker.run, name="caseloop-task-worker", daemon=True).start()


def _start_scheduler_thread() -> None:
    from caseloop.core.scheduler import run_forever

    threading.Thread(target=run_forever, args=(threading.Event(),), name="caseloop-scheduler", daemon=True).start()
