from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Base for records that people edit: when it was made and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True
