"""Status codes for the daemon's errors: one mapping for gRPC and for the JSON bridge."""
from __future__ import annotations

import errno

import grpc
from dubline.core.errors import (
    DiskFullError,
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
    (DiskFullError, grpc.StatusCode.RESOURCE_EXHAUSTED),  # an OutputError; its message names the path
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


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _disk_full(error: BaseException) -> OSError | None:
    """The OSError saying "no space" behind ``error`` (itself or a cause), if any."""
    seen = 0
    e: BaseException | None = error
    while e is not None and seen < 8:
        if isinstance(e, OSError) and e.errno in _FULL:
            return e
        if type(e).__name__ == "LibsndfileError" and "space" in str(e).lower():
            return OSError(errno.ENOSPC, str(e))
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


def status_for(error: BaseException, where: str = "") -> tuple[grpc.StatusCode, str]:
    """The status code and user-facing message for an error raised while serving a call.

    ``where`` names what was being done (a job and its output folder) for errors that do not
    say it themselves, such as a disk full inside libsndfile.
    """
    if isinstance(error, ServiceError):
        return error.code, error.message
    full = _disk_full(error)
    if full is not None:
        # A write through an open folder (openat) names /proc/<pid>/fd/<n>/...: say the job's folder.
        name = str(full.filename or "")
        path = name if name and not name.startswith("/proc/") else (where or "the output folder")
        return (grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"disk full (or over quota) writing {path}: {full.strerror or full}; free space and resubmit")
    if isinstance(error, MemoryError):
        return (grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"out of memory{' in ' + where if where else ''}: {error}; the request asks for too much work")
    for cls, code in _LIBRARY_CODES:
        if isinstance(error, cls):
            return code, str(error)
    if isinstance(error, DublineError):
        return grpc.StatusCode.INTERNAL, str(error)
    if isinstance(error, OSError):
        what = error.filename or where or "a file"
        if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return grpc.StatusCode.PERMISSION_DENIED, f"cannot write {what}: {error.strerror or error}"
        return grpc.StatusCode.UNAVAILABLE, f"cannot access {what}: {error.strerror or error}"
    return grpc.StatusCode.INTERNAL, (f"internal error{' in ' + where if where else ''} "
                                      f"({type(error).__name__}: {error}); please report it")


def http_status(code: grpc.StatusCode) -> int:
    return HTTP_STATUS.get(code, 500)
