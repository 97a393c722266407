"""A gRPC client nobody here wrote: Node's @grpc/grpc-js + @grpc/proto-loader, reading proto/."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from daemon_util import RunningDaemon

NODE_DIR = Path(__file__).parent / "node"
PROTO = Path(__file__).resolve().parent.parent / "proto"


@pytest.fixture(scope="module")
def node_client() -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm are not installed (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "@grpc" / "grpc-js").is_dir():
        try:
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=180,
                           capture_output=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"npm could not install @grpc/grpc-js (registry unreachable?): {e}")
    return NODE_DIR / "client.js"


def test_node_grpc_js_client_runs_a_job(node_client, tmp_path):
    d = RunningDaemon(tmp_path)
    try:
        run = subprocess.run(["node", str(node_client), d.address, d.token, str(PROTO)],
                             capture_output=True, text=True, timeout=120)
    finally:
        d.stop()
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["noTokenCode"] == "UNAUTHENTICATED"
    assert out["api"] == "dubline.v1" and out["engines"] == ["piper"]
    assert out["events"] == ["queued", "lineStarted", "lineDone", "jobDone"]
    assert out["state"] == "JOB_STATE_DONE"
    # frames 24-72 at 25 fps = 0.96 s to 2.88 s = samples 46080 to 138240, as int64 strings
    assert (out["result"]["startSample"], out["result"]["endSample"]) == ("46080", "138240")
    assert Path(out["result"]["file"]).is_file()
