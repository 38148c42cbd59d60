"""One error family for the whole domain, each with a stable reason code.

The code is what machines (API clients, tests, import reports) match on; the message is for people
and may change wording or language. The API maps a DomainError once to ``{status, reason, message}``.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was not met. ``code`` is stable; ``message`` is for people."""

    status = 400

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.code!r})"


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
