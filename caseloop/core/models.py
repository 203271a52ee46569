from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Base for records that people edit: when it was made and last changed."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class PeriodicJob(models.Model):
    """When a periodic job last ran; the scheduler claims a due run with a conditional UPDATE,
    so several scheduler processes on several machines enqueue each run once."""

    name = models.CharField(max_length=80, primary_key=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
