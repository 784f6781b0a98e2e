"""Domain errors that carry the HTTP status they mean, so API and CLI report them alike."""

from __future__ import annotations


class ServerError(Exception):
    """A refused request; `str(error)` is the message to show as-is."""

    status = 400
    code = "bad_request"


class NotFound(ServerError):
    # Also what a caller gets for something that exists in another organization: never
    # reveal what one may not see.
    status = 404
    code = "not_found"


class Forbidden(ServerError):
    status = 403
    code = "forbidden"


class PlanLimit(Forbidden):
    code = "plan_limit"


class Conflict(ServerError):
    status = 409
    code = "conflict"


class Invalid(ServerError):
    status = 422
    code = "invalid"


class Unauthorized(ServerError):
    status = 401
    code = "unauthorized"


class TooLarge(ServerError):
    status = 413
    code = "too_large"


class UnsupportedEncoding(ServerError):
    status = 415
    code = "unsupported_encoding"


class RateLimited(ServerError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
