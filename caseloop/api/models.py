"""API keys and idempotency records of the REST API.

An API key belongs to an integration, not a person. Each key is bound to a service user of its
own (created with the key, never able to log in), so everything the key does goes through the
same rules as a person: `cases.access` decides which cases it sees, the role's capabilities and
the key's `personal_data:read` scope together decide whether personal data is disclosed, and each
disclosure is logged against the service user (customers.personal_data).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.accounts.roles import Role


class ApiScope(models.TextChoices):
    CASES_READ = "cases:read", _("Read cases")
    CASES_WRITE = "cases:write", _("Register cases and add customer messages")
    PERSONAL_DATA_READ = "personal_data:read", _("Read customers' personal data (each read is logged)")
    TRIAGE_PREVIEW = "triage:preview", _("Run triage on a text without registering it")


class KeyVisibility(models.TextChoices):
    """Which cases a key sees; realised as the role of its service user (see `VISIBILITY_ROLES`)."""

    OWN = "own", _("Cases registered through this key")
    DEPARTMENT = "department", _("Cases of its departments, and its own")
    ALL = "all", _("Every case")


# The role given to a key's service user. Each of these roles has the personal-data capability,
# so the scope is what decides; the access rule in cases.access does the rest.
VISIBILITY_ROLES: dict[str, str] = {
    KeyVisibility.OWN: Role.AGENT,
    KeyVisibility.DEPARTMENT: Role.SPECIALIST,
    KeyVisibility.ALL: Role.SUPERVISOR,
}

DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class ApiKey(models.Model):
    """A credential of one integration. Only the prefix (to find the row) and a SHA-256 of the
    whole key are stored; the key itself is shown once, when it is created."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, help_text=_("Any of: cases:read, cases:write, "
                                                                       "personal_data:read, triage:preview."))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key",
                                verbose_name=_("service user"), editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=DEFAULT_RATE_LIMIT_PER_MINUTE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def visibility(self) -> str:
        for visibility, role in VISIBILITY_ROLES.items():
            if self.user.role == role:
                return visibility
        return ""

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an `Idempotency-Key` header.

    Inserted with the answer at the end of the transaction that creates the case, under a unique
    (api_key, key): a request that finds the key taken rolls its own work back and replays this
    answer (a concurrent one waits for the first transaction), so two requests never create two
    cases. Only successful answers are kept (a refused request rolls back and may be retried with
    the same key).
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=200)
    # SHA-256 of the method, path and canonical JSON body: the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict)
    # A tracking code in the answer is kept sealed (see caseloop.api.idempotency), never in clear.
    sealed_secret = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="api_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.key}"
