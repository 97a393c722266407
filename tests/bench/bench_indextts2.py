"""IndexTTS2 fitting and whole-job speed: ``fit_line`` per line, then ``dub`` over a subtitle file.

    python tests/bench/bench_indextts2.py [--model-dir DIR] [--reference clip.wav] [--device cpu]
                                          [--srt samples/episode_en.srt] [--no-fp16]

Without --model-dir a tiny random checkpoint is built (tests/tiny_indextts2.py): its audio
is noise, but every stage runs, so the figures show where time goes and that every stem is
sample-exact. Real checkpoints on a GPU give the real figures (tests/gpu is the GPU check).
Each stem's length is compared with its cue's sample range, independently of the report.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
FACTORS = (0.8, 1.0, 1.2, 1.5)  # slot / natural length: native, natural, native, native+stretch


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path)
    ap.add_argument("--reference", type=Path)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--no-fp16", action="store_true")
    ap.add_argument("--srt", type=Path, default=SAMPLES / "episode_en.srt")
    ap.add_argument("--lines", type=int, default=12, help="lines of the SRT dubbed as a job")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("skipped: torch is not installed (pip install 'dubline[gpu]')")
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import soundfile as sf
    from tiny_indextts2 import build, speechlike

    from dubline.core.catalog import Catalog, indextts2_loader
    from dubline.core.engines.base import SynthesisControls, Voice
    from dubline.core.engines.indextts import IndexTTS2Options
    from dubline.core.fit import FitPolicy, fit_line
    from dubline.core.render import DubOptions, JobDone, dub
    from dubline.core.srt import read_srt

    tmp = Path(tempfile.mkdtemp(prefix="bench-indextts2-"))
    model_dir = args.model_dir
    tiny = model_dir is None
    if model_dir is None:
        model_dir = build(tmp / "tiny")
        print(f"no --model-dir: random tiny checkpoint in {model_dir} (proves the path, not the speed)")
    reference = args.reference or speechlike(tmp / "ref.wav", 120, 8.0, 0)
    options = IndexTTS2Options(model_dir, device=args.device, fp16=False if args.no_fp16 else None,
                               **({"diffusion_steps": 3, "num_beams": 1} if tiny else {}))
    catalog = Catalog()
    catalog.register_engine("indextts2", indextts2_loader(options))
    voice = Voice("bench", "indextts2", "en", reference=reference)
    catalog.add(voice)
    t0 = time.perf_counter()
    engine = catalog.engine("indextts2")
    print(f"device {engine.capabilities.device}, load {time.perf_counter() - t0:.1f} s")
    cuda = engine.capabilities.device.startswith("cuda")

    rate = 48000
    print("\n| line | factor | slot s | wall s | method | exact |")
    print("|---|---|---|---|---|---|")
    texts = ["Hello, this is a short line.", "We will meet again at dawn, by the river."]
    for i, text in enumerate(texts):
        natural = engine.synthesize(text, voice, SynthesisControls(seed=i)).natural_seconds
        for factor in FACTORS:
            slot = round(natural * factor * rate)
            t0 = time.perf_counter()
            fitted = fit_line(engine, voice, text, SynthesisControls(seed=i), slot, rate, FitPolicy())
            if cuda:
                torch.cuda.synchronize()
            wall = time.perf_counter() - t0
            print(f"| {i} | {factor:.2f} | {slot / rate:.2f} | {wall:.2f} | {fitted.method} | "
                  f"{len(fitted.audio) == slot} |")

    lines = read_srt(args.srt)[: args.lines]
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        report = next(e.report for e in dub(lines, DubOptions(Path(out), rate, voice="bench"), catalog)
                      if isinstance(e, JobDone))
        wall = time.perf_counter() - t0
        by_id = {ln.id: ln for ln in lines}
        errors = []
        for r in report.lines:
            start, end = by_id[r.id].range.samples(rate)
            errors.append(abs(sf.info(str(r.file)).frames - (end - start)))
    audio = sum(r.end_sample - r.start_sample for r in report.lines) / rate
    print(f"\njob: {len(report.lines)} lines of {args.srt.name}, {audio:.1f} s audio in {wall:.1f} s, "
          f"RTF {wall / audio:.3f}, max stem error {max(errors)} samples")
    if cuda:
        print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
