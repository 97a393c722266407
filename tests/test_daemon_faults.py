"""The daemon under faults (issue 14): every job ends, cancel is prompt, a resubmit is not lost.

A real daemon on loopback (tests/daemon_util.py) whose Piper engine misbehaves on cue: a
line saying "boom" raises an error from outside the project's types, a line saying
"slowly" blocks until the test lets it go. Disk full is injected where the stem is written.
"""
from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
import time
import urllib.request

import aiohttp

import grpc
import pytest
from daemon_util import RunningDaemon, frames_line, short_lines
from dubline.bridge._proto import dubline_pb2 as pb
from dubline.core.catalog import Catalog
from dubline.core.engines.piper import PiperEngine


class FaultyPiper:
    """Piper, except: "boom" raises RuntimeError; "slowly" waits for ``gate`` (at most 30 s)."""

    def __init__(self, gate: threading.Event, started: threading.Event):
        self.inner = PiperEngine.load()
        self.gate, self.started = gate, started

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def synthesize(self, text, voice, controls, target=None):
        if "boom" in text.lower():
            raise RuntimeError("the engine fell over")
        if "slowly" in text.lower():
            self.started.set()
            self.gate.wait(30)
        return self.inner.synthesize(text, voice, controls, target)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory):
    gate, started = threading.Event(), threading.Event()
    d = RunningDaemon(tmp_path_factory.mktemp("faults"),
                      catalog=Catalog(engines={"piper": lambda: FaultyPiper(gate, started)}))
    d.gate, d.started = gate, started
    yield d
    gate.set()
    d.stop()


def test_an_exception_outside_the_error_types_ends_the_job_for_every_watcher(faulty):
    lines = [frames_line("f1", "Hello there.", 0, 36), frames_line("f2", "Boom, it goes.", 48, 84),
             frames_line("f3", "Good morning.", 96, 132)]
    with faulty.client() as c:
        job = c.submit(lines, out_dir="boom", detached=True)
        seen: list[list[pb.JobEvent]] = [[], []]

        def watch(i):
            with faulty.client() as w:
                seen[i] = list(w.events(job.id))

        watchers = [threading.Thread(target=watch, args=(i,)) for i in range(2)]
        for t in watchers:
            t.start()
        for t in watchers:
            t.join(60)
        assert not any(t.is_alive() for t in watchers), "a watcher never got the job's end"
        for events in seen:
            assert events[-1].HasField("job_done")
        final = c.job(job.id)
    assert final.state == pb.JOB_STATE_FAILED
    assert final.error.startswith("INTERNAL:") and "RuntimeError: the engine fell over" in final.error
    assert f"job {job.id}" in final.error


def test_disk_full_is_resource_exhausted_naming_the_path(faulty, monkeypatch):
    from pathlib import Path

    real = Path.write_bytes
    full_dir = str((faulty.options.output_root / "full").resolve())

    def write_bytes(self, data):  # the file system under out/full/ is full
        if os.path.realpath(self).startswith(full_dir):  # writes may go through /proc/self/fd/N
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    with faulty.client() as c:
        job = c.dub([frames_line("d1", "Hello there.", 0, 36)], out_dir="full", detached=True)
    assert job.state == pb.JOB_STATE_FAILED
    said = [job.error] + [f"{e.code}: {e.message}" for e in job.errors]
    full = [s for s in said if s.startswith("RESOURCE_EXHAUSTED") and "disk full" in s]
    assert full, said
    assert any(str(faulty.options.output_root.resolve() / "full") in s for s in full), said
    assert not any("internal error" in s for s in said)


def test_cancel_answers_within_a_second_while_a_line_synthesizes(faulty):
    faulty.gate.clear()
    faulty.started.clear()
    req = pb.SubmitJobRequest(lines=[frames_line("s1", "Say it slowly.", 0, 48), frames_line("s2", "Thanks.", 60, 90)],
                              output=pb.OutputSettings(output_dir="slow"), detached=True)
    try:
        with faulty.client() as c:
            job = c.submit_request(req).job
            assert faulty.started.wait(30)
            t0 = time.monotonic()
            cancelled = c.cancel(job.id)
            took = time.monotonic() - t0
            assert took < 1.0, f"CancelJob took {took:.2f} s"
            assert cancelled.state == pb.JOB_STATE_CANCELLED
            kinds = [e.WhichOneof("event") for e in c.events(job.id)]
            assert kinds.count("job_done") == 1 and kinds[-1] == "job_done"
            faulty.gate.set()  # the line in flight finishes in the background, kept for a resume
            time.sleep(0.5)
            assert c.job(job.id).state == pb.JOB_STATE_CANCELLED
            again = c.submit_request(req)
            assert again.resumed
            events = list(c.events(job.id))
    finally:
        faulty.gate.set()
    done = {e.line_done.result.line_id: e.line_done.reused for e in events if e.HasField("line_done")}
    assert events[-1].job_done.job.state == pb.JOB_STATE_DONE
    assert done == {"s1": True, "s2": False}


def test_dropping_the_last_watcher_and_resubmitting_at_once_keeps_the_job(faulty):
    """Issue 14's lost resubmit: the drop reaches the daemon after the resubmit."""
    faulty.gate.set()
    req = pb.SubmitJobRequest(lines=short_lines(6, "rs"), output=pb.OutputSettings(output_dir="resub"))
    with faulty.client() as c:
        job = c.submit_request(req).job
        with faulty.client(owner=c.owner) as first:  # the submitter's own watch
            for e in first.events(job.id):
                if e.HasField("line_done"):
                    break  # the stream is dropped here ...
        again = c.submit_request(req)  # ... and the same request sent again at once
        events = list(c.events(job.id))
        final = c.job(job.id)
    assert again.job.id == job.id
    assert events[-1].HasField("job_done")
    assert final.state == pb.JOB_STATE_DONE and final.done_lines == 6, pb.JobState.Name(final.state)


def test_cancel_of_a_queued_job_is_immediate_and_the_queue_skips_it(faulty):
    faulty.gate.clear()
    faulty.started.clear()
    try:
        with faulty.client() as c:
            first = c.submit([frames_line("q1", "Slowly now.", 0, 48)], out_dir="q1", detached=True)
            assert faulty.started.wait(30)
            queued = c.submit(short_lines(1, "qq"), out_dir="q2", detached=True)
            assert c.cancel(queued.id).state == pb.JOB_STATE_CANCELLED
            faulty.gate.set()
            assert c.wait(first.id).state == pb.JOB_STATE_DONE
            assert c.job(queued.id).done_lines == 0
    finally:
        faulty.gate.set()


def test_status_of_a_cancelled_rpc_is_not_internal(faulty):
    with faulty.client() as c:
        with pytest.raises(grpc.RpcError) as e:
            c.cancel("no-such-job")
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def _running(c, job_id: str, seconds: float = 0.5) -> bool:
    """Still queued or running after ``seconds`` (time for a cancel to land, had there been one)."""
    time.sleep(seconds)
    return c.job(job_id).state in (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING)


def test_dropping_someone_elses_watch_leaves_their_job_running(faulty):
    """Issue 14: a watcher cancels only jobs its owner submitted."""
    faulty.gate.clear()
    faulty.started.clear()
    lines = [frames_line("w1", "Slowly, if you please.", 0, 48), frames_line("w2", "Thanks.", 60, 90)]
    try:
        with faulty.client() as owner, faulty.client() as other:
            job = owner.submit(lines, out_dir="owned")  # not detached
            assert faulty.started.wait(30)
            for _ in other.events(job.id):
                break  # another owner's watch, dropped before the submitter ever watched
            assert _running(owner, job.id), pb.JobState.Name(owner.job(job.id).state)
            faulty.gate.set()
            events = list(owner.events(job.id))
    finally:
        faulty.gate.set()
    assert events[-1].job_done.job.state == pb.JOB_STATE_DONE


def test_the_submitters_own_watch_dropping_cancels_even_while_others_watch(faulty):
    faulty.gate.clear()
    faulty.started.clear()
    lines = [frames_line("x1", "Slowly, once more.", 0, 48), frames_line("x2", "Thanks.", 60, 90)]
    try:
        with faulty.client() as owner, faulty.client() as observer:
            job = owner.submit(lines, out_dir="owned2")
            assert faulty.started.wait(30)
            seen: list[pb.JobEvent] = []
            follow = threading.Thread(target=lambda: seen.extend(observer.events(job.id)))
            follow.start()  # an observer stays on to the end ...
            for _ in owner.events(job.id):
                break  # ... but the submitter going away ends the job
            follow.join(10)
            assert not follow.is_alive(), "the observer never got the job's end"
    finally:
        faulty.gate.set()
    assert seen[-1].job_done.job.state == pb.JOB_STATE_CANCELLED
    assert "submitter stopped watching" in seen[-1].job_done.job.error


def _bridge_submit(d, body: dict) -> dict:
    req = urllib.request.Request(f"{d.http}/dubline.v1.Dubline/SubmitJob", json.dumps(body).encode(),
                                 {"Content-Type": "application/json", "Authorization": f"Bearer {d.token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["job"]


async def _ws_first_event(d, job_id: str, owner: str) -> dict:
    url = f"{d.http}/dubline.v1.Dubline/WatchJob?jobId={job_id}&token={d.token}&owner={owner}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        return json.loads((await ws.receive(timeout=30)).data)  # then the socket closes


def _ndjson_first_event(d, job_id: str, owner: str) -> dict:
    req = urllib.request.Request(f"{d.http}/dubline.v1.Dubline/WatchJob",
                                 json.dumps({"jobId": job_id, "owner": owner}).encode(),
                                 {"Content-Type": "application/json", "Authorization": f"Bearer {d.token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.readline())


def test_bridge_owner_keys_on_ndjson_and_websocket(faulty):
    faulty.gate.clear()
    faulty.started.clear()
    body = {"lines": [{"id": "b1", "text": "Slowly through the bridge.", "range": {"frames": {
        "startFrame": 0, "endFrame": 48, "rate": {"num": 24, "den": 1}}}}],
        "output": {"outputDir": "bridge-owned"}, "owner": "panel-a"}
    try:
        job = _bridge_submit(faulty, body)
        assert faulty.started.wait(30)
        assert asyncio.run(_ws_first_event(faulty, job["id"], "panel-b"))["jobId"] == job["id"]
        assert _ndjson_first_event(faulty, job["id"], "panel-b")["jobId"] == job["id"]
        with faulty.client() as c:
            assert _running(c, job["id"]), "another owner's WebSocket or NDJSON watch cancelled the job"
            assert asyncio.run(_ws_first_event(faulty, job["id"], "panel-a"))["jobId"] == job["id"]
            deadline = time.monotonic() + 10
            while c.job(job["id"]).state != pb.JOB_STATE_CANCELLED and time.monotonic() < deadline:
                time.sleep(0.05)
            assert c.job(job["id"]).state == pb.JOB_STATE_CANCELLED  # the submitter's own socket went away
    finally:
        faulty.gate.set()
