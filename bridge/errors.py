"""Status codes for the daemon's errors: one mapping for gRPC and for the JSON bridge."""
from __future__ import annotations

import grpc
from dubline.core.errors import (
    DublineError,
    EngineError,
    FitError,
    InputError,
    ModelMissingError,
    OutputError,
    VoiceError,
)


class ServiceError(Exception):
    """A request the service refuses for a reason that is not a library error."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def not_found(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, message)


def invalid(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, message)


def denied(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, message)


# Order matters: subclasses before their parents.
_LIBRARY_CODES: tuple[tuple[type[DublineError], grpc.StatusCode], ...] = (
    (InputError, grpc.StatusCode.INVALID_ARGUMENT),  # includes TimeFormatError
    (FitError, grpc.StatusCode.INVALID_ARGUMENT),  # an impossible target
    (VoiceError, grpc.StatusCode.NOT_FOUND),
    (OutputError, grpc.StatusCode.PERMISSION_DENIED),
    (ModelMissingError, grpc.StatusCode.FAILED_PRECONDITION),
    (EngineError, grpc.StatusCode.INTERNAL),
)

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 413,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


def status_for(error: BaseException) -> tuple[grpc.StatusCode, str]:
    """The status code and user-facing message for an error raised while serving a call."""
    if isinstance(error, ServiceError):
        return error.code, error.message
    for cls, code in _LIBRARY_CODES:
        if isinstance(error, cls):
            return code, str(error)
    if isinstance(error, DublineError):
        return grpc.StatusCode.INTERNAL, str(error)
    return grpc.StatusCode.INTERNAL, f"internal error ({type(error).__name__}: {error}); please report it"


def http_status(code: grpc.StatusCode) -> int:
    return HTTP_STATUS.get(code, 500)
