"""The gRPC daemon (grpc.aio): Dubline service + grpc.health.v1 + reflection, token required.

``create_server(address, service)`` returns ``(server, port)`` so tests bind port 0;
``Daemon`` ties the service, the gRPC server and the JSON gateway into one start/stop.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import grpc
from dubline.core.catalog import Catalog
from dubline.core.cluster import ClusterOptions
from dubline.core.catalog_options import CatalogOptions, build_catalog, catalog_factory
from dubline.core.errors import DublineError, EngineError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ._proto import dubline_pb2 as pb
from ._proto import dubline_pb2_grpc as pb_grpc
from .auth import TokenInterceptor, TokenSource, default_token_file, ensure_token
from .errors import status_for
from .ports import DEFAULT_BRIDGE_PORT, DEFAULT_PORT
from .service import DublineService, ServiceOptions

log = logging.getLogger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["Dubline"].full_name


def _state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "dubline"


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT  # 0: pick a free port
    bridge_port: int | None = DEFAULT_BRIDGE_PORT  # None: no JSON gateway
    output_root: Path = field(default_factory=lambda: Path.home() / "Dubline")
    state_dir: Path = field(default_factory=_state_home)
    token_file: Path = field(default_factory=default_token_file)
    engines: tuple[str, ...] = ("piper",)  # loaded at start, with those ``catalog`` asks for
    catalog: CatalogOptions = field(default_factory=CatalogOptions)  # --model-dir, --voices, ...
    max_lines_per_job: int = 5000
    max_message_bytes: int = 32 * 1024 * 1024
    grace_seconds: float = 5.0
    # Listening beyond loopback must be asked for by name (--allow-remote), and the JSON
    # bridge then answers only the Host names listed here (--allow-host), besides loopback.
    allow_remote: bool = False
    allowed_hosts: tuple[str, ...] = ()
    bridge_idle_seconds: float = 15.0
    bridge_body_seconds: float = 30.0
    bridge_max_connections: int = 64
    cluster: ClusterOptions | None = None  # serve --cluster

    def service_options(self) -> ServiceOptions:
        return ServiceOptions(output_root=self.output_root, state_dir=self.state_dir, engines=self.engines,
                              max_lines_per_job=self.max_lines_per_job, max_message_bytes=self.max_message_bytes,
                              cluster=self.cluster)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class DublineServicer(pb_grpc.DublineServicer):
    """Adapts DublineService to gRPC: every error leaves through ``context.abort``."""

    def __init__(self, service: DublineService):
        self.service = service

    async def _unary(self, method, request, context):
        try:
            return await method(request)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            code, message = status_for(e)
            if code == grpc.StatusCode.INTERNAL:
                log.exception("internal error in %s", method.__name__)
            await context.abort(code, message)

    async def GetServerInfo(self, request, context):
        return await self._unary(self.service.get_server_info, request, context)

    async def Synthesize(self, request, context):
        return await self._unary(self.service.synthesize, request, context)

    async def SubmitJob(self, request, context):
        return await self._unary(self.service.submit_job, request, context)

    async def CancelJob(self, request, context):
        return await self._unary(self.service.cancel_job, request, context)

    async def GetJob(self, request, context):
        return await self._unary(self.service.get_job, request, context)

    async def ListJobs(self, request, context):
        return await self._unary(self.service.list_jobs, request, context)

    async def RegisterVoice(self, request, context):
        return await self._unary(self.service.register_voice, request, context)

    async def ListVoices(self, request, context):
        return await self._unary(self.service.list_voices, request, context)

    async def DeleteVoice(self, request, context):
        return await self._unary(self.service.delete_voice, request, context)

    async def GetPlan(self, request, context):
        return await self._unary(self.service.get_plan, request, context)

    async def WatchJob(self, request, context):
        # A client that goes away cancels this generator; watch_job's finally frees the job.
        try:
            async for event in self.service.watch_job(request):
                yield event
        except asyncio.CancelledError:
            raise
        except Exception as e:
            code, message = status_for(e)
            await context.abort(code, message)


class ServeError(DublineError):
    """The daemon cannot start: port in use, or an unsafe address not asked for explicitly."""


def create_server(address: str, service: DublineService, token: "str | Callable[[], str]",
                  max_message_bytes: int = 32 * 1024 * 1024) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """A grpc.aio server with the Dubline service, health (NOT_SERVING until ready) and reflection."""
    server = grpc.aio.server(
        interceptors=[TokenInterceptor(token)],
        # SO_REUSEPORT off: a second daemon on the same port must fail, not share it and get
        # half of the clients at random.
        options=[("grpc.max_receive_message_length", max_message_bytes),
                 ("grpc.max_send_message_length", max_message_bytes),
                 ("grpc.so_reuseport", 0)],
    )
    pb_grpc.add_DublineServicer_to_server(DublineServicer(service), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as e:  # grpc >= 1.6x raises instead of returning 0
        raise ServeError(f"gRPC cannot listen on {address}: the port is in use (another `dubline serve`?) "
                         f"or the address is not this machine's; stop that one, or give another --port") from e
    if port == 0:
        raise ServeError(f"gRPC cannot listen on {address}: the port is in use (another `dubline serve`?) "
                         f"or the address is not this machine's; stop that one, or give another --port")
    return server, port, health_servicer


class Daemon:
    """Service + gRPC server + JSON gateway, started and stopped together."""

    def __init__(self, options: ServerOptions, catalog: Catalog | None = None):
        """``catalog``: a ready catalog (tests); otherwise built from ``options.catalog``."""
        self.options = options
        self.catalog = catalog
        self.port = 0
        self.bridge_port = 0
        self.token = ""
        self.loaded: asyncio.Task[None] | None = None  # done when the models are in; raises if they failed

    async def start(self) -> None:
        o = self.options
        if not is_loopback(o.host) and not o.allow_remote:
            raise ServeError(f"refusing to listen on {o.host}, which is not loopback: anyone who can reach it could "
                             f"use this daemon, and the token travels unencrypted. If you mean it, add "
                             f"--allow-remote (and --allow-host NAME for each name clients use to reach it)")
        if not is_loopback(o.host):
            log.warning("!!! LISTENING ON %s, NOT LOOPBACK: anyone who can reach this address and has the "
                        "token can make this machine synthesize and write files, and the token travels unencrypted "
                        "(no TLS). Use a firewall or an SSH tunnel. !!!", o.host)
        self.token = ensure_token(o.token_file)
        service_options = o.service_options()
        if self.catalog is None:
            # Read before any port opens: a bad voices.toml stops the start with its own message.
            built = build_catalog(o.catalog)
            self.catalog = built.catalog
            service_options = replace(service_options, engines=tuple(dict.fromkeys(built.engines + o.engines)),
                                      voice_map=built.voice_map, worker_catalog=catalog_factory(o.catalog))
        token = TokenSource(o.token_file, self.token)
        self.service = DublineService(service_options, self.catalog)
        host = f"[{o.host}]" if ":" in o.host and not o.host.startswith("[") else o.host
        self.server, self.port, self.health = create_server(f"{host}:{o.port}", self.service, token,
                                                            o.max_message_bytes)
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.start()
        self.gateway = None
        if o.bridge_port is not None:
            from .gateway import Gateway, GatewayLimits

            self.gateway = Gateway(self.service, token, o.host, o.bridge_port, o.max_message_bytes,
                                   allowed_hosts=o.allowed_hosts,
                                   limits=GatewayLimits(o.bridge_idle_seconds, o.bridge_body_seconds,
                                                        o.bridge_max_connections))
            try:
                self.bridge_port = await self.gateway.start()
            except OSError as e:
                await self.gateway.stop()
                await self.server.stop(0)
                raise ServeError(f"JSON bridge cannot listen on {o.host}:{o.bridge_port}: the port is in use "
                                 f"({e.strerror or e}; another `dubline serve`?); stop that one, or give another "
                                 f"--bridge-port (-1 runs without the bridge)") from e
        log.info("dubline daemon: gRPC on %s:%d, JSON bridge on %s, output root %s, token %s",
                 o.host, self.port, self.bridge_port or "off", o.output_root, o.token_file)
        self.loaded = asyncio.create_task(self._load())

    async def _load(self) -> None:
        """Load the models once; health turns SERVING only after they are in memory."""
        try:
            await self.service.start()
        except DublineError:
            raise
        except Exception as e:  # a model that will not load: one line naming it, not a traceback
            log.debug("model load failed", exc_info=True)
            raise EngineError(f"the daemon could not load its models: {type(e).__name__}: {e}") from e
        for name in ("", SERVICE_NAME):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self, grace: float | None = None) -> None:
        grace = self.options.grace_seconds if grace is None else grace
        await self.health.enter_graceful_shutdown()
        if self.gateway:
            await self.gateway.stop()
        await self.service.close()
        await self.server.stop(grace)
        if self.loaded is not None:
            self.loaded.cancel()
            await asyncio.gather(self.loaded, return_exceptions=True)
