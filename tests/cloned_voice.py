"""The doors a cloned-voice user opens, shared by the IndexTTS2 and IndexTTS-2.5 end-to-end tests.

``serve_model`` runs a real ``dubline serve --model-dir`` process on loopback ports and
watches its health while the model loads; ``assert_sample_exact`` checks a job's stems
against its track and report; ``post`` calls the JSON bridge as a plugin would.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dubline.bridge import Client

FAST = ["--device", "cpu", "--diffusion-steps", "2", "--beams", "1"]  # the tiny model, quickly
SR = 48000


def assert_sample_exact(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    track, sr = sf.read(str(out / "track.wav"), dtype="int16")
    assert sr == report["sample_rate"]
    for line in report["lines"]:
        stem, _ = sf.read(line["file"], dtype="int16")
        assert len(stem) == line["end_sample"] - line["start_sample"], line["id"]
        assert np.array_equal(track[line["start_sample"]:line["end_sample"]], stem)
        assert np.abs(stem).max() > 0, line["id"]
    return report


def audio(wav: bytes) -> np.ndarray:
    return sf.read(io.BytesIO(wav), dtype="float32")[0]


def post(served, method: str, body: dict):
    req = urllib.request.Request(f"{served['http']}/dubline.v1.Dubline/{method}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json", "Authorization": f"Bearer {served['token']}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, (json.load(r) if method != "WatchJob" else [json.loads(x) for x in r])


def bridge_job(served, out_dir: str) -> list[dict]:
    """SubmitJob + WatchJob over the JSON bridge: the ``serve --voices`` speaker GUANYU (with its
    emotion) and the registered voice "zhangfei" with a preset emotion; the LineDone results."""
    rate = {"num": 25, "den": 1}
    lines = [{"id": "j1", "text": "hello world", "speaker": "GUANYU",  # voice + emotion from serve --voices
              "range": {"frames": {"startFrame": 25, "endFrame": 40, "rate": rate}}},
             {"id": "j2", "text": "by the river", "voice": "zhangfei", "emotion": {"preset": "sad"},
              "range": {"frames": {"startFrame": 50, "endFrame": 62, "rate": rate}}}]
    status, reply = post(served, "SubmitJob", {"lines": lines, "output": {"outputDir": out_dir}})
    assert status == 200
    status, events = post(served, "WatchJob", {"jobId": reply["job"]["id"]})
    assert status == 200
    return [e["lineDone"]["result"] for e in events if "lineDone" in e]


@contextmanager
def serve_model(d: Path, ckpt: Path, voices: Path) -> Iterator[dict]:
    """A real `dubline serve --model-dir` on loopback ports; health observed while it loads."""
    d.mkdir()
    ready = d / "ready"
    env = dict(os.environ, DUBLINE_DATA_DIR=str(d / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "dubline.bridge.cli", "serve", "--port", "0", "--bridge-port", "0",
         "--output-root", str(d / "out"), "--state-dir", str(d / "state"), "--token-file", str(d / "token"),
         "--ready-file", str(ready), "--model-dir", str(ckpt), "--voices", str(voices), *FAST],
        stdout=subprocess.DEVNULL, stderr=open(d / "server.log", "w"), env=env)
    try:
        deadline = time.time() + 120
        while not (ready.exists() and ready.read_text().strip()):
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"server did not start: {(d / 'server.log').read_text()[-2000:]}")
            time.sleep(0.05)
        grpc_port, bridge_port = ready.read_text().split()
        address = f"127.0.0.1:{grpc_port}"
        statuses = []
        with Client(address, token_file=d / "token") as c:
            health = health_pb2_grpc.HealthStub(c._channel)
            while not statuses or statuses[-1] != health_pb2.HealthCheckResponse.SERVING:
                if proc.poll() is not None or time.time() > deadline:
                    pytest.fail(f"never SERVING: {(d / 'server.log').read_text()[-2000:]}")
                reply = health.Check(health_pb2.HealthCheckRequest(service=""),
                                     metadata=(("authorization", f"Bearer {(d / 'token').read_text().strip()}"),))
                statuses.append(reply.status)
                time.sleep(0.05)
        yield {"address": address, "http": f"http://127.0.0.1:{bridge_port}", "dir": d, "statuses": statuses,
               "token": (d / "token").read_text().strip(), "out": d / "out"}
    finally:
        proc.terminate()
        proc.wait(30)
