"""Hostile and malformed requests (issue 14): each gets the right status code, never "internal error".

Through the real doors: gRPC with the generated stub (raw bytes for malformed protobuf), the
JSON bridge with urllib and raw sockets, and `dubline serve` as a subprocess for start-up errors.
At the end, hypothesis fuzzes the bridge's request decoding (~25 examples each in CI; set
DUBLINE_FUZZ_EXAMPLES for a longer run): anything a client POSTs gets 200 or a client-error
status, never a 500.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.client import HTTPConnection

import grpc
import pytest
from daemon_util import RunningDaemon, frames_line
from dubline.bridge._proto import dubline_pb2 as pb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

METHOD = "/dubline.v1.Dubline/"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = RunningDaemon(tmp_path_factory.mktemp("hostile"), bridge_idle_seconds=1.0, bridge_body_seconds=1.0,
                      max_lines_per_job=5000)
    d.run(d.daemon.service.ready.wait())
    yield d
    d.stop()


def raw_call(d, method: str, body: bytes, token: str | None) -> tuple[grpc.StatusCode, str]:
    channel = grpc.insecure_channel(d.address)
    try:
        call = channel.unary_unary(METHOD + method, request_serializer=None, response_deserializer=None)
        md = (("authorization", f"Bearer {token}"),) if token else ()
        try:
            call(body, metadata=md, timeout=30)
        except grpc.RpcError as e:
            return e.code(), e.details()
        return grpc.StatusCode.OK, ""
    finally:
        channel.close()


def http(d, method: str, body: bytes, headers: dict | None = None, query: str = "") -> tuple[int, dict]:
    h = {"Content-Type": "application/json", "Authorization": f"Bearer {d.token}", **(headers or {})}
    req = urllib.request.Request(f"{d.http}/dubline.v1.Dubline/{method}{query}", body, h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def submit_json(**over) -> dict:
    line = {"id": "h1", "text": "Hello there.",
            "range": {"frames": {"startFrame": 0, "endFrame": 36, "rate": {"num": 24, "den": 1}}}}
    line.update(over.pop("line", {}))
    return {"lines": [line], "output": {"outputDir": "hostile"}, "detached": True, **over}


def test_token_is_checked_before_the_body_is_parsed(daemon):
    garbage = b"\xff\xff\xff\xff\x0f"  # not a protobuf message
    assert raw_call(daemon, "SubmitJob", garbage, None)[0] == grpc.StatusCode.UNAUTHENTICATED
    assert raw_call(daemon, "SubmitJob", garbage, "wrong")[0] == grpc.StatusCode.UNAUTHENTICATED
    code, msg = raw_call(daemon, "SubmitJob", garbage, daemon.token)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "not a valid protobuf" in msg


@pytest.mark.parametrize("change, needle", [
    ({"line": {"range": {"frames": {"startFrame": -48, "endFrame": 24, "rate": {"num": 24, "den": 1}}}}}, "negative"),
    ({"line": {"id": "x" * 300}}, "limit is 128"),
    ({"output": {"outputDir": "d/" * 2500}}, "limit is 1024"),
    ({"output": {"outputDir": "a" * 300}}, "255 bytes"),
    ({"fit": {"maxStretch": "NaN"}}, "fit.max_stretch"),
    ({"fit": {"minFactor": "-Infinity"}}, "fit.min_factor"),
    ({"fit": {"pacing": "fast"}}, "pacing 'fast'"),
    ({"output": {"bitDepth": 8}}, "bit depth 8"),
    ({"line": {"text": "Hello\u0000there."}}, "U+0000"),
    ({"line": {"text": "\u200b\u200b\ufeff"}}, "empty text"),
    ({"line": {"range": {"frames": {"startFrame": 0, "endFrame": 24 * 700, "rate": {"num": 24, "den": 1}}}}},
     "limit is 600 s per line"),
    ({"line": {"range": {"frames": {"startFrame": 24 * 7 * 3600, "endFrame": 24 * 7 * 3600 + 24,
                                    "rate": {"num": 24, "den": 1}}}}}, "timeline may last"),
    ({"line": {"range": {"frames": {"startFrame": 10**12, "endFrame": 10**12 + 24,
                                    "rate": {"num": 24, "den": 1}}}}}, "largest allowed"),
    ({"line": {"range": {"frames": {"startFrame": 0, "endFrame": 24, "rate": {"num": 1, "den": 1000}}}}}, "fps"),
    ({"line": {"emotion": {"intensity": "NaN"}}}, "intensity"),
])
def test_bad_submissions_are_invalid_argument_on_both_doors(daemon, change, needle):
    body = submit_json(**change)
    status, err = http(daemon, "SubmitJob", json.dumps(body).encode())
    assert (status, err["code"]) == (400, "invalid_argument"), err
    assert needle in err["message"] and "internal error" not in err["message"]
    from google.protobuf import json_format

    req = json_format.ParseDict(body, pb.SubmitJobRequest())
    code, msg = raw_call(daemon, "SubmitJob", req.SerializeToString(), daemon.token)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and needle in msg


@pytest.mark.parametrize("body", [
    b'{"lines": [{"id": "\xff\xfe", "text": "x"}]}',  # invalid UTF-8
    b"[" * 100000,  # nesting deeper than any parser's recursion
    b'{"lines": 5}',
    b'{"seed": "-1"}',
    b'{"output": {"sampleRate": 1e400}}',
    b"\x00\x01\x02",
])
def test_malformed_json_is_invalid_argument(daemon, body):
    status, err = http(daemon, "SubmitJob", body)
    assert (status, err["code"]) == (400, "invalid_argument"), err


def test_get_plan_with_an_absurd_start_frame_is_invalid_argument(daemon):
    with daemon.client() as c:
        job = c.dub([frames_line("p1", "Hello there.", 0, 36)], out_dir="plan", detached=True)
        with pytest.raises(grpc.RpcError) as e:
            c.plan(job.id, pb.FrameRate(num=24, den=1), timeline_start_frame=2**63 - 1)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status, err = http(daemon, "GetPlan", json.dumps({"jobId": job.id, "rate": {"num": 24, "den": 1},
                                                      "timelineStartFrame": str(2**63 - 1)}).encode())
    assert status == 400 and "timeline_start_frame" in err["message"]


def test_token_in_the_query_only_on_the_websocket_upgrade(daemon):
    status, err = http(daemon, "ListJobs", b"{}", headers={"Authorization": ""}, query=f"?token={daemon.token}")
    assert status == 401


def test_rotated_token_file_takes_effect_without_restart(tmp_path):
    d = RunningDaemon(tmp_path)
    try:
        old = d.token
        d.options.token_file.write_text("a-rotated-token-of-enough-length\n")
        with d.client() as c:  # reads the new file
            assert c.jobs() == []
        code, _ = raw_call(d, "ListJobs", b"", old)
        assert code == grpc.StatusCode.UNAUTHENTICATED
        status, _ = http(d, "ListJobs", b"{}", headers={"Authorization": f"Bearer {old}"})
        assert status == 401
    finally:
        d.stop()


def test_slow_and_idle_bridge_connections_are_closed(daemon):
    port = daemon.daemon.bridge_port
    partial = socket.create_connection(("127.0.0.1", port))
    partial.sendall(b"POST /dubline.v1.Dubline/ListJobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers never end
    idle = socket.create_connection(("127.0.0.1", port))
    slow = socket.create_connection(("127.0.0.1", port))
    slow.sendall(f"POST /dubline.v1.Dubline/ListJobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                 f"{daemon.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{".encode())
    t0 = time.monotonic()
    for s in (partial, idle, slow):
        s.settimeout(10)
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass
        s.close()
        if s is slow:
            assert b" 504 " in data.split(b"\r\n")[0] and b"not received within" in data
    assert time.monotonic() - t0 < 8  # bounds of 1 s here; 15 s / 30 s by default


def run_serve(tmp_path, *extra, timeout=60):
    args = [sys.executable, "-m", "dubline.bridge.cli", "serve", "--output-root", str(tmp_path / "out"),
            "--state-dir", str(tmp_path / "state"), "--token-file", str(tmp_path / "token"), *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def test_serve_on_a_port_in_use_is_one_clear_line(daemon, tmp_path):
    grpc_taken = run_serve(tmp_path, "--port", str(daemon.daemon.port), "--bridge-port", "-1")
    assert grpc_taken.returncode == 1 and "Traceback" not in grpc_taken.stderr
    assert "port is in use" in grpc_taken.stderr and str(daemon.daemon.port) in grpc_taken.stderr
    bridge_taken = run_serve(tmp_path, "--port", "0", "--bridge-port", str(daemon.daemon.bridge_port))
    assert bridge_taken.returncode == 1 and "Traceback" not in bridge_taken.stderr
    assert "JSON bridge" in bridge_taken.stderr and "--bridge-port" in bridge_taken.stderr


def test_serve_refuses_remote_without_the_flag_and_an_empty_token_file(tmp_path):
    remote = run_serve(tmp_path, "--host", "0.0.0.0", "--port", "0", "--bridge-port", "-1")
    assert remote.returncode == 1 and "--allow-remote" in remote.stderr and "Traceback" not in remote.stderr
    (tmp_path / "token").write_text("\n")
    empty = run_serve(tmp_path, "--port", "0", "--bridge-port", "-1")
    assert empty.returncode == 1 and "is empty" in empty.stderr and "Traceback" not in empty.stderr
    (tmp_path / "token").write_text("a-token-of-enough-length-for-this\n")
    capped = run_serve(tmp_path, "--port", "0", "--bridge-max-connections", "0")
    assert capped.returncode == 1 and "--bridge-max-connections 0: give at least 1" in capped.stderr


def test_nan_is_not_a_number_anywhere(daemon):
    assert not math.isfinite(float("nan"))  # the JSON "NaN" above is protobuf's spelling of it
    req = pb.SynthesizeRequest(text="Hello.", bit_depth=8)
    code, msg = raw_call(daemon, "Synthesize", req.SerializeToString(), daemon.token)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "bit depth 8" in msg


def test_a_long_reference_is_decoded_only_up_to_its_bound(daemon):
    import io

    import numpy as np
    import soundfile as sf

    buf = io.BytesIO()
    sr = 16000
    sf.write(buf, np.zeros(600 * sr, dtype=np.float32), sr, format="FLAC")  # ten minutes of silence
    assert len(buf.getvalue()) < 1024 * 1024  # a small upload
    with daemon.client() as c:
        reply = c.register_voice("long", buf.getvalue())
    assert reply.quality.samples == 30 * sr
    assert any("only the first 30 s" in w for w in reply.quality.warnings)
    stored = sf.info(str(daemon.options.state_dir / "voices" / "long.wav"))
    assert stored.frames == 30 * sr


def test_health_stays_fast_while_a_5000_line_job_is_submitted(daemon):
    """Parsing, checking and planning run off the event loop: other calls are answered meanwhile."""
    import threading

    from grpc_health.v1 import health_pb2, health_pb2_grpc

    lines = [{"id": f"big{i}", "text": "Hello there.", "range": {"frames": {
        "startFrame": 48 * i, "endFrame": 48 * i + 36, "rate": {"num": 24, "den": 1}}}} for i in range(5000)]
    body = json.dumps({"lines": lines, "output": {"outputDir": "big"}, "detached": True}).encode()
    reply: list = []
    submit = threading.Thread(target=lambda: reply.append(http(daemon, "SubmitJob", body)))
    channel = grpc.insecure_channel(daemon.address)
    health = health_pb2_grpc.HealthStub(channel)
    health.Check(health_pb2.HealthCheckRequest(), timeout=5)  # connected before the clock starts
    latencies = []
    submit.start()
    while submit.is_alive():
        t0 = time.perf_counter()
        health.Check(health_pb2.HealthCheckRequest(), timeout=30)
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.01)
    submit.join()
    channel.close()
    status, job = reply[0]
    assert status == 200, job
    with daemon.client() as c:
        c.cancel(job["job"]["id"])
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"health during a 5000-line submit: {len(latencies)} checks, p50 "
          f"{latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    assert len(latencies) >= 5
    # 50 ms on an idle machine (bench_faults measures it); generous here for a loaded CI box.
    assert p99 < 0.5, f"health p99 {p99 * 1000:.0f} ms while a big job was submitted"


# -- fuzz ------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("DUBLINE_FUZZ_EXAMPLES", "25"))
OK = {200, 400, 403, 404, 409, 413}

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)
rates = st.fixed_dictionaries({"num": st.one_of(st.integers(-5, 2**40), values),
                               "den": st.one_of(st.integers(-5, 2**40), values)})
frames = st.fixed_dictionaries({"startFrame": st.one_of(st.integers(-(2**63), 2**63 - 1), values),
                                "endFrame": st.one_of(st.integers(-(2**63), 2**63 - 1), values),
                                "rate": st.one_of(rates, values)})
job_lines = st.fixed_dictionaries({"id": st.one_of(st.text(max_size=300), values),
                                   "text": st.one_of(st.text(max_size=60), values),
                                   "range": st.one_of(st.fixed_dictionaries({"frames": frames}), values)},
                                  optional={"voice": st.text(max_size=20), "speaker": st.text(max_size=20),
                                            "emotion": values})
submits = st.fixed_dictionaries({"lines": st.one_of(st.lists(job_lines, max_size=3), values)},
                                optional={"output": st.dictionaries(st.sampled_from(
                                              ["outputDir", "sampleRate", "bitDepth"]), values, max_size=3),
                                          "fit": st.dictionaries(st.sampled_from(
                                              ["minFactor", "maxFactor", "maxStretch", "squeeze"]), values),
                                          "jobId": st.text(max_size=80), "seed": values, "detached": values})
methods = st.sampled_from(["SubmitJob", "Synthesize", "GetPlan", "GetJob", "CancelJob", "RegisterVoice",
                           "WatchJob", "ListJobs"])


@pytest.fixture(scope="module")
def bridge(daemon):
    conn = HTTPConnection("127.0.0.1", daemon.daemon.bridge_port, timeout=60)
    yield daemon, conn
    conn.close()


def post(bridge, method: str, body: bytes) -> tuple[int, bytes]:
    d, conn = bridge
    conn.request("POST", f"/dubline.v1.Dubline/{method}", body,
                 {"Authorization": f"Bearer {d.token}", "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status == 200 and method == "SubmitJob":  # a valid job slipped through: do not let it run
        job_id = json.loads(data)["job"]["id"]
        conn.request("POST", "/dubline.v1.Dubline/CancelJob", json.dumps({"jobId": job_id}).encode(),
                     {"Authorization": f"Bearer {d.token}"})
        conn.getresponse().read()
    return r.status, data


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=submits)
def test_submit_job_bodies_never_give_internal_errors(bridge, body):
    status, data = post(bridge, "SubmitJob", json.dumps(body, allow_nan=True).encode())
    assert status in OK, (status, data[:300])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=methods, body=st.one_of(values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
                                      st.binary(max_size=64)))
def test_any_body_to_any_method_never_gives_internal_errors(bridge, method, body):
    if method == "WatchJob":
        method = "GetJob"  # a stream that could follow a job forever; same decoding path
    status, data = post(bridge, method, body)
    assert status in OK, (method, body[:100], status, data[:300])


def test_bridge_connections_past_the_cap_get_a_clear_503(tmp_path):
    d = RunningDaemon(tmp_path, bridge_max_connections=2)
    try:
        port = d.daemon.bridge_port
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]  # idle, admitted
        time.sleep(0.2)
        status, err = http(d, "ListJobs", b"{}")
        assert status == 503 and err["code"] == "unavailable"
        assert "already holds 2 connections" in err["message"] and "--bridge-max-connections" in err["message"]
        silent = socket.create_connection(("127.0.0.1", port))  # past the cap, sends nothing
        silent.settimeout(5)
        t0 = time.monotonic()
        assert silent.recv(1) == b"" and time.monotonic() - t0 < 3  # closed, not held for the idle timeout
        silent.close()
        held.pop().close()
        time.sleep(0.2)
        status, _ = http(d, "ListJobs", b"{}")
        assert status == 200  # a slot freed: served again
    finally:
        for s in held:
            s.close()
        d.stop()


def test_an_emotion_reference_is_bounded_like_a_voice_reference(daemon):
    import numpy as np
    import soundfile as sf

    clips = daemon.options.output_root / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    sr = 16000
    sf.write(clips / "long.flac", np.zeros(45 * sr, dtype=np.float32), sr)  # 45 s in a few KB
    sf.write(clips / "wide.wav", np.zeros((sr, 9), dtype=np.float32), sr)
    (clips / "noise.wav").write_bytes(b"RIFF not really")
    cases = {"clips/long.flac": (grpc.StatusCode.INVALID_ARGUMENT, "lasts 45.0 s; the limit is 30 s"),
             "clips/wide.wav": (grpc.StatusCode.INVALID_ARGUMENT, "9 channels"),
             "clips/noise.wav": (grpc.StatusCode.INVALID_ARGUMENT, "cannot be read"),
             "clips/none.wav": (grpc.StatusCode.NOT_FOUND, "does not exist")}
    with daemon.client() as c:
        for path, (code, needle) in cases.items():
            line = frames_line("em1", "Hello there.", 0, 36, emotion=pb.Emotion(reference_path=path))
            with pytest.raises(grpc.RpcError) as job:
                c.submit([line], out_dir="emotion", detached=True)
            with pytest.raises(grpc.RpcError) as one:
                c.synthesize("Hello there.", emotion=pb.Emotion(reference_path=path))
            for e in (job.value, one.value):
                assert e.code() == code and needle in e.details(), (path, e.details())
    status, err = http(daemon, "SubmitJob", json.dumps(submit_json(
        line={"emotion": {"referencePath": "clips/long.flac"}})).encode())
    assert status == 400 and "the limit is 30 s" in err["message"]
