"""CLI subcommands that talk to (or are) the daemon: ``dubline serve`` and ``srt --server``."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from dubline.core.errors import DublineError, InputError, OutputError
from dubline.core.lines import Line

log = logging.getLogger(__name__)


class DaemonError(DublineError):
    """The daemon cannot be reached, refuses the token, or fails the call."""


class ServeError(DublineError):
    """``dubline serve`` cannot start (its port is taken)."""


def _port_in_use(error: BaseException) -> bool:
    """gRPC says "Failed to bind" (a RuntimeError); aiohttp raises OSError EADDRINUSE."""
    import errno

    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return True
    return "Failed to bind" in str(error) or "cannot listen on" in str(error)


def add_serve_parser(sub) -> None:
    # Not the server module: building the parser must not load gRPC for every command. The
    # paths left unset default in ServerOptions, where the daemon's own defaults live.
    from .ports import DEFAULT_BRIDGE_PORT, DEFAULT_PORT

    p = sub.add_parser("serve", help="run the daemon (gRPC + JSON bridge) on loopback")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="gRPC port (default %(default)s; 0: any)")
    p.add_argument("--bridge-port", type=int, default=DEFAULT_BRIDGE_PORT,
                   help="HTTP/JSON + WebSocket port (default %(default)s; -1: off)")
    p.add_argument("--output-root", type=Path, help="every output goes under here (default ~/Dubline)")
    p.add_argument("--state-dir", type=Path, help="job state and registered voices (default $XDG_STATE_HOME/dubline)")
    p.add_argument("--token-file", type=Path, help="token file (created 0600 if missing)")
    p.add_argument("--max-lines", type=int, help="most lines one job may have (default 5000)")
    p.add_argument("--bridge-max-connections", type=int,
                   help="most connections the JSON bridge holds at once; more are answered 503 (default 64)")
    p.add_argument("--ready-file", type=Path, help="write 'GRPC_PORT BRIDGE_PORT' here once listening")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a --host that is not loopback: anyone who reaches it and has the token can use "
                        "the daemon, and the token travels unencrypted (no TLS)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="a Host name the JSON bridge answers besides loopback ones (repeatable; with --allow-remote)")
    from .cli import add_cloning_options
    from .cluster_cmds import add_cluster_options

    add_cloning_options(p)  # --model-dir: the daemon loads IndexTTS2 once, before it reports SERVING
    add_cluster_options(p)
    p.set_defaults(func=cmd_serve, cluster_in_daemon=True)  # the daemon starts its own workers


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio

    if "grpc" not in sys.modules:
        # --cluster starts Ray (fork + exec) while the server's gRPC threads run; grpcio's fork
        # handlers then race them and its event engine can segfault (seen under load). Nothing
        # forked from the daemon uses gRPC, so they are off. Read when grpc is first imported.
        os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    from .cli import catalog_options
    from .cluster_cmds import cluster_options
    from .server import Daemon, ServerOptions

    logging.getLogger("dubline").setLevel(logging.INFO)
    for option, path, want in (("--model-dir", args.model_dir, "folder"), ("--voices", args.voices, "file")):
        if path is not None and not (path.is_dir() if want == "folder" else path.is_file()):
            raise InputError(f"{option} {path}: no such {want}")
    if args.bridge_max_connections is not None and args.bridge_max_connections < 1:
        raise InputError(f"--bridge-max-connections {args.bridge_max_connections}: give at least 1")
    given = dict(output_root=args.output_root, state_dir=args.state_dir, token_file=args.token_file,
                 max_lines_per_job=args.max_lines, bridge_max_connections=args.bridge_max_connections)
    options = ServerOptions(host=args.host, port=args.port,
                            bridge_port=None if args.bridge_port < 0 else args.bridge_port,
                            **{k: v for k, v in given.items() if v is not None}, catalog=catalog_options(args),
                            cluster=cluster_options(args) if args.cluster else None, allow_remote=args.allow_remote,
                            allowed_hosts=tuple(args.allow_host))

    async def run():
        daemon = Daemon(options)
        try:
            await daemon.start()
        except (RuntimeError, OSError) as e:
            if not _port_in_use(e):
                raise
            server = getattr(daemon, "server", None)
            if server is not None:  # the gRPC port was bound before the bridge's failed
                await server.stop(0)
            bridge = server is not None  # gRPC listened; the JSON bridge's port is the taken one
            port, flag = (args.bridge_port, "--bridge-port") if bridge else (args.port, "--port")
            raise ServeError(f"cannot listen on {args.host}:{port}: the port is in use (another "
                             f"`dubline serve`?); stop that one, or give another {flag}") from None
        if args.ready_file:
            args.ready_file.write_text(f"{daemon.port} {daemon.bridge_port}\n")
        print(f"dubline: serving gRPC on {args.host}:{daemon.port}, JSON bridge on port "
              f"{daemon.bridge_port or 'off'}; token in {options.token_file}", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        import signal

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        stopping = asyncio.create_task(stop.wait())
        assert daemon.loaded is not None
        await asyncio.wait({stopping, daemon.loaded}, return_when=asyncio.FIRST_COMPLETED)
        if daemon.loaded.done():
            failed = daemon.loaded.exception()
            if failed is not None:
                await daemon.stop(0)  # a daemon that cannot hold its model must not linger NOT_SERVING
                raise failed
            print("dubline: models loaded; SERVING", file=sys.stderr, flush=True)
        await stopping
        await daemon.stop()

    asyncio.run(run())
    return 0


def run_remote(lines: list[Line], args: argparse.Namespace, address: str) -> int:
    """Dub through a running daemon; ``-o`` is relative to the daemon's output root."""
    import grpc
    from tqdm import tqdm

    from .cli import dub_options
    from .client import Client
    from .remote_voices import refused_options, send_voices

    refused = refused_options(args, address)
    if refused:
        raise InputError(refused)
    try:
        client_or_error = Client(address)
    except PermissionError as e:  # no token file: the daemon never ran as this user
        raise DaemonError(f"--server {address}: {e}") from None
    try:
        with client_or_error as client:
            info = client.info()
            out = _remote_out_dir(args.out, Path(info.output_root))
            sent = send_voices(client, getattr(args, "voices", None), lines, _speakers(args.speaker), info)
            for name in sent.registered:
                log.info("registered voice %s on the daemon at %s", name, address)
            job = client.submit(sent.lines, out_dir=out, sample_rate=args.sample_rate, bit_depth=args.bit_depth,
                                voice=args.voice, speakers=sent.speakers, seed=args.seed,
                                fit=dub_options(args).fit)
            with tqdm(total=len(lines), unit="line", disable=args.quiet or None, file=sys.stderr) as bar:
                for event in client.events(job.id):
                    kind = event.WhichOneof("event")
                    if kind in ("line_done", "line_error"):
                        bar.update(1)
                        if kind == "line_error":
                            tqdm.write(f"failed: {event.line_error.message}", file=sys.stderr)
            job = client.job(job.id)
    except grpc.RpcError as e:
        hint = "; is `dubline serve` running?" if e.code() == grpc.StatusCode.UNAVAILABLE else ""
        raise DaemonError(f"daemon at {address}: {e.code().name}: {e.details()}{hint}") from None
    methods: dict[str, int] = {}
    for r in job.results:
        methods[r.method] = methods.get(r.method, 0) + 1
    summary = ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
    print(f"{job.done_lines} lines -> {job.track_file} ({summary}; reused {job.reused_lines}, "
          f"failed {job.failed_lines})")
    return 0 if job.failed_lines == 0 and not job.error else 1


def _speakers(pairs: list[str]) -> dict[str, str]:
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def _remote_out_dir(out: Path, root: Path) -> str:
    if not out.is_absolute():
        return out.as_posix()
    try:
        return out.resolve().relative_to(root).as_posix()
    except ValueError:
        raise OutputError(f"{out} is outside the daemon's output root {root}; give -o relative to it") from None
