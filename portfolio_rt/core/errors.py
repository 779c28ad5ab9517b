"""The service's exception hierarchy; one middleware maps each to its JSON error body."""

from __future__ import annotations

from collections.abc import Mapping


def raised_at(exc: BaseException) -> str:
    """`module.py:123 in function` of the innermost frame of the exception's traceback: where
    it went wrong, without the traceback (which can hold request data)."""
    tb = exc.__traceback__
    if tb is None:
        return "unknown"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {code.co_name}"


class ServiceError(Exception):
    """An error the client should see: HTTP status, stable code, plain message."""

    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: Mapping[str, object] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})
        self.retry_after = retry_after


class BadRequest(ServiceError):
    status = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    status = 422
    code = "unprocessable"


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


class BrokerError(ServiceError):
    status = 502
    code = "broker_error"


class BrokerBadResponse(BrokerError):
    code = "broker_bad_response"


class BrokerUnavailable(ServiceError):
    status = 503
    code = "broker_unavailable"


class BrokerTimeout(ServiceError):
    status = 504
    code = "broker_timeout"
