"""Outputs through the user's doors: confined to the output root, switched in whole per run,
unique stems, umask-honouring, unchanged files left alone.

The CLI cases run the installed ``dubline`` console script; the daemon cases a real daemon on
loopback through the client.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from daemon_util import RunningDaemon, frames_line, short_lines
from dubline.bridge._proto import dubline_pb2 as pb

TWO = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:03,000 --> 00:00:04,500\nGood morning.\n"


def dubline(*args: str, umask: int | None = None, **popen) -> subprocess.Popen:
    """The installed console script (falls back to the module beside this interpreter)."""
    exe = Path(sys.executable).parent / "dubline"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dubline.bridge.cli"]
    if umask is not None:  # through sh: no preexec_fn in a process with gRPC threads
        cmd = ["sh", "-c", f'umask {umask:03o}; exec "$@"', "sh", *cmd]
    return subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run(*args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    """The console script's ``main`` in this process (no interpreter start-up per run)."""
    from dubline.bridge.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.umask(umask) if umask is not None else None
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["-q", *args])
    finally:
        if old is not None:
            os.umask(old)
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def srt(tmp: Path, n: int, word: str = "Hello there") -> Path:
    path = tmp / f"{word.replace(' ', '_')}{n}.srt"
    path.write_text("".join(f"{i + 1}\n00:00:{2 * i + 1:02d},000 --> 00:00:{2 * i + 2:02d},500\n{word} {i + 1}.\n\n"
                            for i in range(n)))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_complete(out: Path) -> dict:
    """report.json exists and every file it lists has exactly the bytes it says."""
    report = json.loads((out / "report.json").read_text())
    for line in report["lines"]:
        assert sha(line["file"]) == line["sha256"], line["id"]
        assert Path(line["file"]).parent == (out / "lines").resolve()
    assert Path(report["track"]) == (out / "track.wav").resolve() and (out / "track.wav").is_file()
    assert not list(out.rglob("*.part*")) and not (out / ".dubline-staging").exists()
    return report


# -- confinement ------------------------------------------------------------------------------

def test_cli_refuses_a_symlink_below_the_output_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "lines").symlink_to(elsewhere)
    r = run("srt", str(srt(tmp_path, 2)), "-o", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    [msg] = r.stderr.strip().splitlines()
    assert f"{out / 'lines'} is a symlink" in msg and "output root" in msg
    assert not list(elsewhere.iterdir())
    assert sorted(p.name for p in out.iterdir()) == ["lines"]


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = RunningDaemon(tmp_path_factory.mktemp("daemon14o"))
    yield d
    d.stop()


def test_daemon_job_refuses_a_planted_symlink(daemon, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    plant = daemon.root / "out" / "plant"
    plant.mkdir(parents=True)
    (plant / "lines").symlink_to(elsewhere)
    with daemon.client() as c:
        job = c.dub(short_lines(2, "p"), out_dir="plant")
    assert job.state == pb.JOB_STATE_FAILED
    assert f"{plant / 'lines'} is a symlink" in job.error and not job.track_file
    assert not list(elsewhere.iterdir()) and sorted(p.name for p in plant.iterdir()) == ["lines"]


def test_daemon_symlink_made_while_the_job_waits_in_the_queue(daemon, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with daemon.client() as c:
        first = c.submit(short_lines(6, "q"), out_dir="ahead")
        queued = c.submit(short_lines(2, "r"), out_dir="race")
        (daemon.root / "out" / "race").symlink_to(elsewhere)
        # The point of the test: the link appeared after submit, before the job ran.
        assert c.job(queued.id).state == pb.JOB_STATE_QUEUED
        job = c.wait(queued.id)
        assert c.wait(first.id).state == pb.JOB_STATE_DONE
    assert job.state == pb.JOB_STATE_FAILED and "race is a symlink" in job.error
    assert not list(elsewhere.iterdir())


def test_two_line_ids_never_share_a_stem(daemon):
    lines = [frames_line("a_b_3", "First one.", 0, 36), frames_line("a b", "Second one.", 48, 84),
             frames_line("a/b", "Third one.", 96, 132), frames_line("A_B", "Fourth one.", 144, 180)]
    with daemon.client() as c:
        job = c.dub(lines, out_dir="ids")
        results = c.job(job.id).results
    assert job.state == pb.JOB_STATE_DONE
    files = [Path(r.file) for r in results]
    assert len({f.name.casefold() for f in files}) == 4
    report = assert_complete(daemon.root / "out" / "ids")
    assert sorted(ln["id"] for ln in report["lines"]) == sorted(ln.id for ln in lines)
    for r in results:
        assert sha(r.file) == r.sha256


# -- transactional runs -----------------------------------------------------------------------

def _wait_for_staged_stem(proc: subprocess.Popen, out: Path, timeout: float = 120) -> None:
    staged = out / ".dubline-staging" / "lines"
    deadline = time.time() + timeout
    while not (staged.is_dir() and any(staged.glob("*.wav"))):
        if proc.poll() is not None:
            pytest.fail(f"the run ended before it could be interrupted: {proc.stderr.read()}")
        assert time.time() < deadline, "no stem was staged in time"
        time.sleep(0.02)


def test_interrupted_reruns_keep_the_previous_run_whole(tmp_path):
    out = tmp_path / "out"
    path = srt(tmp_path, 2)
    first = run("srt", str(path), "-o", str(out), "--no-cache", umask=0o027)  # same report.json twice
    assert first.returncode == 0, first.stderr
    before = assert_complete(out)
    files = [out / "report.json", out / "track.wav", *(out / "lines").iterdir()]
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {"0o640"}  # the umask, not 0600
    stamp = {p.name: (sha(p), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}

    for how in (signal.SIGINT, signal.SIGKILL):
        (out / "lines" / ".1.wav.abcd1234.part").write_bytes(b"left by a killed write")
        proc = dubline("srt", str(srt(tmp_path, 8, "Something else")), "-o", str(out))
        _wait_for_staged_stem(proc, out)
        proc.send_signal(how)
        proc.communicate(timeout=60)
        assert proc.returncode == (130 if how == signal.SIGINT else -9)
        # Exactly the previous run, byte for byte and untouched (the stale .part is gone).
        assert {p.name: (sha(p), p.stat().st_mtime_ns) for p in out.rglob("*")
                if p.is_file() and ".dubline-staging" not in p.parts} == stamp
        assert json.loads((out / "report.json").read_text()) == before
    assert (out / ".dubline-staging" / "lines").is_dir()  # what kill -9 left: the next run's to clean

    # The same input again: the staged leftovers do not leak in, and no file is rewritten
    # (bytes and mtime kept, though the Broadcast WAV origination time differs now).
    again = run("srt", str(path), "-o", str(out), "--no-cache")
    assert again.returncode == 0, again.stderr
    assert assert_complete(out) == before
    assert {p.name: (sha(p), p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()} == stamp


def test_killed_switch_is_finished_by_the_next_run(tmp_path, monkeypatch):
    """A run killed between its journal and its last rename: the next run completes it."""
    from dubline.core import outputs

    out = tmp_path / "out"
    assert run("srt", str(srt(tmp_path, 2)), "-o", str(out)).returncode == 0
    old = assert_complete(out)
    # Stage a second run by hand and die after the first rename of its switch.
    run_ = outputs.OutputRun(out).begin()
    for name in ("1.wav", "2.wav"):
        with run_.write(out / "lines" / name) as tmp:
            tmp.write_bytes(b"new " + name.encode())
    report = dict(old, lines=[dict(ln, file=str((out / "lines" / ln["id"]).with_suffix(".wav").resolve()),
                                   sha256=hashlib.sha256(b"new " + f"{ln['id']}.wav".encode()).hexdigest())
                              for ln in old["lines"]])
    with run_.write(out / "track.wav") as tmp:
        shutil.copyfile(out / "track.wav", tmp)
    with run_.write(out / "report.json") as tmp:
        tmp.write_text(json.dumps(report))
    moved = []
    real_move = outputs.OutputRun._move

    def dying_move(self, stage_fd, out_fd, rel):
        if moved:
            raise KeyboardInterrupt  # stands in for kill -9 in the middle of the switch
        moved.append(rel)
        real_move(self, stage_fd, out_fd, rel)

    monkeypatch.setattr(outputs.OutputRun, "_move", dying_move)
    with pytest.raises(KeyboardInterrupt):
        run_.commit([out / "lines" / "1.wav", out / "lines" / "2.wav", out / "track.wav", out / "report.json"])
    monkeypatch.undo()
    run_._unlock()  # the process is gone: so is its lock
    assert not (out / "report.json").exists()  # mid-switch: no report lists half-switched files
    # The next run finishes that switch first: so it knows lines/2.wav belonged to a run (the
    # replayed report lists it) and removes it as a stem its own run no longer has.
    r = run("srt", str(srt(tmp_path, 1, "Something else")), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert [ln["id"] for ln in assert_complete(out)["lines"]] == ["1"]
    assert sorted(p.name for p in (out / "lines").iterdir()) == ["1.wav"]


def test_timeline_and_delivery_writes_follow_no_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    precious = elsewhere / "precious.otio"
    precious.write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / "dub.otio").symlink_to(precious)  # a link as the file itself: replaced, not written through
    (out / "delivery").symlink_to(elsewhere)  # a link as a folder: refused
    args = ("srt", str(srt(tmp_path, 1)), "-o", str(out), "--fps", "25", "--timeline", "otio", "--deliver", "flac")
    r = run(*args)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{out / 'delivery'} is a symlink" in r.stderr.strip().splitlines()[-1]
    assert precious.read_text() == "mine" and sorted(p.name for p in elsewhere.iterdir()) == ["precious.otio"]
    # The run is refused whole (its exports are part of it): nothing switched in, nothing written through.
    assert (out / "dub.otio").is_symlink() and not (out / "report.json").exists()
    (out / "delivery").unlink()
    assert run(*args).returncode == 0
    assert (out / "dub.otio").is_file() and not (out / "dub.otio").is_symlink()
    assert precious.read_text() == "mine"
    assert_complete(out)


def _exports(out: Path, report: dict) -> set[str]:
    """The report's exports relative to ``out``, each checked against its sha256."""
    for e in report.get("exports", []):
        assert sha(e["file"]) == e["sha256"], e["file"]
    return {Path(e["file"]).relative_to(out.resolve()).as_posix() for e in report.get("exports", [])}


def _snapshot(out: Path) -> dict:
    return {p.relative_to(out).as_posix(): (sha(p), p.stat().st_mtime_ns) for p in out.rglob("*")
            if p.is_file() and ".dubline-staging" not in p.parts}


def test_timeline_and_delivery_files_switch_in_with_the_run(tmp_path, monkeypatch):
    """Issue 14: the exports are part of the run's transaction, listed in report.json."""
    from dubline.core import deliver

    out = tmp_path / "out"
    exports = ("--fps", "25", "--timeline", "otio,edl", "--deliver", "flac", "--no-cache")
    first = run("srt", str(srt(tmp_path, 2)), "-o", str(out), *exports)
    assert first.returncode == 0, first.stderr
    before = assert_complete(out)
    assert _exports(out, before) == {"dub.otio", "dub.edl", "delivery/dialogue.wav", "delivery/dialogue.flac"}
    stamp = _snapshot(out)
    assert set(stamp) == {"report.json", "track.wav", "lines/1.wav", "lines/2.wav", *_exports(out, before)}

    def interrupted(*args, **kw):  # Ctrl-C while the re-run encodes its delivery files
        raise KeyboardInterrupt

    monkeypatch.setattr(deliver, "_encode", interrupted)
    other = srt(tmp_path, 3, "Something else")
    r = run("srt", str(other), "-o", str(out), *exports)
    assert r.returncode == 130, r.stderr
    # The new stems, track, timelines and dialogue.wav were made; none of them landed.
    assert _snapshot(out) == stamp and json.loads((out / "report.json").read_text()) == before
    monkeypatch.undo()

    # A finished re-run without --deliver: its report lists its timelines, and the delivery
    # files the previous report listed are gone with the rest of that run.
    r = run("srt", str(other), "-o", str(out), "--fps", "25", "--timeline", "otio", "--no-cache")
    assert r.returncode == 0, r.stderr
    after = assert_complete(out)
    assert _exports(out, after) == {"dub.otio"} and len(after["lines"]) == 3
    assert not (out / "dub.edl").exists() and not list((out / "delivery").iterdir())
    assert str((out / "lines" / "3.wav").resolve()) in (out / "dub.otio").read_text()


def test_voice_store_writes_replace_links_instead_of_following_them(tmp_path, samples):
    import numpy as np
    import soundfile as sf

    store = tmp_path / "data" / "voices"
    store.mkdir(parents=True)
    target = tmp_path / "elsewhere.toml"
    target.write_text("# not Dubline's\n")
    (store / "voices.toml").symlink_to(target)
    clip = tmp_path / "ref.wav"
    t = np.arange(48000 * 6) / 48000
    sf.write(clip, (0.2 * np.sin(2 * np.pi * 180 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype("float32"), 48000)
    p = dubline("voices", "add", "narrator", str(clip), "--force", env={**os.environ, "DUBLINE_DATA_DIR": str(tmp_path / "data")})
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert target.read_text() == "# not Dubline's\n"
    assert not (store / "voices.toml").is_symlink() and "[narrator]" in (store / "voices.toml").read_text()


def _tiny_disk_cmd(mount: Path, size: str, *args: str) -> list[str] | None:
    """``dubline args`` in a private mount namespace with a ``size`` tmpfs at ``mount``, or None
    where this machine allows no such namespace."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run([unshare, "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {mount}"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    exe = Path(sys.executable).parent / "dubline"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dubline.bridge.cli"]
    return [unshare, "-rm", "sh", "-c", f'mount -t tmpfs -o size={size} tmpfs "$0" && exec "$@"', str(mount),
            *cmd, *args]


@pytest.mark.parametrize("size, full", [("4k", "lines/1.wav"), ("700k", "track.wav")])
def test_disk_full_is_one_line_naming_the_file(tmp_path, size, full):
    out = tmp_path / "out"
    out.mkdir()
    cmd = _tiny_disk_cmd(out, size, "srt", str(srt(tmp_path, 4)), "-o", str(out / "dub"))
    if cmd is None:
        pytest.skip("no unprivileged mount namespace here to fill a small tmpfs")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    [msg] = r.stderr.strip().splitlines()
    assert msg.startswith(f"dubline: error: {out / 'dub' / full}: disk full"), msg

