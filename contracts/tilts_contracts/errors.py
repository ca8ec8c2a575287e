"""Errors every service raises and the gateway maps to HTTP, one code each.

Each is registered with nameko's `deserialize_to_instance`, so an RPC caller gets
the same exception type back, with its message and details.
"""

from nameko.exceptions import deserialize_to_instance


class TiltsError(Exception):
    """Base of the domain errors; `code` names the HTTP-facing error code."""

    code = "error"
    status = 500

    def __init__(self, message: str = "", details: dict | None = None):
        # both go into args, which nameko serialises for RPC callers
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


@deserialize_to_instance
class Invalid(TiltsError):
    code = "invalid"
    status = 400


@deserialize_to_instance
class Unauthenticated(TiltsError):
    code = "unauthenticated"
    status = 401


@deserialize_to_instance
class Forbidden(TiltsError):
    code = "forbidden"
    status = 403


@deserialize_to_instance
class NotFound(TiltsError):
    code = "not_found"
    status = 404


@deserialize_to_instance
class Conflict(TiltsError):
    code = "conflict"
    status = 409


class Unavailable(TiltsError):
    code = "unavailable"
    status = 503
