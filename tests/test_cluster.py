"""A job fanned out over a real local Ray cluster (two CPU workers on the embedded voices)
gives the local run's audio to the sample, survives a killed worker, and shares the cache."""
import json
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("ray")

from dubline.core.catalog import Catalog  # noqa: E402
from dubline.core.cluster import ClusterFitter, ClusterOptions, _next_batch  # noqa: E402
from dubline.core.engines.base import SynthesisControls, Voice  # noqa: E402
from dubline.core.fit import FitPolicy, FitTask  # noqa: E402
from dubline.core.render import DubOptions, LineDone, dub  # noqa: E402
from dubline.core.srt import read_srt  # noqa: E402

ENV = {**os.environ, "RAY_DISABLE_USAGE_STATS": "1"}


def dubline(*args, env=ENV):
    return subprocess.run([sys.executable, "-m", "dubline.bridge.cli", "-q", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def pcm(path: Path) -> np.ndarray:
    return sf.read(str(path), dtype="int32")[0]


def same_dub(a: Path, b: Path) -> None:
    """Same samples in every stem and the track, same report apart from paths and times."""
    ra, rb = (json.loads((d / "report.json").read_text()) for d in (a, b))
    assert len(ra["lines"]) == len(rb["lines"])
    for la, lb in zip(ra["lines"], rb["lines"]):
        assert np.array_equal(pcm(Path(la["file"])), pcm(Path(lb["file"]))), la["id"]
        # (sha256 covers the Broadcast WAV header, whose origination time differs)
        for key in ("id", "start_sample", "end_sample", "method", "factor", "natural_seconds", "voice"):
            assert la[key] == lb[key], (la["id"], key)
    assert np.array_equal(pcm(a / "track.wav"), pcm(b / "track.wav"))


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, samples):
    out = tmp_path_factory.mktemp("local")
    # The reference is a run without a cache: what the cluster run must reproduce.
    r = dubline("srt", samples / "episode_en.srt", "-o", out, "--no-cache")
    assert r.returncode == 0, r.stderr
    return out


def test_cluster_run_is_the_local_run_to_the_sample_and_reuses_the_cache(tmp_path, samples, local_run):
    cache = tmp_path / "cache"
    r = dubline("srt", samples / "episode_en.srt", "-o", tmp_path / "a", "--cluster", "local:2",
                "--cache-dir", cache)
    assert r.returncode == 0, r.stderr
    same_dub(tmp_path / "a", local_run)
    assert "Traceback" not in r.stderr

    # A second cut with one line edited: only that line reaches a worker; the rest come
    # from the coordinator's cache, as they would locally.
    edited = tmp_path / "edited.srt"
    text = (samples / "episode_en.srt").read_text(encoding="utf-8")
    first_cue_text = text.split("\n")[2]
    edited.write_text(text.replace(first_cue_text, "Something else entirely.", 1), encoding="utf-8")
    r = dubline("srt", edited, "-o", tmp_path / "b", "--cluster", "local:2", "--cache-dir", cache)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["cache"]["fitted_hits"] == len(report["lines"]) - 1


def test_without_ray_the_cluster_option_names_the_install(tmp_path, samples):
    blocker = tmp_path / "noray"
    (blocker / "ray").mkdir(parents=True)
    (blocker / "ray" / "__init__.py").write_text("raise ImportError('No module named ray')\n")
    env = {**ENV, "PYTHONPATH": str(blocker)}
    r = dubline("srt", samples / "episode_en.srt", "-o", tmp_path / "out", "--cluster", "auto", env=env)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "dubline: error: --cluster needs Ray, which is not installed: pip install 'dubline[cluster]'"]
    assert not (tmp_path / "out").exists()


def _task(index: int, voice: str) -> FitTask:
    return FitTask(index, "x", Voice(voice, "piper", "en"), SynthesisControls(), 100, 48000, FitPolicy(), 0)


def test_a_worker_keeps_its_voice_while_that_voice_has_lines():
    pending = deque([_task(0, "a"), _task(1, "b"), _task(2, "a"), _task(3, "b")])
    assert [t.index for t in _next_batch(pending, "b", 2)] == [1, 3]
    assert [t.index for t in _next_batch(pending, "b", 2)] == [0, 2]  # none of b left: earliest
    assert not pending


def test_serve_fans_jobs_out_and_streams_the_same_events(tmp_path):
    """A real `dubline serve --cluster local:2`, driven by the Python client: the job's
    events and stems are those of a daemon without a cluster."""
    from daemon_util import short_lines
    from test_daemon_restart import start_server

    from dubline.bridge import Client
    from dubline.bridge._proto import dubline_pb2 as pb

    runs = {}
    for name, extra in (("local", []), ("cluster", ["--cluster", "local:2"])):
        proc, address = start_server(tmp_path / name, extra)
        try:
            with Client(address, token_file=tmp_path / name / "token") as c:
                job = c.submit(short_lines(4, "c"), out_dir="ep", sample_rate=48000)
                events = list(c.events(job.id))
        finally:
            proc.kill()
            proc.wait(10)
        runs[name] = events
    kinds = {name: [e.WhichOneof("event") for e in events] for name, events in runs.items()}
    assert kinds["cluster"] == kinds["local"] == ["queued"] + ["line_started", "line_done"] * 4 + ["job_done"]
    assert runs["cluster"][-1].job_done.job.state == pb.JOB_STATE_DONE
    for a, b in zip(*(
            [e.line_done.result for e in events if e.HasField("line_done")] for events in runs.values())):
        assert (a.start_sample, a.end_sample) == (b.start_sample, b.end_sample)
        assert np.array_equal(pcm(Path(a.file)), pcm(Path(b.file)))


def test_batch_runs_every_job_with_one_summary(tmp_path, samples, local_run):
    jobs = tmp_path / "jobs.toml"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ep01.srt").write_bytes((samples / "episode_en.srt").read_bytes())
    (tmp_path / "in" / "ep02.srt").write_bytes((samples / "episode_en.srt").read_bytes())
    jobs.write_text('[defaults]\nvoice = "en-joe"\n\n'
                    '[[job]]\ninput = "in/ep01.srt"\nout = "out/ep01"\n\n'
                    '[[job]]\ninput = "in/ep02.srt"\nout = "out/ep02"\n', encoding="utf-8")
    r = dubline("batch", jobs, "--cluster", "local:2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "2 jobs, 16 lines, failed 0"
    for ep in ("ep01", "ep02"):
        same_dub(tmp_path / "out" / ep, local_run)


def test_batch_names_a_bad_jobs_file(tmp_path):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\ninput = "a.srt"\n', encoding="utf-8")
    r = dubline("batch", jobs)
    assert r.returncode == 1
    assert r.stderr.strip() == f"dubline: error: {jobs}: job 1 needs input = ... and out = ..."


# In-process tests last: a second local cluster (the daemon's, in the tests above) must not
# start while this process still holds one.
@pytest.fixture(scope="module")
def ray_session():
    """One private two-CPU cluster for the in-process tests (a ClusterFitter joins it)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_killed_worker_loses_nothing(tmp_path, samples, local_run, ray_session):
    lines = read_srt(samples / "episode_en.srt")
    with ClusterFitter(ClusterOptions("local:2", actors=2, in_flight=1), Catalog) as fitter:
        options = DubOptions(out_dir=tmp_path / "out", fitter=fitter)
        done = 0
        for event in dub(lines, options, Catalog()):
            if isinstance(event, LineDone):
                done += 1
                if done == 1:
                    fitter.kill_worker(0)  # mid-job: lines are queued on both workers
        assert fitter.workers == 1
    assert done == len(lines)
    same_dub(tmp_path / "out", local_run)


def test_every_worker_gone_is_a_clear_error(tmp_path, samples, ray_session):
    from dubline.core.errors import ClusterError

    lines = read_srt(samples / "episode_en.srt")
    with ClusterFitter(ClusterOptions("local:1", actors=1, in_flight=1), Catalog) as fitter:
        fitter.kill_worker(0)
        with pytest.raises(ClusterError, match="every cluster worker is gone"):
            for _ in dub(lines, DubOptions(out_dir=tmp_path / "out", fitter=fitter), Catalog()):
                pass
    assert not (tmp_path / "out" / "report.json").exists()
