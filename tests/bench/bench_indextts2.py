"""IndexTTS2 real-time factor and memory on a GPU, with whatever checkpoints are present.

    python tests/bench/bench_indextts2.py [--model-dir DIR] [--reference clip.wav] [--fp16]

Without --model-dir a tiny random checkpoint is built (tests/tiny_indextts2.py): its audio
is noise, but it proves the CUDA / FP16 path runs end to end. Real checkpoints give real
figures. Prints one table row per (precision, line); skips with a message without a GPU.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

LINES = [
    "Hello, this is a short line.",
    "The quick brown fox jumps over the lazy dog, and then it runs back again.",
    "我们明天在河边再见，不见不散。",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path)
    ap.add_argument("--reference", type=Path)
    ap.add_argument("--fp16", action="store_true", help="also run FP16")
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("skipped: torch is not installed (pip install 'dubline[gpu]')")
        return 0
    if not torch.cuda.is_available():
        print("skipped: no CUDA GPU available; IndexTTS2 benchmarks need one")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tiny_indextts2 import speechlike

    from dubline.core.engines.base import SynthesisControls, Voice
    from dubline.core.engines.indextts.engine import IndexTTS2Engine, IndexTTS2Options

    tmp = Path(tempfile.mkdtemp(prefix="bench-indextts2-"))
    model_dir = args.model_dir
    if model_dir is None:
        from tiny_indextts2 import build

        model_dir = build(tmp / "tiny")
        print(f"no --model-dir: random tiny checkpoint in {model_dir} (proves the path, not the speed)")
    reference = args.reference or speechlike(tmp / "ref.wav", 120, 8.0, 0)
    voice = Voice("bench", "indextts2", "en", reference=reference)
    print(f"GPU: {torch.cuda.get_device_name(0)}")
    print(f"{'precision':9} {'line':>4} {'load s':>7} {'first s':>8} {'warm s':>7} {'audio s':>8} "
          f"{'RTF':>6} {'exact':>5} {'peak GiB':>8}")
    for fp16 in ([False, True] if args.fp16 else [False]):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        engine = IndexTTS2Engine.load(IndexTTS2Options(model_dir, device="cuda", fp16=fp16))
        load = time.perf_counter() - t0
        for i, text in enumerate(LINES):
            t0 = time.perf_counter()
            natural = engine.synthesize(text, voice, SynthesisControls(seed=i))
            torch.cuda.synchronize()
            first = time.perf_counter() - t0
            target = Fraction(round(natural.natural_seconds * 1.2 * 1000), 1000)
            warm = []
            for r in range(args.repeats):
                engine._lines.clear()  # time the whole pipeline, GPT included
                t0 = time.perf_counter()
                s = engine.synthesize(text, voice, SynthesisControls(seed=i), target)
                torch.cuda.synchronize()
                warm.append(time.perf_counter() - t0)
            audio = len(s.audio) / s.sample_rate
            exact = len(s.audio) == round(target * s.sample_rate / 256) * 256
            print(f"{'fp16' if fp16 else 'fp32':9} {i:>4} {load:7.2f} {first:8.2f} {min(warm):7.2f} "
                  f"{audio:8.2f} {min(warm) / audio:6.3f} {str(exact):>5} "
                  f"{torch.cuda.max_memory_allocated() / 2**30:8.2f}")
        del engine
    return 0


if __name__ == "__main__":
    sys.exit(main())
