"""Daemon overheads and throughput on loopback; prints a table.

    python tests/bench/bench_daemon.py [--calls 500] [--lines 16]

1. Per-call overhead of a near-empty call (ListVoices) over gRPC and over the JSON bridge
   (HTTP/1.1 keep-alive, as a panel's fetch), p50/p99 in milliseconds.
2. Job throughput with 1, 4 and 16 concurrent clients sharing the same total of short lines:
   lines per second and real-time factor (wall seconds per second of dubbed audio). All jobs
   go through the one CPU queue, so the totals should stay flat while clients grow.
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from daemon_util import RunningDaemon, short_lines  # noqa: E402
from dubline.bridge._proto import dubline_pb2 as pb  # noqa: E402


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2] * 1000, s[min(len(s) - 1, int(len(s) * 0.99))] * 1000


def grpc_overhead(d: RunningDaemon, calls: int) -> list[float]:
    with d.client() as c:
        for _ in range(20):
            c.voices()
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            c.voices()
            times.append(time.perf_counter() - t0)
    return times


def bridge_overhead(d: RunningDaemon, calls: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", d.daemon.bridge_port)
    headers = {"Authorization": f"Bearer {d.token}", "Content-Type": "application/json"}
    times = []
    for i in range(calls + 20):
        t0 = time.perf_counter()
        conn.request("POST", "/dubline.v1.Dubline/ListVoices", b"{}", headers)
        r = conn.getresponse()
        json.loads(r.read())
        if i >= 20:
            times.append(time.perf_counter() - t0)
    conn.close()
    return times


def throughput(d: RunningDaemon, clients: int, total_lines: int, tag: str = "") -> dict:
    per = max(1, total_lines // clients)
    errors: list[Exception] = []
    audio = [0]

    def one(i: int) -> None:
        try:
            with d.client() as c:
                lines = short_lines(per, f"c{clients}-{i}-")
                job = c.dub(lines, out_dir=f"bench{tag}/{clients}/{i}", job_id=f"b{tag}{clients}x{i}")
                audio[0] += sum(r.end_sample - r.start_sample for r in job.results)
                assert job.state == pb.JOB_STATE_DONE and job.reused_lines == 0
        except Exception as e:
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    n = per * clients
    seconds = audio[0] / 48000
    return {"clients": clients, "lines": n, "wall_s": wall, "lines_per_s": n / wall, "rtf": wall / seconds}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--lines", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = RunningDaemon(Path(tmp))
        try:
            d.client().info()  # models loaded
            g = percentiles(grpc_overhead(d, args.calls))
            b = percentiles(bridge_overhead(d, args.calls))
            throughput(d, 1, 2, tag="warm")  # first calls pay onnxruntime's warm-up
            rows = [throughput(d, n, args.lines) for n in (1, 4, 16)]
        finally:
            d.stop()
    print(f"\nPer-call overhead, ListVoices on loopback ({args.calls} calls)")
    print(f"{'transport':<22}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'gRPC (python client)':<22}{g[0]:>10.3f}{g[1]:>10.3f}")
    print(f"{'JSON bridge (HTTP/1.1)':<22}{b[0]:>10.3f}{b[1]:>10.3f}")
    print(f"\nJob throughput, {args.lines} short lines in total (1.5 s slots), en-joe on CPU")
    print(f"{'clients':>8}{'lines':>7}{'wall s':>9}{'lines/s':>9}{'RTF':>8}")
    for r in rows:
        print(f"{r['clients']:>8}{r['lines']:>7}{r['wall_s']:>9.2f}{r['lines_per_s']:>9.2f}{r['rtf']:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
