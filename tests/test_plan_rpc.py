"""GetPlan over the real daemon: gRPC and the JSON gateway agree, frames and ticks are exact."""
import json
import urllib.error
import urllib.request

import grpc
import pytest

from dubline.bridge._proto import dubline_pb2 as pb
from dubline.bridge._proto import dubline_pb2_grpc as pb_grpc

from fakes.daemon import start_daemon


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = start_daemon(tmp_path_factory.mktemp("daemon"))
    yield d
    d.stop()


def post(d, method, body, token=None):
    req = urllib.request.Request(f"{d.bridge_url}/dubline.v1.Dubline/{method}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json",
                                  "Authorization": f"Bearer {token or d.token}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def frames(start, end, num=24000, den=1001, df=False):
    return {"frames": {"startFrame": start, "endFrame": end, "rate": {"num": num, "den": den, "dropFrame": df}}}


def run_job(d, lines, **extra):
    job = post(d, "SubmitJob", {"lines": lines, "detached": True, **extra})["job"]
    req = urllib.request.Request(f"{d.bridge_url}/dubline.v1.Dubline/WatchJob", json.dumps({"jobId": job["id"]}).encode(),
                                 {"Authorization": f"Bearer {d.token}"})
    with urllib.request.urlopen(req, timeout=300) as r:
        events = [json.loads(line) for line in r]
    assert "jobDone" in events[-1]
    return job["id"]


def test_plan_over_json_and_grpc(daemon):
    lines = [{"id": "1", "text": "Hello there.", "range": frames(24, 72)},
             {"id": "2", "text": "General Kenobi.", "range": frames(72, 130)}]
    job_id = run_job(daemon, lines)
    plan = post(daemon, "GetPlan", {"jobId": job_id, "rate": {"num": 24000, "den": 1001},
                                    "timelineStartFrame": 86400})
    ps = plan["placements"]
    assert [p["lineId"] for p in ps] == ["1", "2"]
    assert [(int(p["startFrame"]), int(p["endFrame"])) for p in ps] == [(24, 72), (72, 130)]
    assert [int(p["recordFrame"]) for p in ps] == [86424, 86472]
    assert [int(p["startTicks"]) for p in ps] == [24 * 10594584000, 72 * 10594584000]
    assert ps[0]["clipName"].startswith(plan["clipPrefix"]) and ps[0]["tag"] == "dubline:1"
    assert plan["tracks"] == [ps[0]["voice"]]
    assert int(plan["ticksPerSecond"]) == 254016000000

    channel = grpc.insecure_channel(f"127.0.0.1:{daemon.daemon.port}")
    stub = pb_grpc.DublineStub(channel)
    reply = stub.GetPlan(pb.GetPlanRequest(job_id=job_id, rate=pb.FrameRate(num=24000, den=1001),
                                           timeline_start_frame=86400),
                         metadata=(("authorization", f"Bearer {daemon.token}"),))
    assert [p.record_frame for p in reply.placements] == [86424, 86472]
    channel.close()


def test_plan_errors(daemon):
    with pytest.raises(urllib.error.HTTPError) as e:
        post(daemon, "GetPlan", {"jobId": "nope", "rate": {"num": 25, "den": 1}})
    assert e.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as e:
        post(daemon, "GetPlan", {"jobId": "nope", "rate": {"num": 25, "den": 1}}, token="wrong")
    assert e.value.code == 401


def test_python_client_plan(daemon):
    from dubline.bridge.client import Client

    lines = [{"id": "c1", "text": "Client side.", "range": frames(0, 50, 25, 1)}]
    job_id = run_job(daemon, lines)
    with Client(f"127.0.0.1:{daemon.daemon.port}", token=daemon.token) as c:
        plan = c.plan(job_id, pb.FrameRate(num=25, den=1), timeline_start_frame=90000, track_name="Dub")
    [p] = plan.placements
    assert (p.start_frame, p.end_frame, p.record_frame, p.track) == (0, 50, 90000, "Dub")
    assert p.end_ticks == 50 * 10160640000
