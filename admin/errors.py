"""Small typed errors. Views map them to flash messages (pages) or JSON bodies (API)."""

from __future__ import annotations

from sync.words import BilingualError


class AdminError(BilingualError):
    """A request that cannot be done. ``code`` is stable, messages are for people
    (``words``; English the Polish when not given)."""

    code = "error"
    status = 400

    def __init__(self, pl: str, en: str | None = None) -> None:
        super().__init__(pl, en or pl)


class NotFound(AdminError):
    code = "not_found"
    status = 404


class Invalid(AdminError):
    code = "invalid"
    status = 400


class Conflict(AdminError):
    code = "conflict"
    status = 409


class Forbidden(AdminError):
    code = "forbidden"
    status = 403
