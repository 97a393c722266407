"""A real Dubline daemon (gRPC server + JSON gateway) on loopback ports, run on its own thread."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

from dubline.bridge.server import Daemon, ServerOptions


@dataclass
class RunningDaemon:
    daemon: Daemon
    token_file: Path
    output_root: Path
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @property
    def bridge_url(self) -> str:
        return f"http://127.0.0.1:{self.daemon.bridge_port}"

    @property
    def token(self) -> str:
        return self.daemon.token

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.daemon.stop(0.5), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


def start_daemon(root: Path) -> RunningDaemon:
    """Start a daemon with state, output and token under ``root``; wait until its models are loaded."""
    options = ServerOptions(host="127.0.0.1", port=0, bridge_port=0, output_root=root / "out",
                            state_dir=root / "state", token_file=root / "token")
    daemon = Daemon(options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="dubline-daemon", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(daemon.start(), loop).result(60)
    asyncio.run_coroutine_threadsafe(asyncio.wait_for(daemon.service.ready.wait(), 120), loop).result(130)
    return RunningDaemon(daemon, options.token_file, options.output_root, loop, thread)
