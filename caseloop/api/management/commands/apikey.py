"""`caseloop apikey create|list|revoke`: manage the REST API's keys.

    caseloop apikey create --name erp --scopes cases:write,cases:read [--visibility own|department|all]
                           [--department CODE …] [--rate-limit N]
    caseloop apikey list
    caseloop apikey revoke NAME

`create` prints the key once; only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from caseloop.accounts.models import Department
from caseloop.api.models import ApiKey, ApiScope, KeyVisibility
from caseloop.api.services import apikey_create, apikey_revoke
from caseloop.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create, list and revoke API keys of the REST API (/api/v1)."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        create = commands.add_parser("create", help="Create a key; it is printed once.")
        create.add_argument("--name", required=True, help="A short unique name (letters, digits, - and _).")
        create.add_argument("--scopes", required=True,
                            help=f"Comma-separated: {', '.join(ApiScope.values)}.")
        create.add_argument("--visibility", choices=KeyVisibility.values, default=KeyVisibility.OWN,
                            help="Which cases the key sees: the ones registered through it (own, default), its "
                                 "departments' (department, with --department) or every case (all).")
        create.add_argument("--department", action="append", default=[], metavar="CODE",
                            help="A department code, for --visibility department; repeat for several.")
        create.add_argument("--rate-limit", type=int, default=None, metavar="N", help="Requests per minute.")
        commands.add_parser("list", help="List keys (never the keys themselves).")
        revoke = commands.add_parser("revoke", help="Revoke a key at once.")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _create(self, options: dict[str, Any]) -> None:
        codes = options["department"]
        departments = list(Department.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {d.code for d in departments})
        if missing:
            raise CommandError(f"Unknown department code(s): {', '.join(missing)}")
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        created = apikey_create(name=options["name"], scopes=scopes, visibility=options["visibility"],
                                departments=departments, rate_limit_per_minute=options["rate_limit"])
        self.stderr.write(f"Created API key “{created.api_key.name}” (scopes: {', '.join(created.api_key.scopes)}; "
                          f"sees: {created.api_key.visibility}). Store it now; it cannot be shown again:")
        self.stdout.write(created.secret)

    def _list(self, options: dict[str, Any]) -> None:
        keys = ApiKey.objects.select_related("user").prefetch_related("user__departments").order_by("name")
        self.stdout.write(f"{'name':<24} {'prefix':<14} {'state':<8} {'sees':<11} {'scopes':<44} last used")
        for key in keys:
            sees = key.visibility
            if sees == KeyVisibility.DEPARTMENT:
                sees += ":" + ",".join(d.code for d in key.user.departments.all())
            state = "active" if key.is_active else "revoked"
            last = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            self.stdout.write(f"{key.name:<24} {key.prefix:<14} {state:<8} {sees:<11} "
                              f"{','.join(key.scopes):<44} {last}")

    def _revoke(self, options: dict[str, Any]) -> None:
        api_key = apikey_revoke(name=options["name"])
        self.stdout.write(f"Revoked API key “{api_key.name}”.")
