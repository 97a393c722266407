"""A real daemon on 127.0.0.1 port 0, on its own event-loop thread, for integration tests."""
from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path

from dubline.bridge import Client
from dubline.bridge._proto import dubline_pb2 as pb
from dubline.bridge.server import Daemon, ServerOptions

RATE_2398 = pb.FrameRate(num=24000, den=1001)


class RunningDaemon:
    def __init__(self, root: Path, catalog=None, **options):
        self.root = Path(root)
        self.options = replace(ServerOptions(port=0, bridge_port=0, output_root=self.root / "out",
                                             state_dir=self.root / "state", token_file=self.root / "token"),
                               **options)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.daemon = Daemon(self.options, catalog)
        self.run(self.daemon.start())

    def run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.daemon.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.daemon.bridge_port}"

    @property
    def token(self) -> str:
        return self.daemon.token

    def client(self, owner: str | None = None) -> Client:
        return Client(self.address, token_file=self.options.token_file, owner=owner)

    def stop(self, grace: float = 1.0) -> None:
        self.run(self.daemon.stop(grace))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def frames_line(line_id: str, text: str, start: int, end: int, rate: pb.FrameRate = RATE_2398, **kw) -> pb.JobLine:
    return pb.JobLine(id=line_id, text=text, range=pb.TimeRange(
        frames=pb.FrameRange(start_frame=start, end_frame=end, rate=rate)), **kw)


def short_lines(n: int, prefix: str = "L") -> list[pb.JobLine]:
    """n short lines, 1.5 s slots every 2 s at 23.976."""
    words = ["Hello there.", "Good morning.", "Where is it?", "Come with me.", "Not today.", "Thank you."]
    return [frames_line(f"{prefix}{i + 1}", words[i % len(words)], 48 * i, 48 * i + 36) for i in range(n)]
