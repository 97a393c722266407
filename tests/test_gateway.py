"""The JSON bridge end to end: stdlib urllib (as the Resolve script), WebSocket (as the UXP panel)."""
from __future__ import annotations

import asyncio
import base64
import io
import json
import urllib.error
import urllib.request

import aiohttp
import pytest
import soundfile as sf
from daemon_util import RunningDaemon


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = RunningDaemon(tmp_path_factory.mktemp("gw"), max_message_bytes=1024 * 1024)
    yield d
    d.stop()


def call(d, method, body, token=True, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {d.token if token is True else token}"
    req = urllib.request.Request(f"{d.http}/dubline.v1.Dubline/{method}", json.dumps(body).encode(), h)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def line(i, text="Hello there.", **kw):
    return {"id": f"g{i}", "text": text, "range": {"frames": {"startFrame": 48 * i, "endFrame": 48 * i + 36,
                                                              "rate": {"num": 24000, "den": 1001}}}, **kw}


def test_submit_and_ndjson_events_with_stdlib_only(daemon):
    status, reply = call(daemon, "SubmitJob", {"lines": [line(0), line(1)], "output": {"outputDir": "gw"}})
    assert status == 200 and reply["job"]["state"] == "JOB_STATE_QUEUED" and reply["job"]["totalLines"] == 2
    job_id = reply["job"]["id"]
    req = urllib.request.Request(f"{daemon.http}/dubline.v1.Dubline/WatchJob", json.dumps({"jobId": job_id}).encode(),
                                 {"Authorization": f"Bearer {daemon.token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.headers["Content-Type"].startswith("application/x-ndjson")
        events = [json.loads(raw) for raw in r]
    kinds = [next(k for k in ("queued", "lineStarted", "lineDone", "jobDone") if k in e) for e in events]
    assert kinds == ["queued", "lineStarted", "lineDone", "lineStarted", "lineDone", "jobDone"]
    second = events[4]["lineDone"]["result"]
    # int64 as strings (protobuf JSON mapping); exact samples: frame 48 at 23.976 = 96096
    assert second["startSample"] == "96096" and second["endSample"] == str(96096 + 72072)
    assert sf.info(second["file"]).frames == 72072
    assert events[-1]["jobDone"]["job"]["state"] == "JOB_STATE_DONE"
    status, job = call(daemon, "GetJob", {"jobId": job_id})
    assert status == 200 and [r["lineId"] for r in job["results"]] == ["g0", "g1"]


def test_websocket_events_as_the_uxp_panel(daemon):
    status, reply = call(daemon, "SubmitJob", {"lines": [line(0, "Good morning.")], "output": {"outputDir": "ws"}},
                         headers={"Origin": "uxp://com.dubline.panel"})
    assert status == 200
    job_id = reply["job"]["id"]

    async def watch():
        async with aiohttp.ClientSession() as s:
            url = f"{daemon.http.replace('http', 'ws')}/dubline.v1.Dubline/WatchJob?jobId={job_id}&token={daemon.token}"
            async with s.ws_connect(url, headers={"Origin": "uxp://com.dubline.panel"}) as ws:
                got = [json.loads(m.data) async for m in ws]
                return got, ws.close_code

    events, close_code = asyncio.run(watch())
    assert close_code == 1000
    assert "queued" in events[0] and "jobDone" in events[-1]
    done = [e["lineDone"]["result"] for e in events if "lineDone" in e]
    assert len(done) == 1 and int(done[0]["endSample"]) - int(done[0]["startSample"]) == 72072

    async def unknown():
        async with aiohttp.ClientSession() as s:
            url = f"{daemon.http.replace('http', 'ws')}/dubline.v1.Dubline/WatchJob?jobId=nope&token={daemon.token}"
            async with s.ws_connect(url) as ws:
                await ws.receive()
                return ws.close_code

    assert asyncio.run(unknown()) == 4404


def test_synthesize_json_carries_base64_wav(daemon):
    status, reply = call(daemon, "Synthesize", {"text": "Okay.", "target": {"samples": "24000"}})
    assert status == 200 and reply["samples"] == "24000"
    audio, sr = sf.read(io.BytesIO(base64.b64decode(reply["wav"])))
    assert len(audio) == 24000 and sr == 48000


def test_bridge_errors_map_to_http_status(daemon):
    assert call(daemon, "ListJobs", {}, token=False)[0] == 401
    assert call(daemon, "ListJobs", {}, token="wrong")[0] == 401
    status, err = call(daemon, "SubmitJob", {"lines": [line(0, "")]})
    assert status == 400 and err["code"] == "invalid_argument" and "empty" in err["message"]
    status, err = call(daemon, "SubmitJob", {"lines": [line(0, voice="ghost")]})
    assert status == 404 and "ghost" in err["message"]
    status, err = call(daemon, "SubmitJob", {"lines": [line(0)], "output": {"outputDir": "../../x"}})
    assert status == 403 and err["code"] == "permission_denied"
    status, err = call(daemon, "SubmitJob", {"lines": [line(0)], "bogusField": 1})
    assert status == 400
    assert call(daemon, "NoSuchMethod", {})[0] == 404


def test_origin_is_checked_for_browser_like_clients(daemon):
    assert call(daemon, "ListVoices", {}, headers={"Origin": "https://evil.example"})[0] == 403
    assert call(daemon, "ListVoices", {}, headers={"Origin": "null"})[0] == 403  # any sandboxed page sends it
    for ok in ("http://localhost:3000", "http://127.0.0.1", "uxp://com.dubline.panel"):
        status, reply = call(daemon, "ListVoices", {}, headers={"Origin": ok})
        assert status == 200 and "en-joe" in [v["name"] for v in reply["voices"]], ok
    # DNS rebinding: a loopback listener answers only loopback Host names
    assert call(daemon, "ListVoices", {}, headers={"Host": "attacker.example"})[0] == 403


def test_oversized_body_is_resource_exhausted(daemon):
    status, err = call(daemon, "Synthesize", {"text": "x" * (2 * 1024 * 1024)})
    assert status == 413 and err["code"] == "resource_exhausted" and "limit" in err["message"]


def test_websocket_disconnect_cancels_an_attached_job(daemon):
    lines = [line(i, "Come with me.") for i in range(10)]
    status, reply = call(daemon, "SubmitJob", {"lines": lines, "output": {"outputDir": "wsdc"}})
    job_id = reply["job"]["id"]

    async def watch_one_line_then_leave():
        async with aiohttp.ClientSession() as s:
            url = f"{daemon.http.replace('http', 'ws')}/dubline.v1.Dubline/WatchJob?jobId={job_id}&token={daemon.token}"
            async with s.ws_connect(url) as ws:
                async for m in ws:
                    if "lineDone" in json.loads(m.data):
                        break

    asyncio.run(watch_one_line_then_leave())
    import time

    deadline = time.time() + 30
    while time.time() < deadline:
        job = call(daemon, "GetJob", {"jobId": job_id})[1]
        if job["state"] not in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING"):
            break
        time.sleep(0.05)
    assert job["state"] == "JOB_STATE_CANCELLED" and job["doneLines"] < 10
