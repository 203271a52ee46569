from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refusal the user can act on: the message is shown to them as it is (already translated).

    `code` is a stable machine-readable identifier for API clients; `field` names the input at fault.
    """

    code = "invalid"

    def __init__(self, message: Any, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code is not None:
            self.code = code
        self.field = field


class PermissionDenied(ApplicationError):
    code = "forbidden"


class NotFound(ApplicationError):
    code = "not_found"
