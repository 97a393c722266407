"""IndexTTS2 fitting and whole-job speed: ``fit_line`` per line, then ``dub`` over a subtitle file.

    python tests/bench/bench_indextts2.py [--model-dir DIR] [--reference clip.wav] [--device cpu]
                                          [--srt samples/episode_en.srt] [--no-fp16] [--s2-batch N]

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
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    ap.add_argument("--s2-batch", type=int, default=8, help="second-stage rows at once in the batched job")
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
    batched_vs_unbatched(engine, voice, lines, rate, cuda)
    second_stage_batched_vs_not(engine, voice, lines, rate, cuda, args.s2_batch)
    return 0


def timed_job(engine: Any, voice: Any, lines: list[Any], rate: int, cuda: bool) -> tuple[float, float, Any, list[Any]]:
    """One ``dub`` of ``lines`` with ``engine`` alone: CPU and wall seconds, its report and
    the stems as 16-bit samples."""
    import soundfile as sf
    import torch

    from dubline.core.catalog import Catalog
    from dubline.core.render import DubOptions, JobDone, dub

    catalog = Catalog()
    catalog.register_engine("indextts2", lambda: engine)
    catalog.add(voice)
    with tempfile.TemporaryDirectory() as out:
        cpu, wall = time.process_time(), time.perf_counter()
        report = next(e.report for e in dub(lines, DubOptions(Path(out), rate, voice=voice.name), catalog)
                      if isinstance(e, JobDone))
        if cuda:
            torch.cuda.synchronize()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        stems = [sf.read(str(r.file), dtype="int16")[0] for r in report.lines]
    return cpu, wall, report, stems


def batched_vs_unbatched(engine: Any, voice: Any, lines: list[Any], rate: int, cuda: bool) -> None:
    """The same job with the GPT batched by ``prepare`` (as ``dub`` does) and with it off."""
    import numpy as np

    rows = {}
    for mode in ("unbatched", "batched"):
        fresh = type(engine)(engine.model, replace(engine.options, cache_dir=None), [])  # nothing cached
        if mode == "unbatched":
            fresh.prepare = lambda requests: None  # type: ignore[method-assign]
        calls: list[int] = []
        real = engine.model.gpt.inference_speech

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return real(*args, **kwargs)

        engine.model.gpt.inference_speech = counted
        cpu, wall, report, stems = timed_job(fresh, voice, lines, rate, cuda)
        del engine.model.gpt.inference_speech
        rows[mode] = (len(calls), cpu, wall, stems)
    (n0, cpu0, wall0, stems0), (n1, cpu1, wall1, stems1) = rows["unbatched"], rows["batched"]
    same = len(stems0) == len(stems1) and all(np.array_equal(a, b) for a, b in zip(stems0, stems1))
    print(f"\n{len(lines)}-line job, GPT batched by prepare() vs line by line (gpt_batch {engine.options.gpt_batch})")
    print("| job | GPT calls | CPU s | wall s |")
    print("|---|---|---|---|")
    print(f"| unbatched | {n0} | {cpu0:.1f} | {wall0:.1f} |")
    print(f"| batched | {n1} | {cpu1:.1f} | {wall1:.1f} |")
    print(f"| ratio batched/unbatched | {n1 / n0:.2f} | {cpu1 / cpu0:.2f} | {wall1 / wall0:.2f} |")
    print(f"stems identical: {same}")


def second_stage_batched_vs_not(engine: Any, voice: Any, lines: list[Any], rate: int, cuda: bool,
                                batch: int) -> None:
    """The same job (GPT batched in both) with the second stage line by line, then ``batch``
    rows of the voice at once: second-stage calls per line, CPU and wall time, stem lengths."""
    import numpy as np

    rows = {}
    model = engine.model
    for size in (1, batch):
        fresh = type(engine)(model, replace(engine.options, cache_dir=None, s2_batch=size), [])
        calls: list[int] = []  # rows of each second-stage call, lone renders as 1
        real_rows, real_render = model.render_rows, model.render
        model.render_rows = lambda r, *a: calls.append(len(r)) or real_rows(r, *a)
        model.render = lambda tok, n, *a: calls.append(1) or real_render(tok, n, *a)
        try:
            cpu, wall, report, stems = timed_job(fresh, voice, lines, rate, cuda)
            stems = [st.astype(np.int32) for st in stems]
            exact = all(len(st) == r.end_sample - r.start_sample for st, r in zip(stems, report.lines))
            methods = [r.method for r in report.lines]
        finally:
            del model.render_rows, model.render
        rows[size] = (calls, cpu, wall, stems, exact)
    (c0, cpu0, wall0, stems0, exact0), (c1, cpu1, wall1, stems1, exact1) = rows[1], rows[batch]
    n = len(lines)
    print(f"\n{n}-line job, second stage line by line vs {batch} rows at once (s2_batch)")
    print("| job | 2nd-stage calls per line | rows per call | CPU s | wall s | lengths exact |")
    print("|---|---|---|---|---|---|")
    print(f"| s2_batch 1 | {len(c0) / n:.2f} | {sum(c0) / max(1, len(c0)):.1f} | {cpu0:.1f} | {wall0:.1f} | {exact0} |")
    print(f"| s2_batch {batch} | {len(c1) / n:.2f} | {sum(c1) / max(1, len(c1)):.1f} | {cpu1:.1f} | {wall1:.1f} "
          f"| {exact1} |")
    print(f"| ratio batched/line by line | {len(c1) / max(1, len(c0)):.2f} | | {cpu1 / cpu0:.2f} | "
          f"{wall1 / wall0:.2f} | |")
    # By method: Rubber Band's transient decisions can flip on a last-bit change, so a
    # stretched line may differ by more than its native take does.
    steps: dict[str, int] = {}
    for method, a, b in zip(methods, stems0, stems1):
        steps[method] = max(steps.get(method, 0), int(np.abs(a - b).max()))
    shown = ", ".join(f"{m} {v}" for m, v in sorted(steps.items()))
    print(f"largest stem difference batched vs line by line, in 16-bit steps, by method: {shown}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
