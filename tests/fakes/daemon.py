"""The real daemon of tests/daemon_util.py, waited on until its models are loaded, for plugin tests."""
from __future__ import annotations

import asyncio
from pathlib import Path

from daemon_util import RunningDaemon


class PluginDaemon(RunningDaemon):
    @property
    def bridge_url(self) -> str:
        return self.http

    @property
    def token_file(self) -> Path:
        return self.options.token_file


def start_daemon(root: Path) -> PluginDaemon:
    d = PluginDaemon(root)
    d.run(asyncio.wait_for(d.daemon.service.ready.wait(), 120), timeout=130)
    return d
