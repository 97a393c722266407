"""The daemon's shared secret: a 0600 token file in the user's config dir, checked per call."""
from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

import grpc
from dubline.core.errors import DublineError

log = logging.getLogger(__name__)

# Stock tools (grpc_health_probe, grpcurl's listing) must work without the token; these
# services reveal no data.
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/",
                 "/grpc.reflection.v1.ServerReflection/")


def default_token_file() -> Path:
    """``$DUBLINE_TOKEN_FILE``, else ``$XDG_CONFIG_HOME/dubline/token``, else ~/.config/..."""
    if os.environ.get("DUBLINE_TOKEN_FILE"):
        return Path(os.environ["DUBLINE_TOKEN_FILE"])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "dubline" / "token"


def ensure_token(path: Path) -> str:
    """Read the token, creating it (mode 0600, atomically) on first start."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another server won the race; use its token
            return read_token(path)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        log.info("created token file %s", path)
        return token
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("token file %s was readable by others (mode %o); tightening to 0600", path, mode)
        os.chmod(path, 0o600)
    return read_token(path)


class TokenError(DublineError, PermissionError):
    """The token file cannot be read, or holds no token."""


def read_token(path: Path | None = None) -> str:
    path = Path(path or default_token_file())
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise TokenError(f"cannot read the Dubline token at {path} ({getattr(e, 'strerror', None) or e}); "
                         f"start `dubline serve` once to create it") from e
    if not token:
        raise TokenError(f"the Dubline token file {path} is empty: delete it and `dubline serve` makes a new one, "
                         f"or write a token of at least 16 characters into it")
    return token


class TokenSource:
    """The token in ``path``, re-read whenever the file changes (a rotated token needs no restart).

    A change that leaves the file unreadable or empty keeps the previous token and logs why.
    """

    def __init__(self, path: Path, token: str):
        self.path = Path(path)
        self._token = token
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def __call__(self) -> str:
        stamp = self._stat()
        if stamp != self._stamp and stamp is not None:
            self._stamp = stamp
            try:
                self._token = read_token(self.path)
                log.info("token file %s changed: using the new token", self.path)
            except TokenError as e:
                log.error("%s; keeping the previous token", e)
        return self._token


def bearer_ok(header: str | None, token: str) -> bool:
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())


class _Malformed:
    """What a request that is not valid protobuf parses to; the handler answers INVALID_ARGUMENT."""

    def __init__(self, error: Exception):
        self.error = error


def _lenient(deserializer):
    def parse(data: bytes):
        try:
            return deserializer(data) if deserializer else data
        except Exception as e:  # google.protobuf.message.DecodeError and friends
            return _Malformed(e)
    return parse


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every call without ``authorization: Bearer <token>`` (except OPEN_SERVICES).

    The token is checked before the request is parsed: a refused call's body is never
    decoded, and a malformed body with the right token is INVALID_ARGUMENT, not UNKNOWN.
    ``token`` is a callable so a rotated token file takes effect without a restart.
    """

    def __init__(self, token: "str | Callable[[], str]"):
        self._token = token if callable(token) else (lambda: token)

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_SERVICES):
            return handler
        metadata = dict(details.invocation_metadata or ())
        if bearer_ok(metadata.get("authorization"), self._token()):
            return _checked(handler)
        return _refusal(handler)


def _checked(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    kw = dict(request_deserializer=_lenient(handler.request_deserializer),
              response_serializer=handler.response_serializer)

    def why(request: _Malformed) -> str:
        return f"the request is not a valid protobuf message ({request.error})"

    if handler.unary_unary:
        inner = handler.unary_unary

        async def unary(request, context):
            if isinstance(request, _Malformed):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, why(request))
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(unary, **kw)
    if handler.unary_stream:
        inner_stream = handler.unary_stream

        async def stream(request, context):
            if isinstance(request, _Malformed):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, why(request))
            async for item in inner_stream(request, context):
                yield item

        return grpc.unary_stream_rpc_method_handler(stream, **kw)
    return handler


def _refusal(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    message = ("missing or wrong token: send metadata 'authorization: Bearer <token>' with the "
               "token from the daemon's token file")

    async def unary(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def stream(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover - makes this an async generator

    # The body of a refused call is never parsed.
    kw = dict(request_deserializer=lambda data: None, response_serializer=handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(stream, **kw)
    return grpc.unary_unary_rpc_method_handler(unary, **kw)
