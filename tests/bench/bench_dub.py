"""Dub the bundled samples and print a table: speed, exactness, how lines were fitted.

    python tests/bench/bench_dub.py [SRT ...]

Duration error is measured independently of the report: each stem file's length is compared
with the cue's sample range recomputed from the subtitle file.
"""
from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

from dubline.core.catalog import Catalog
from dubline.core.render import DubOptions, JobDone, dub
from dubline.core.srt import read_srt

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def bench(srt: Path, catalog: Catalog, sample_rate: int = 48000) -> dict:
    lines = read_srt(srt)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report = next(e.report for e in dub(lines, DubOptions(Path(out), sample_rate), catalog)
                      if isinstance(e, JobDone))
        wall = time.perf_counter() - t0
        by_id = {ln.id: ln for ln in lines}
        errors = [abs(sf.info(str(r.file)).frames - (lambda s: s[1] - s[0])(by_id[r.id].range.samples(sample_rate)))
                  for r in report.lines]
    audio = sum(r.end_sample - r.start_sample for r in report.lines) / sample_rate
    n = len(report.lines)
    share = lambda pred: 100.0 * sum(1 for r in report.lines if pred(r)) / n  # noqa: E731
    return {
        "file": srt.name, "lines": n, "audio_s": audio, "wall_s": wall, "rtf": wall / audio,
        "max_err": max(errors),
        "native": share(lambda r: r.method in ("native", "natural")),
        "stretched": share(lambda r: "stretch" in r.method),
        "flagged": share(lambda r: r.flag is not None),
    }


def main(paths: list[str]) -> None:
    srts = [Path(p) for p in paths] or sorted(SAMPLES.glob("*.srt"))
    catalog = Catalog()
    t0 = time.perf_counter()
    catalog.engine("piper")
    print(f"cold start (load engine): {time.perf_counter() - t0:.2f}s\n")
    rows = [bench(p, catalog) for p in srts]
    print("| file | lines | audio s | wall s | RTF | max abs err (samples) | native % | stretched % | flagged % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['file']} | {r['lines']} | {r['audio_s']:.1f} | {r['wall_s']:.2f} | {r['rtf']:.3f} | "
              f"{r['max_err']} | {r['native']:.0f} | {r['stretched']:.0f} | {r['flagged']:.0f} |")
    print(f"\npeak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
