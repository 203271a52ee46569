"""API keys: create (the key is returned once), authenticate, revoke.

A key reads `cl_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
compared in constant time. SHA-256 (not a slow password hash) is right here: the secret has 256
bits of entropy, so there is nothing to guess, and every API request checks one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from caseloop.accounts.models import Department, User
from caseloop.api.models import VISIBILITY_ROLES, ApiKey, ApiScope, KeyVisibility
from caseloop.core import clock
from caseloop.core.errors import ApplicationError, NotFound

KEY_PREFIX = "cl_"
SERVICE_USERNAME_PREFIX = "apikey-"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,60}")


@dataclass(frozen=True)
class CreatedKey:
    api_key: ApiKey
    secret: str  # the whole key: shown once, never stored


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def apikey_create(
    *, name: str, scopes: list[str], visibility: str = KeyVisibility.OWN, departments: list[Department] | None = None,
    rate_limit_per_minute: int | None = None,
) -> CreatedKey:
    """A new key with its own service user; `visibility` chooses which cases it sees."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise ApplicationError(_("A key's name has 1 to 60 letters, digits, hyphens or underscores."),
                               code="invalid", field="name")
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ApplicationError(_("Unknown scopes: %(scopes)s. Known: %(known)s.")
                               % {"scopes": ", ".join(unknown), "known": ", ".join(ApiScope.values)},
                               code="invalid", field="scopes")
    if not scopes:
        raise ApplicationError(_("Give the key at least one scope."), code="required", field="scopes")
    if visibility not in VISIBILITY_ROLES:
        raise ApplicationError(_("Unknown visibility “%(visibility)s”.") % {"visibility": visibility},
                               code="invalid", field="visibility")
    departments = departments or []
    if (visibility == KeyVisibility.DEPARTMENT) != bool(departments):
        raise ApplicationError(_("A key sees departments' cases exactly when departments are given."),
                               code="invalid", field="departments")
    username = f"{SERVICE_USERNAME_PREFIX}{name}"
    with transaction.atomic():
        if ApiKey.objects.filter(name=name).exists() or User.objects.filter(username=username).exists():
            raise ApplicationError(_("An API key named “%(name)s” already exists.") % {"name": name},
                                   code="duplicate", field="name")
        user = User(username=username, role=VISIBILITY_ROLES[visibility], display_name=f"API: {name}")
        user.set_unusable_password()
        user.save()
        if departments:
            user.departments.set(departments)
        prefix = secrets.token_hex(6)
        raw_key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey(name=name, prefix=prefix, key_hash=hash_key(raw_key), user=user,
                         scopes=sorted(set(scopes)))
        if rate_limit_per_minute is not None:
            api_key.rate_limit_per_minute = rate_limit_per_minute
        api_key.save()
    return CreatedKey(api_key=api_key, secret=raw_key)


def apikey_authenticate(raw_key: str) -> ApiKey | None:
    """The active key this secret belongs to, or None (wrong, unknown or revoked: the same answer)."""
    raw_key = raw_key.strip()
    parts = raw_key.split("_")
    if len(parts) < 3 or not raw_key.startswith(KEY_PREFIX):
        return None
    api_key = _key_with_prefix(parts[1])
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(raw_key)):
        return None
    if not api_key.is_active or not api_key.user.is_active:
        return None
    return api_key


# Every API request looks its key up, so keys (with their service user) are kept in the shared
# cache. A change to a key or its user drops the entry at once and again after commit (see
# `forget_cached_key`), so a revocation holds on every process from the moment it commits.
_CACHE_PREFIX = "caseloop:apikey:"
CACHE_SECONDS = 60


def _cache_key(prefix: str) -> str:
    return _CACHE_PREFIX + prefix


def _key_with_prefix(prefix: str) -> ApiKey | None:
    cached = cache.get(_cache_key(prefix))
    if isinstance(cached, ApiKey):
        return cached
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if api_key is not None:
        cache.set(_cache_key(prefix), api_key, CACHE_SECONDS)
    return api_key


def forget_cached_key(api_key: ApiKey) -> None:
    """Drop the cached copy now, and once more after commit: a request that read the old row
    in between must not leave it cached."""
    cache_key = _cache_key(api_key.prefix)
    cache.delete(cache_key)
    transaction.on_commit(lambda: cache.delete(cache_key))


def apikey_touch(api_key: ApiKey) -> None:
    """Record use at most once a minute, so busy integrations do not write on every request."""
    now = clock.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
        cache.set(_cache_key(api_key.prefix), api_key, CACHE_SECONDS)  # other processes see it was touched


def apikey_revoke(*, name: str) -> ApiKey:
    """Revoke a key at once; its service user is deactivated too (kept: cases name it)."""
    with transaction.atomic():
        api_key = ApiKey.objects.select_for_update().select_related("user").filter(name=name.strip()).first()
        if api_key is None:
            raise NotFound(_("There is no API key named “%(name)s”.") % {"name": name})
        if api_key.revoked_at is None:
            api_key.revoked_at = clock.now()
            api_key.save(update_fields=["revoked_at"])
        if api_key.user.is_active:
            api_key.user.is_active = False
            api_key.user.save(update_fields=["is_active"])
    return api_key
