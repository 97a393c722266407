"""kill -9 a real `dubline serve` mid-job, restart it, resubmit: no finished line is recomputed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daemon_util import short_lines
from dubline.bridge import Client
from dubline.bridge._proto import dubline_pb2 as pb


def start_server(tmp: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    ready = tmp / "ready"
    ready.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dubline.bridge.cli", "serve", "--port", "0", "--bridge-port", "-1",
         "--output-root", str(tmp / "out"), "--state-dir", str(tmp / "state"),
         "--token-file", str(tmp / "token"), "--ready-file", str(ready), *(extra or [])],
        stdout=subprocess.DEVNULL, stderr=open(tmp / "server.log", "a"))
    deadline = time.time() + 60
    while not (ready.exists() and ready.read_text().strip()):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {(tmp / 'server.log').read_text()[-2000:]}")
        time.sleep(0.05)
    return proc, f"127.0.0.1:{ready.read_text().split()[0]}"


def request() -> pb.SubmitJobRequest:
    return pb.SubmitJobRequest(lines=short_lines(8, "k"), output=pb.OutputSettings(output_dir="ep"),
                               job_id="kill9", detached=True)


def test_kill_9_and_restart_recomputes_no_finished_line(tmp_path):
    proc, address = start_server(tmp_path)
    try:
        assert (os.stat(tmp_path / "token").st_mode & 0o777) == 0o600
        with Client(address, token_file=tmp_path / "token") as c:
            c.submit_request(request())
            done = 0
            for e in c.events("kill9"):
                done += e.HasField("line_done")
                if done == 3:
                    break
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()

    # The interrupted run is staged; the folder itself still holds the previous run (none).
    staged = tmp_path / "out" / "ep" / ".dubline-staging" / "lines"
    assert not (tmp_path / "out" / "ep" / "lines").exists()
    assert not (tmp_path / "out" / "ep" / "report.json").exists()
    stems = sorted(staged.glob("*.wav"))
    stored = sorted((tmp_path / "state" / "jobs" / "kill9" / "lines").glob("*.json"))
    assert len(stored) >= 3 and len(stems) >= len(stored)
    before = {p.name: p.stat().st_mtime_ns for p in stems}
    # A stem damaged while the server was down must be made again, not trusted.
    damaged = staged / "k2.wav"
    damaged.write_bytes(damaged.read_bytes()[:-2] + b"\1\1")
    before.pop("k2.wav")

    proc, address = start_server(tmp_path)
    try:
        with Client(address, token_file=tmp_path / "token") as c:
            [listed] = [j for j in c.jobs() if j.id == "kill9"]
            assert listed.state == pb.JOB_STATE_INTERRUPTED
            reply = c.submit_request(request())
            assert reply.resumed
            events = list(c.events("kill9"))
            job = c.job("kill9")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # graceful shutdown
    done = {e.line_done.result.line_id: e.line_done.reused for e in events if e.HasField("line_done")}
    assert job.state == pb.JOB_STATE_DONE and job.done_lines == 8
    assert done["k1"] and done["k3"] and not done["k2"]
    assert job.reused_lines == len(stored) - 1
    assert sum(1 for r in done.values() if not r) == 8 - job.reused_lines
    for name, mtime in before.items():
        if done[name[:-4]]:
            assert (tmp_path / "out" / "ep" / "lines" / name).stat().st_mtime_ns == mtime, name
    assert not (tmp_path / "out" / "ep" / ".dubline-staging").exists()
