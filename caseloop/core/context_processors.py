from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def organisation(request: HttpRequest) -> dict[str, Any]:
    return {"organisation_name": settings.CASELOOP["ORGANISATION_NAME"]}
