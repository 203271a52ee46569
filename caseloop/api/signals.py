"""Cached API keys (see `services._key_with_prefix`) are dropped whenever a key or its service user is saved."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from caseloop.accounts.models import User
from caseloop.api.models import ApiKey
from caseloop.api.services import SERVICE_USERNAME_PREFIX, forget_cached_key


@receiver([post_save, post_delete], sender=ApiKey)
def key_changed(sender: type[ApiKey], instance: ApiKey, **kwargs: Any) -> None:
    forget_cached_key(instance)


@receiver([post_save, post_delete], sender=User)
def user_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Only service users have keys; people (whose last_login changes at every log-in) have none.
    if instance.username.startswith(SERVICE_USERNAME_PREFIX):
        for api_key in ApiKey.objects.filter(user=instance):
            forget_cached_key(api_key)
