"""The daemon end to end over real gRPC on loopback: jobs, events, cancel, concurrency, voices."""
from __future__ import annotations

import hashlib
import io
import threading
import time
from fractions import Fraction

import grpc
import numpy as np
import pytest
import soundfile as sf
from daemon_util import RunningDaemon, frames_line, short_lines
from dubline.bridge._proto import dubline_pb2 as pb
from dubline.core.timebase import TimeRange
from grpc_health.v1 import health_pb2, health_pb2_grpc


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = RunningDaemon(tmp_path_factory.mktemp("daemon"), max_lines_per_job=20, max_message_bytes=2 * 1024 * 1024)
    yield d
    d.stop()


@pytest.fixture()
def client(daemon):
    with daemon.client() as c:
        yield c


def expected_samples(line: pb.JobLine, sr: int) -> tuple[int, int]:
    f = line.range.frames
    return TimeRange(f.start_frame, f.end_frame, Fraction(f.rate.num, f.rate.den)).samples(sr)


def test_job_streams_end_to_end_with_exact_sample_counts(client):
    lines = short_lines(3, "e2e")
    job = client.submit(lines, out_dir="e2e", sample_rate=48000)
    events = list(client.events(job.id))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["queued"] + ["line_started", "line_done"] * 3 + ["job_done"]
    assert [e.sequence for e in events] == list(range(len(events)))
    done = [e.line_done for e in events if e.HasField("line_done")]
    for line, d in zip(lines, done):
        r = d.result
        assert r.line_id == line.id and not d.reused
        assert (r.start_sample, r.end_sample) == expected_samples(line, 48000)
        audio, sr = sf.read(r.file, dtype="int16")
        assert sr == 48000 and len(audio) == r.end_sample - r.start_sample
        assert hashlib.sha256(open(r.file, "rb").read()).hexdigest() == r.sha256
        assert r.natural_samples > 0 and r.factor > 0 and r.method
    final = events[-1].job_done.job
    assert final.state == pb.JOB_STATE_DONE and final.done_lines == 3
    track, sr = sf.read(final.track_file, dtype="int16")
    assert len(track) == done[-1].result.end_sample
    # 2 s at 23.976 from 0: line 2 starts at frame 48 = 2.002 s = 96096 samples exactly
    assert done[1].result.start_sample == 96096
    got = client.job(job.id)
    assert [r.line_id for r in got.results] == [ln.id for ln in lines]


def test_samples_ranges_and_a_late_second_watcher_sees_the_same_events(client):
    lines = [pb.JobLine(id="s1", text="Right now.", range=pb.TimeRange(
        samples=pb.SampleRange(start_sample=1000, end_sample=1000 + 33333)))]
    job = client.submit(lines, out_dir="samples", sample_rate=44100, bit_depth=24)
    first = list(client.events(job.id))
    second = list(client.events(job.id))
    assert first == second
    r = first[-2].line_done.result
    assert (r.start_sample, r.end_sample, r.sample_rate) == (1000, 34333, 44100)
    info = sf.info(r.file)
    assert info.frames == 33333 and info.samplerate == 44100 and info.subtype == "PCM_24"


def test_cancel_mid_job(client):
    job = client.submit(short_lines(10, "cx"), out_dir="cancel", detached=True)
    events = client.events(job.id)
    for e in events:
        if e.HasField("line_done"):
            break
    cancelled = client.cancel(job.id)
    assert cancelled.state == pb.JOB_STATE_CANCELLED
    assert 1 <= cancelled.done_lines < 10
    rest = [e.WhichOneof("event") for e in events]
    assert rest[-1] == "job_done"
    assert client.job(job.id).state == pb.JOB_STATE_CANCELLED


def test_client_disconnect_mid_stream_frees_the_work(daemon, client):
    job = client.submit(short_lines(10, "dc"), out_dir="disconnect")  # not detached
    with daemon.client(owner=client.owner) as watcher:  # the submitter, on another connection
        for e in watcher.events(job.id):
            if e.HasField("line_done"):
                break  # closes the stream; the client goes away
    deadline = time.time() + 30
    while client.job(job.id).state in (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING) and time.time() < deadline:
        time.sleep(0.05)
    gone = client.job(job.id)
    assert gone.state == pb.JOB_STATE_CANCELLED
    assert gone.done_lines < 10


def test_concurrent_clients_all_finish_in_queue_order(daemon):
    results, errors = {}, []

    def one(i):
        try:
            with daemon.client() as c:
                job = c.submit(short_lines(2, f"cc{i}-"), out_dir=f"concurrent/{i}")
                events = list(c.events(job.id))
                results[i] = (events, c.job(job.id))
        except Exception as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    spans = []
    for events, job in results.values():
        assert job.state == pb.JOB_STATE_DONE and job.done_lines == 2
        assert [r.end_sample - r.start_sample for r in job.results] == [72072 - 0, 168168 - 96096]
        started = next(e.unix_ms for e in events if e.HasField("line_started"))
        spans.append((started, events[-1].unix_ms))
    # one queue for the CPU: no two jobs ran at the same time
    spans.sort()
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


def test_synthesize_hits_a_frame_target_exactly(client):
    req = pb.SynthesizeRequest(text="Just a moment.", voice="en-joe", sample_rate=48000)
    req.target.frames.frames = 40
    req.target.frames.rate.CopyFrom(pb.FrameRate(num=30000, den=1001, drop_frame=True))
    reply = client._call("Synthesize", req)
    audio, sr = sf.read(io.BytesIO(reply.wav), dtype="int16")
    assert sr == 48000 and len(audio) == reply.samples == 64064  # 40 frames at 29.97 = 1.3346 s
    assert reply.voice == "en-joe" and reply.natural_samples > 0


# -- bad requests ----------------------------------------------------------------------

def code_of(fn) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.RpcError) as info:
        fn()
    return info.value.code(), info.value.details()


def test_empty_line_is_invalid_argument(client):
    code, msg = code_of(lambda: client.submit([frames_line("e1", "   ", 0, 24)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "empty" in msg and "e1" in msg


def test_impossible_targets_are_invalid_argument(client):
    code, msg = code_of(lambda: client.submit([frames_line("b1", "Backwards.", 48, 24)]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "range" in msg
    code, msg = code_of(lambda: client.synthesize("Nothing.", target_samples=0))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "impossible target" in msg
    code, msg = code_of(lambda: client.submit([frames_line("r1", "Bad rate.", 0, 24, pb.FrameRate(num=0, den=1))]))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "frame rate" in msg


def test_unknown_voice_is_not_found(client):
    code, msg = code_of(lambda: client.submit([frames_line("v1", "Hi.", 0, 24, voice="nobody")]))
    assert code == grpc.StatusCode.NOT_FOUND and "nobody" in msg and "en-joe" in msg
    code, _ = code_of(lambda: client.synthesize("Hi.", voice="nobody"))
    assert code == grpc.StatusCode.NOT_FOUND
    code, _ = code_of(lambda: client.job("no-such-job"))
    assert code == grpc.StatusCode.NOT_FOUND


def test_paths_outside_the_root_are_permission_denied(daemon, client, tmp_path):
    for bad in ("../escape", "/etc", "a/../../b"):
        code, msg = code_of(lambda: client.submit(short_lines(1), out_dir=bad))
        assert code == grpc.StatusCode.PERMISSION_DENIED, bad
    (daemon.options.output_root / "link").symlink_to(tmp_path)
    code, msg = code_of(lambda: client.submit(short_lines(1), out_dir="link/x"))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "symlink" in msg
    code, _ = code_of(lambda: client.register_voice("v", daemon.options.output_root / ".." / "token"))
    assert code == grpc.StatusCode.PERMISSION_DENIED
    sneaky = frames_line("em", "Hi.", 0, 24, emotion=pb.Emotion(reference_path="../../etc/passwd"))
    code, _ = code_of(lambda: client.submit([sneaky]))
    assert code == grpc.StatusCode.PERMISSION_DENIED


def test_missing_or_wrong_token_is_unauthenticated(daemon):
    channel = grpc.insecure_channel(daemon.address)
    stub = __import__("dubline.bridge._proto.dubline_pb2_grpc", fromlist=["x"]).DublineStub(channel)
    for md in ((), (("authorization", "Bearer wrong"),)):
        code, msg = code_of(lambda: stub.ListJobs(pb.ListJobsRequest(), metadata=md))
        assert code == grpc.StatusCode.UNAUTHENTICATED and "token" in msg
        code, _ = code_of(lambda: list(stub.WatchJob(pb.WatchJobRequest(job_id="x"), metadata=md)))
        assert code == grpc.StatusCode.UNAUTHENTICATED
    channel.close()


def test_limits_give_clear_errors(client):
    code, msg = code_of(lambda: client.submit(short_lines(21)))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "limit is 20" in msg
    code, msg = code_of(lambda: client.synthesize("x" * 1001))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "1000" in msg
    code, _ = code_of(lambda: client.register_voice("big", b"\0" * (3 * 1024 * 1024)))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- voices ----------------------------------------------------------------------------

def _reference_wav(seconds=4.0, sr=24000) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(0)
    speechy = 0.5 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0)
    buf = io.BytesIO()
    sf.write(buf, (speechy + 0.001 * rng.standard_normal(len(t))).astype(np.float32), sr, format="WAV")
    return buf.getvalue()


def test_register_list_delete_voice_with_quality_report(client):
    reply = client.register_voice("narrator", _reference_wav(), description="test")
    q = reply.quality
    assert (q.samples, q.sample_rate, q.channels, q.clipped_samples) == (96000, 24000, 1, 0)
    assert q.snr_db > 30
    assert any("cannot clone" in w for w in q.warnings)  # piper, the only engine here, does not clone
    assert "narrator" in [v.name for v in client.voices()]
    job = client.dub([frames_line("n1", "Once upon a time.", 0, 48)], voice="narrator", out_dir="narr")
    assert job.state == pb.JOB_STATE_DONE and job.results[0].voice == "narrator"
    client.delete_voice("narrator")
    assert "narrator" not in [v.name for v in client.voices()]
    code, _ = code_of(lambda: client.delete_voice("en-joe"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, _ = code_of(lambda: client.register_voice("bad", b"not audio"))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


# -- stock tools -----------------------------------------------------------------------

def test_stock_health_client_and_reflection(daemon):
    channel = grpc.insecure_channel(daemon.address)
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "dubline.v1.Dubline"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    refl = reflection_pb2_grpc.ServerReflectionStub(channel)
    replies = list(refl.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])))
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"dubline.v1.Dubline", "grpc.health.v1.Health"} <= names
    channel.close()


def test_health_is_not_serving_until_models_are_loaded(tmp_path):
    from dubline.core.catalog import Catalog
    from dubline.core.engines.piper import PiperEngine

    gate = threading.Event()

    def slow_piper():
        gate.wait(30)
        return PiperEngine.load()

    d = RunningDaemon(tmp_path, catalog=Catalog(engines={"piper": slow_piper}))
    try:
        channel = grpc.insecure_channel(d.address)
        health = health_pb2_grpc.HealthStub(channel)
        def check():
            return health.Check(health_pb2.HealthCheckRequest(service="dubline.v1.Dubline"), timeout=5).status

        assert check() == health_pb2.HealthCheckResponse.NOT_SERVING
        gate.set()
        deadline = time.time() + 30
        while check() != health_pb2.HealthCheckResponse.SERVING and time.time() < deadline:
            time.sleep(0.05)
        assert check() == health_pb2.HealthCheckResponse.SERVING
        channel.close()
    finally:
        gate.set()
        d.stop()


def test_cli_srt_through_the_server(daemon, tmp_path, monkeypatch, capsys):
    from dubline.bridge.cli import main

    srt = tmp_path / "two.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n"
                   "2\n00:00:03,000 --> 00:00:04,200\nGood morning.\n", encoding="utf-8")
    monkeypatch.setenv("DUBLINE_TOKEN_FILE", str(daemon.options.token_file))
    assert main(["-q", "srt", str(srt), "-o", "cli-run", "--server", daemon.address]) == 0
    assert "2 lines ->" in capsys.readouterr().out
    track = daemon.options.output_root / "cli-run" / "track.wav"
    assert sf.info(str(track)).frames == 4.2 * 48000
    # an absolute -o outside the daemon's root is refused with a clear message
    assert main(["-q", "srt", str(srt), "-o", str(tmp_path / "elsewhere"), "--server", daemon.address]) == 1
    assert "outside the daemon's output root" in capsys.readouterr().err


def test_cancel_while_queued_then_resubmit_runs_once(client):
    first = client.submit(short_lines(3, "qa"), out_dir="qa", detached=True)
    req = pb.SubmitJobRequest(lines=short_lines(1, "qb"), output=pb.OutputSettings(output_dir="qb"), detached=True)
    queued = client.submit_request(req).job
    assert client.cancel(queued.id).state == pb.JOB_STATE_CANCELLED  # still behind the first job
    again = client.submit_request(req)
    assert again.resumed and again.job.id == queued.id
    kinds = [e.WhichOneof("event") for e in client.events(queued.id)]
    assert kinds == ["queued", "line_started", "line_done", "job_done"]
    assert client.wait(first.id).state == pb.JOB_STATE_DONE
