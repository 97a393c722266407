"""``python -m tests.bench``: measure fit, intelligibility, voice similarity and speed.

Needs the bench extra for the measuring models (see README, "How good is it"); parts whose
models are missing are reported as not measured.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .harness import BenchOptions, run


def parse(argv: list[str]) -> BenchOptions:
    ap = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=Path("bench-results"), help="results directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--smoke", action="store_true",
                    help="a handful of lines, tiny.en only, no resemblyzer (what CI runs)")
    ap.add_argument("--asr", default=None, help="comma-separated Whisper models (tiny.en,base)")
    ap.add_argument("--no-similarity", action="store_true")
    a = ap.parse_args(argv)
    opts = BenchOptions(out_dir=a.out, seed=a.seed)
    if a.smoke:
        opts = smoke_options(a.out, a.seed)
    if a.asr:
        opts = BenchOptions(**{**opts.__dict__, "asr_models": tuple(a.asr.split(","))})
    if a.no_similarity:
        opts = BenchOptions(**{**opts.__dict__, "similarity": False})
    return opts


def smoke_options(out: Path, seed: int = 0) -> BenchOptions:
    return BenchOptions(out_dir=out, seed=seed, samples=("episode_en.srt",), sample_limit=3, stress_per_kind=1, sweep_sentences=1,
                        asr_models=("tiny.en",), similarity=False, languages=("en",), speed_lines=2,
                        factors=(0.75, 1.0, 1.3), corpus_first=1, corpus_limit=4)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # one line per clip otherwise
    opts = parse(sys.argv[1:] if argv is None else argv)
    files = run(opts)
    print((opts.out_dir / "results.md").read_text(encoding="utf-8"))
    print(f"results in {opts.out_dir.resolve()}:")
    for kind, path in files.items():
        print(f"  {kind}: {path.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
