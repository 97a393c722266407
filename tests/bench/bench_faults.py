"""Load and faults against a real `dubline serve`: nothing lost, nothing hangs; prints a table.

    python tests/bench/bench_faults.py [--clients 16] [--seconds 60] [--lines 4]

16 clients submit jobs of short lines for ``--seconds``; each job is, at random: watched to
the end; cancelled after its first line and resubmitted; or dropped (its non-detached
stream closed after a line) and resubmitted at once. Half way, the daemon is killed with
SIGKILL and restarted on the same ports; every client resubmits its job until it is DONE. A
sampler measures health and ListJobs latency throughout. Disk full: a small tmpfs is mounted
as the output root when the machine allows mounting (root in a privileged container);
otherwise the table says it was skipped.

Printed: jobs finished, lines lost (a DONE job's line without a stem whose sha256 matches:
must be 0), jobs that never ended (must be 0), p50/p99 latency of health, GetServerInfo and
ListJobs under load, RSS before/after.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from daemon_util import short_lines  # noqa: E402
from dubline.bridge import Client  # noqa: E402
from dubline.bridge._proto import dubline_pb2 as pb  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, out: Path):
        self.root, self.out = root, out
        self.port, self.bridge = free_port(), free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        ready = self.root / "ready"
        ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dubline.bridge.cli", "serve", "--port", str(self.port), "--bridge-port",
             str(self.bridge), "--output-root", str(self.out), "--state-dir", str(self.root / "state"),
             "--token-file", str(self.root / "token"), "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=open(self.root / "server.log", "a"))
        deadline = time.time() + 120
        while not (ready.exists() and ready.read_text().strip()):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("server did not start:\n" + (self.root / "server.log").read_text()[-3000:])
            time.sleep(0.05)
        with self.client() as c:  # wait for SERVING (models loaded)
            deadline = time.time() + 120
            while time.time() < deadline:
                try:
                    c.voices()
                    c.info()
                    return
                except grpc.RpcError:
                    time.sleep(0.2)

    def client(self) -> Client:
        return Client(f"127.0.0.1:{self.port}", token_file=self.root / "token")

    def rss_mb(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Load:
    def __init__(self, server: Server, lines: int, seconds: float):
        self.server, self.lines, self.until = server, lines, time.time() + seconds
        self.finished: dict[str, pb.Job] = {}
        self.unended: list[str] = []
        self.errors: list[str] = []
        self.counts = {"watched": 0, "cancelled": 0, "dropped": 0, "retries": 0}
        self.lock = threading.Lock()

    def client_loop(self, k: int) -> None:
        rng = random.Random(k)
        n = 0
        while time.time() < self.until:
            n += 1
            req = pb.SubmitJobRequest(lines=short_lines(self.lines, f"c{k}j{n}-"), job_id=f"c{k}-j{n}",
                                      output=pb.OutputSettings(output_dir=f"c{k}/j{n}"))
            mode = rng.choice(["watched", "cancelled", "dropped"])
            try:
                self.one_job(req, mode)
            except Exception as e:  # recorded; the job counts as unended unless it finished
                with self.lock:
                    self.errors.append(f"{req.job_id}: {type(e).__name__}: {e}")
                    self.unended.append(req.job_id)

    def one_job(self, req: pb.SubmitJobRequest, mode: str) -> None:
        deadline = time.time() + 600
        first = True
        while time.time() < deadline:
            try:
                with self.server.client() as c:
                    c.submit_request(req)
                    if first and mode != "watched":
                        for e in c.events(req.job_id):
                            if e.HasField("line_done") or e.HasField("job_done"):
                                break  # "dropped": the stream closes here (not detached: cancels)
                        if mode == "cancelled":
                            c.cancel(req.job_id)
                        first = False
                        with self.lock:
                            self.counts[mode] += 1
                        continue  # resubmit at once
                    for _ in c.events(req.job_id):
                        pass
                    job = c.job(req.job_id)
                    if job.state == pb.JOB_STATE_DONE:
                        with self.lock:
                            self.finished[req.job_id] = job
                            self.counts["watched"] += mode == "watched"
                        return
                    # cancelled by a dropped stream, or interrupted by the kill: resubmit
            except grpc.RpcError:
                pass  # the daemon is down (kill -9): retry until it is back
            with self.lock:
                self.counts["retries"] += 1
            time.sleep(0.2)
        with self.lock:
            self.unended.append(req.job_id)


def sample_latency(server: Server, stop: threading.Event, out: dict[str, list[float]]) -> None:
    """Health and two small calls (GetServerInfo, ListJobs), each timed on its own."""
    while not stop.is_set():
        try:
            channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
            health = health_pb2_grpc.HealthStub(channel)
            calls = {"health": lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=10)}
            with server.client() as c:
                calls.update(GetServerInfo=c.info, ListJobs=c.jobs)
                while not stop.is_set():
                    for name, call in calls.items():
                        t0 = time.perf_counter()
                        call()
                        out.setdefault(name, []).append(time.perf_counter() - t0)
                    time.sleep(0.05)
        except grpc.RpcError:
            time.sleep(0.2)  # down during the restart: not a latency sample


def percentiles(samples: list[float]) -> str:
    """'p50 / p99' in ms."""
    if not samples:
        return "no samples"
    lat = sorted(samples)
    p50, p99 = lat[len(lat) // 2] * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    return f"{p50:.1f} / {p99:.1f} ({len(lat)} samples)"


def lost_lines(jobs: dict[str, pb.Job], lines: int) -> int:
    lost = 0
    for job in jobs.values():
        lost += lines - len(job.results)
        for r in job.results:
            p = Path(r.file)
            if not p.is_file() or hashlib.sha256(p.read_bytes()).hexdigest() != r.sha256:
                lost += 1
    return lost


def try_tmpfs(path: Path) -> str:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        return f"skipped: cannot mount a tmpfs here ({(r.stderr or r.stdout).strip()[:80]})"
    return "mounted"


def disk_full(root: Path) -> str:
    """A job into a 2 MB tmpfs: it must end FAILED with RESOURCE_EXHAUSTED naming the path."""
    small = root / "small"
    status = try_tmpfs(small)
    if status != "mounted":
        return status
    try:
        server = Server(root / "full-state", small)
        (root / "full-state").mkdir(exist_ok=True)
        server.start()
        try:
            with server.client() as c:
                job = c.dub(short_lines(60, "full"), out_dir="full", detached=True)
        finally:
            server.stop()
        ok = job.state == pb.JOB_STATE_FAILED and "RESOURCE_EXHAUSTED" in (job.error + str(list(job.errors)))
        return f"{'ok' if ok else 'WRONG'}: {pb.JobState.Name(job.state)} {job.error[:90]}"
    finally:
        subprocess.run(["umount", str(small)], capture_output=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--lines", type=int, default=4)
    ap.add_argument("--no-kill", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dubline-faults-") as tmp:
        root = Path(tmp)
        server = Server(root, root / "out")
        server.start()
        rss_before = server.rss_mb()
        load = Load(server, args.lines, args.seconds)
        stop, latencies = threading.Event(), {}
        sampler = threading.Thread(target=sample_latency, args=(server, stop, latencies), daemon=True)
        sampler.start()
        clients = [threading.Thread(target=load.client_loop, args=(k,), daemon=True) for k in range(args.clients)]
        t0 = time.time()
        for t in clients:
            t.start()
        kills = 0
        rss_at_kill = float("nan")
        if not args.no_kill:
            time.sleep(args.seconds / 2)
            rss_at_kill = server.rss_mb()
            server.kill9()
            kills += 1
            server.start()
        for t in clients:
            t.join(900)
        stop.set()
        wall = time.time() - t0
        hung = sum(t.is_alive() for t in clients)
        rss_after = server.rss_mb()
        server.stop()
        full = disk_full(root)
        lost = lost_lines(load.finished, args.lines)
        rows = [
            ("clients", args.clients), ("wall seconds", f"{wall:.0f}"), ("kill -9 + restart", kills),
            # latencies mean little on a machine busy with other work: say how busy it was
            ("cores / load average (1 min) at the end", f"{os.cpu_count()} / {os.getloadavg()[0]:.1f}"),
            ("jobs finished (DONE)", len(load.finished)), ("lines in them", len(load.finished) * args.lines),
            ("jobs cancelled then resubmitted", load.counts["cancelled"]),
            ("jobs dropped then resubmitted", load.counts["dropped"]), ("client retries", load.counts["retries"]),
            ("lines lost (must be 0)", lost), ("jobs that never ended (must be 0)", len(load.unended) + hung),
            *((f"{name} p50 / p99 ms under load", percentiles(samples)) for name, samples in latencies.items()),
            ("RSS before MB (models loaded, idle)", f"{rss_before:.0f}"),
            *((("RSS MB of that daemon at the kill (half way)", f"{rss_at_kill:.0f}"),) if kills else ()),
            ("RSS after MB (restarted daemon)" if kills else "RSS after MB", f"{rss_after:.0f}"),
            ("disk full (2 MB tmpfs)", full),
        ]
        width = max(len(k) for k, _ in rows)
        print("| measure | value |\n| --- | --- |")
        for k, v in rows:
            print(f"| {k:<{width}} | {v} |")
        for e in load.errors[:10]:
            print("error:", e, file=sys.stderr)
        return 0 if lost == 0 and not load.unended and not hung else 1


if __name__ == "__main__":
    sys.exit(main())
