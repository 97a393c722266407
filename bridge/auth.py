"""The daemon's shared secret: a 0600 token file in the user's config dir, checked per call."""
from __future__ import annotations

import hmac
import logging
import os
import secrets
import stat
from pathlib import Path

import grpc

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


def read_token(path: Path | None = None) -> str:
    path = Path(path or default_token_file())
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise PermissionError(f"cannot read the Dubline token at {path} ({e.strerror}); "
                              f"start `dubline serve` once to create it") from e
    if not token:
        raise PermissionError(f"the Dubline token file {path} is empty")
    return token


def bearer_ok(header: str | None, token: str) -> bool:
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip().encode(), token.encode())


class TokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every call without ``authorization: Bearer <token>`` (except OPEN_SERVICES)."""

    def __init__(self, token: str):
        self._token = token

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_SERVICES):
            return handler
        metadata = dict(details.invocation_metadata or ())
        if bearer_ok(metadata.get("authorization"), self._token):
            return handler
        return _refusal(handler)


def _refusal(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    message = ("missing or wrong token: send metadata 'authorization: Bearer <token>' with the "
               "token from the daemon's token file")

    async def unary(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    async def stream(request, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)
        yield  # pragma: no cover - makes this an async generator

    kw = dict(request_deserializer=handler.request_deserializer,
              response_serializer=handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(stream, **kw)
    return grpc.unary_unary_rpc_method_handler(unary, **kw)
