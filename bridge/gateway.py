"""The same service as JSON over HTTP/1.1 (+ WebSocket / NDJSON job events), for editor plugins.

``POST /dubline.v1.Dubline/<Method>`` takes and returns the proto messages in protobuf's JSON
mapping (google.protobuf.json_format), like the Connect protocol's unary calls; no
hand-kept schema. See bridge/README.md for the wire details.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import grpc
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.web_protocol import RequestHandler
from google.protobuf import json_format
from google.protobuf.message import Message

from ._proto import dubline_pb2 as pb
from .auth import bearer_ok
from .errors import ServiceError, http_status, status_for
from .service import DublineService

log = logging.getLogger(__name__)
PREFIX = "/dubline.v1.Dubline/"
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
_PLUGIN_SCHEMES = ("uxp:", "plugin:")


def to_json(message) -> dict:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def origin_allowed(origin: str | None) -> bool:
    """No Origin (scripts), loopback pages, and UXP plugin origins.

    'null' is refused: it is what sandboxed iframes and file:// pages send, so any web page
    could claim it.
    """
    if origin is None:
        return True
    if origin.startswith(_PLUGIN_SCHEMES):
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOOPBACK_HOSTS


@dataclass(frozen=True)
class GatewayLimits:
    """Connection bounds (bridge/README.md, "Bounds"): a slow or idle client cannot hold a socket."""

    idle_seconds: float = 15.0  # an idle keep-alive connection, or one still sending its headers
    body_seconds: float = 30.0  # reading a request body
    # Open sockets at once. One past the cap is answered 503 (UNAVAILABLE, naming the cap) for
    # its request and closed; one that sends nothing is closed after ``refuse_seconds``.
    max_connections: int = 64
    refuse_seconds: float = 1.0


class Gateway:
    def __init__(self, service: DublineService, token: "str | Callable[[], str]", host: str, port: int,
                 max_bytes: int, allowed_hosts: tuple[str, ...] = (), limits: GatewayLimits = GatewayLimits()):
        self.service = service
        self.token = token if callable(token) else (lambda: token)
        self.host = host
        self.port = port
        self.max_bytes = max_bytes
        self.limits = limits
        # Host names a request may carry (DNS-rebinding guard): loopback names, plus the names
        # the user listed when binding beyond loopback. Always checked.
        self.hosts = _LOOPBACK_HOSTS | {h.lower() for h in allowed_hosts}
        # Method name -> (service coroutine, request type); WatchJob is routed separately.
        s = service
        self.unary: dict[str, tuple[Callable[[Any], Awaitable[Message]], type[Message]]] = {
            "GetServerInfo": (s.get_server_info, pb.GetServerInfoRequest),
            "Synthesize": (s.synthesize, pb.SynthesizeRequest),
            "SubmitJob": (s.submit_job, pb.SubmitJobRequest),
            "CancelJob": (s.cancel_job, pb.CancelJobRequest),
            "GetJob": (s.get_job, pb.GetJobRequest),
            "ListJobs": (s.list_jobs, pb.ListJobsRequest),
            "RegisterVoice": (s.register_voice, pb.RegisterVoiceRequest),
            "ListVoices": (s.list_voices, pb.ListVoicesRequest),
            "DeleteVoice": (s.delete_voice, pb.DeleteVoiceRequest),
            "GetPlan": (s.get_plan, pb.GetPlanRequest),
        }
        self.app = web.Application(client_max_size=max_bytes, middlewares=[self._guard])
        self.app.router.add_route("OPTIONS", PREFIX + "{method}", self._preflight)
        self.app.router.add_get(PREFIX + "WatchJob", self._watch_ws)
        self.app.router.add_post(PREFIX + "WatchJob", self._watch_ndjson)
        self.app.router.add_post(PREFIX + "{method}", self._call)
        self.runner: web.AppRunner | None = None
        self._admitted: set[RequestHandler] = set()
        self._turned_away: set[RequestHandler] = set()

    async def start(self) -> int:
        self.runner = web.AppRunner(self.app, handler_cancellation=True, access_log=None,
                                    keepalive_timeout=self.limits.idle_seconds,
                                    lingering_time=2.0)  # drain a refused body briefly, not 10 s
        await self.runner.setup()
        assert self.runner.server is not None
        self._cap_connections(self.runner.server)
        site = web.TCPSite(self.runner, self.host, self.port, reuse_port=False)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        return server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    def _cap_connections(self, server: web.Server) -> None:
        """Admit at most ``max_connections`` sockets at once.

        aiohttp has no connection limit of its own, so the hooks its Server calls for every
        socket opened and closed are wrapped on this instance to count them.
        """
        made, lost = server.connection_made, server.connection_lost

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            made(handler, transport)
            if len(self._admitted) < self.limits.max_connections:
                self._admitted.add(handler)
                return
            self._turned_away.add(handler)  # its request, if one comes, is answered 503 by _guard
            # By then its one answer has gone out; one that sent nothing is not held any longer.
            asyncio.get_running_loop().call_later(self.limits.refuse_seconds, handler.force_close)

        def connection_lost(handler: RequestHandler, exc: BaseException | None = None) -> None:
            self._admitted.discard(handler)
            self._turned_away.discard(handler)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]

    # -- checks ------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        origin = request.headers.get("Origin")
        if request.protocol in self._turned_away:
            n = self.limits.max_connections
            busy = _error(grpc.StatusCode.UNAVAILABLE,
                          f"the JSON bridge already holds {n} connections, its limit (serve "
                          f"--bridge-max-connections); close idle ones and retry", origin)
            busy.headers["Retry-After"] = "1"
            busy.force_close()
            return busy
        if not origin_allowed(origin):
            return _error(grpc.StatusCode.PERMISSION_DENIED, f"origin {origin!r} is not allowed", None)
        host = (request.host.rsplit(":", 1)[0] if not request.host.startswith("[")
                else request.host.split("]")[0] + "]").lower()
        if host not in self.hosts:
            return _error(grpc.StatusCode.PERMISSION_DENIED,
                          f"host {request.host[:80]!r} is not a loopback name or one given with --allow-host", origin)
        if request.method != "OPTIONS":
            header = request.headers.get("Authorization")
            # UXP's WebSocket cannot set headers: the query token is for the upgrade only, so
            # it never shows up in POST URLs (logs, history).
            if header is None and "token" in request.query and request.method == "GET" \
                    and request.headers.get("Upgrade", "").lower() == "websocket":
                header = "Bearer " + request.query["token"]
            if not bearer_ok(header, self.token()):
                return _error(grpc.StatusCode.UNAUTHENTICATED,
                              "missing or wrong token: send 'Authorization: Bearer <token>' with the token "
                              "from the daemon's token file", origin)
        response = await handler(request)
        if origin and isinstance(response, web.Response):
            response.headers["Access-Control-Allow-Origin"] = origin
        return response

    async def _preflight(self, request: web.Request) -> web.Response:
        return web.Response(status=204, headers={
            "Access-Control-Allow-Origin": request.headers.get("Origin", "*"),
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        })

    # -- unary -------------------------------------------------------------------------

    async def _parse(self, request: web.Request, cls):
        try:
            body = await asyncio.wait_for(request.read(), self.limits.body_seconds)
        except web.HTTPRequestEntityTooLarge:
            raise ServiceError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                               f"request body is over the {self.max_bytes}-byte limit") from None
        except asyncio.TimeoutError:
            raise ServiceError(grpc.StatusCode.DEADLINE_EXCEEDED,
                               f"request body not received within {self.limits.body_seconds:g} s") from None
        # Parsing megabytes of JSON takes seconds: off the event loop, so other calls go on.
        return await asyncio.to_thread(parse_json, body, cls)

    async def _call(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if name not in self.unary:
            return _error(grpc.StatusCode.NOT_FOUND, f"no method {name!r} (see proto/dubline/v1/dubline.proto)", None)
        method, cls = self.unary[name]
        try:
            reply = await method(await self._parse(request, cls))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            return _failure(e)
        return web.json_response(body=await asyncio.to_thread(_dumps, reply))

    # -- job events --------------------------------------------------------------------

    async def _watch_ndjson(self, request: web.Request) -> web.StreamResponse:
        try:
            req = await self._parse(request, pb.WatchJobRequest)
            events = self.service.watch_job(req)
            first = await anext(events)
        except Exception as e:
            return _failure(e)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        try:
            event = first
            while True:
                await response.write(json.dumps(to_json(event)).encode() + b"\n")
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    break
        finally:
            await events.aclose()
        await response.write_eof()
        return response

    async def _watch_ws(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=20)
        await ws.prepare(request)
        job_id = request.query.get("jobId") or request.query.get("job_id", "")
        owner = request.query.get("owner", "")  # the WebSocket has no body: its owner key rides here
        events = self.service.watch_job(pb.WatchJobRequest(job_id=job_id, owner=owner))
        reader = asyncio.create_task(self._drain(ws))  # notices the client closing
        sender = asyncio.create_task(self._send_events(ws, events))
        try:
            await asyncio.wait({reader, sender}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, sender):
                task.cancel()
            await asyncio.gather(reader, sender, return_exceptions=True)
            await events.aclose()
            if not ws.closed:
                await ws.close()
        return ws

    async def _drain(self, ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break

    async def _send_events(self, ws: web.WebSocketResponse, events) -> None:
        try:
            async for event in events:
                await ws.send_str(json.dumps(to_json(event)))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            code, message = status_for(e)
            await ws.close(code=4000 + http_status(code), message=message[:120].encode())
            return
        await ws.close(code=WSCloseCode.OK, message=b"job done")


def parse_json(body: bytes, cls: type[Message]) -> Message:
    """A request body in protobuf's JSON mapping; anything malformed is INVALID_ARGUMENT."""
    name = cls.DESCRIPTOR.name
    try:
        text = (body or b"{}").decode("utf-8")
    except UnicodeDecodeError as e:
        raise ServiceError(grpc.StatusCode.INVALID_ARGUMENT,
                           f"bad {name} JSON: not UTF-8 (byte {e.start}: {body[e.start:e.start + 1]!r})") from None
    try:
        return json_format.Parse(text, cls())
    except (json_format.ParseError, ValueError, TypeError, RecursionError, OverflowError) as e:
        raise ServiceError(grpc.StatusCode.INVALID_ARGUMENT, f"bad {name} JSON: {str(e)[:300]}") from None


def _dumps(message: Message) -> bytes:
    return json.dumps(to_json(message)).encode()


def _error(code: grpc.StatusCode, message: str, origin: str | None) -> web.Response:
    headers = {"Access-Control-Allow-Origin": origin} if origin and origin_allowed(origin) else None
    return web.json_response({"code": code.name.lower(), "message": message}, status=http_status(code),
                             headers=headers)


def _failure(error: BaseException) -> web.Response:
    code, message = status_for(error)
    if code == grpc.StatusCode.INTERNAL:
        log.error("internal error in the gateway", exc_info=error)
    return _error(code, message, None)
