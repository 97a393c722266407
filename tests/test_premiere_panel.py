"""The Premiere panel's JavaScript (plugins/premiere) in Node against a fake `premierepro`, with a real daemon."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fakes.daemon import start_daemon

TESTS = Path(__file__).resolve().parent / "premiere"


def websocket_flag() -> list[str]:
    """Node 22+ has a global WebSocket; Node 20 (>= 20.10) needs the experimental flag."""
    probe = subprocess.run(["node", "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"])
    return [] if probe.returncode == 0 else ["--experimental-websocket"]


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed (apt-get install nodejs)")
def test_panel_in_node(tmp_path):
    d = start_daemon(tmp_path)
    try:
        env = dict(os.environ, DUBLINE_BRIDGE=d.bridge_url, DUBLINE_TOKEN_FILE=str(d.token_file))
        run = subprocess.run(["node", *websocket_flag(), "--test", str(TESTS / "panel.test.js"),
                              str(TESTS / "boot.test.js")],
                             env=env, capture_output=True, text=True, timeout=600)
    finally:
        d.stop()
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "# skipped 0" in report and "# fail 0" in report, report
