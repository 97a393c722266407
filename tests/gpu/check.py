"""One prepared IndexTTS2 GPU check, runnable in under 8 minutes.

    python -m tests.gpu --model-dir ~/models/IndexTTS-2      # the user's real checkpoint
    python -m tests.gpu                                       # random weights, real dimensions
    python -m tests.gpu --quick --device cpu                  # reduced form, runs anywhere

Without --model-dir a checkpoint with random weights at the released model's dimensions is
built (tests/tiny_indextts2.py ``build(real=True)``); its GPT never stops early, so every
take has a fixed token count. Prints device, dtype, load time, per-stage times (GPT, second
stage, vocoder), RTF for one line and for a batched job, the job's second stage line by line
against batched (s2_batch) with the largest sample difference between the two, peak GPU
memory, whether every length is exact, determinism, and a forced out-of-memory recovery.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

LINES = [
    "Hello, this is a short line.",
    "The quick brown fox jumps over the lazy dog, and then it runs back again.",
    "我们明天在河边再见，不见不散。",
    "Three kingdoms, one river, and a general who speaks with a calm voice.",
    "你好，世界。今天的天气很好！",
]


@dataclass
class StageTimes:
    """Wall seconds per stage, synchronised with the device so queued GPU work is counted."""

    gpt: float = 0.0
    second_stage: float = 0.0
    vocoder: float = 0.0


@dataclass
class SecondStageBatch:
    """One job with the second stage line by line (s2_batch 1), then ``size`` rows at once."""

    size: int
    off: StageTimes  # s2_batch 1
    on: StageTimes
    off_wall: float
    on_wall: float
    rows_per_call: float  # second-stage rows per call with the batch on
    max_diff: float  # largest sample difference between the two jobs' lines
    exact: bool  # every line of both jobs at the frames the engine's range allows


@dataclass
class CheckResult:
    device: str
    dtype: str
    single_rtf: float
    batch_rtf: float
    batch_lines: int
    stages: StageTimes
    exact: bool
    deterministic: bool
    oom_recovered: bool
    peak_gib: float | None
    second_stage: SecondStageBatch | None = None
    notes: list[str] = field(default_factory=list)


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


@contextmanager
def timed_stages(engine: Any, times: StageTimes) -> Iterator[None]:
    """Time the GPT, the whole second stage and the vocoder inside it, on the real model."""
    model = engine.model
    device = str(model.device)
    real_gpt: Callable[..., Any] = model.semantic_rows
    real_render: Callable[..., Any] = model.render
    real_rows: Callable[..., Any] = model.render_rows
    started: list[float] = []

    def gpt(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_gpt(*args)
        finally:
            _sync(device)
            times.gpt += time.perf_counter() - t0

    def render(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_render(*args)
        finally:
            _sync(device)
            times.second_stage += time.perf_counter() - t0

    def render_rows(*args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_rows(*args)
        finally:
            _sync(device)
            times.second_stage += time.perf_counter() - t0

    def before(*_: Any) -> None:
        _sync(device)
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        _sync(device)
        times.vocoder += time.perf_counter() - started.pop()

    hooks = [model.vocoder.register_forward_pre_hook(before), model.vocoder.register_forward_hook(after)]
    model.semantic_rows, model.render, model.render_rows = gpt, render, render_rows
    try:
        yield
    finally:
        model.semantic_rows, model.render, model.render_rows = real_gpt, real_render, real_rows
        for h in hooks:
            h.remove()
    times.second_stage -= times.vocoder  # the render time includes the vocoder's


def forced_oom(engine: Any, voice: Any) -> bool:
    """A real OOM on CUDA (memory capped below what a line needs), simulated on the CPU.

    Recovered means: that line fails with Dubline's out-of-memory error, the next line
    renders, and the memory held afterwards is what it was before.
    """
    import torch

    from dubline.core.engines.base import SynthesisControls
    from dubline.core.errors import EngineError

    device = str(engine.model.device)
    hook = None
    if device.startswith("cuda"):
        total = torch.cuda.get_device_properties(torch.device(device)).total_memory
        before = torch.cuda.memory_allocated(device)
        torch.cuda.set_per_process_memory_fraction(min(1.0, (before + 2**20) / total), torch.device(device))
    else:
        before = 0

        def refuse(*_: Any) -> None:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated on the CPU)")

        hook = engine.model.vocoder.register_forward_pre_hook(refuse)
    engine.forget_lines()
    try:
        engine.synthesize(LINES[0], voice, SynthesisControls(seed=99))
        failed = False
    except EngineError as e:
        failed = "out of memory" in str(e)
    finally:
        if hook is not None:
            hook.remove()
        if device.startswith("cuda"):
            torch.cuda.set_per_process_memory_fraction(1.0, torch.device(device))
    after = torch.cuda.memory_allocated(device) if device.startswith("cuda") else 0
    ok = len(engine.synthesize(LINES[0], voice, SynthesisControls(seed=99)).audio) > 0
    return failed and ok and after <= before + 64 * 2**20


def second_stage_on_off(engine: Any, requests: list[Any], log: Callable[[str], None]) -> SecondStageBatch:
    """The job twice, on fresh engines of the same model: the second stage line by line, then
    batched (the engine's ``s2_batch``; 4 where that is 1, as on the CPU). The GPT is batched
    by ``prepare`` in both, and timed apart."""
    from dataclasses import replace

    import numpy as np

    from dubline.core.engines.indextts.timing import HOP, SAMPLE_RATE, bounded_frames

    device = str(engine.model.device)
    size = engine.options.s2_batch if (engine.options.s2_batch or 1) > 1 else 4
    lo, hi = engine.options.min_factor, engine.options.max_factor
    jobs: dict[int, tuple[StageTimes, float, list[Any], list[int]]] = {}
    exact = True
    for batch in (1, size):
        e = type(engine)(engine.model, replace(engine.options, cache_dir=None, s2_batch=batch), [])
        stages, calls = StageTimes(), list[int]()
        real_rows = engine.model.render_rows

        def counted(rows: list[Any], *a: Any, real: Callable[..., Any] = real_rows, calls: list[int] = calls) -> Any:
            calls.append(len(rows))
            return real(rows, *a)

        engine.model.render_rows = counted
        try:
            with timed_stages(e, stages):
                t0 = time.perf_counter()
                e.prepare(requests)
                made = [e.synthesize(r.text, r.voice, r.controls, r.target) for r in requests]
                _sync(device)
                wall = time.perf_counter() - t0
        finally:
            del engine.model.render_rows
        for r, s in zip(requests, made):
            natural = round(s.natural_seconds * SAMPLE_RATE / HOP)
            want = round(r.target.speech_seconds * SAMPLE_RATE / HOP)
            exact = exact and len(s.audio) == bounded_frames(natural, want, lo, hi) * HOP
        jobs[batch] = (stages, wall, [s.audio for s in made], calls)
    (off, off_wall, audio_off, _), (on, on_wall, audio_on, calls) = jobs[1], jobs[size]
    diff = max(float(np.abs(a - b).max()) if len(a) == len(b) else float("inf") for a, b in zip(audio_off, audio_on))
    rows = sum(calls) / max(1, len(calls))
    log(f"second stage of {len(requests)} lines: line by line {off.second_stage + off.vocoder:.1f} s "
        f"(job {off_wall:.1f} s), {size} rows at once {on.second_stage + on.vocoder:.1f} s (job {on_wall:.1f} s, "
        f"{rows:.1f} rows per call); ratio {(on.second_stage + on.vocoder) / max(1e-9, off.second_stage + off.vocoder):.2f}; "
        f"largest sample difference {diff:.2e}; exact lengths {exact}")
    return SecondStageBatch(size, off, on, off_wall, on_wall, rows, diff, exact)


def run_check(engine: Any, reference: Path, batch_lines: int = 50, log: Callable[[str], None] = print) -> CheckResult:
    """Every measurement on a loaded engine."""
    import torch

    from dubline.core.engines.base import DurationTarget, SynthesisControls, SynthesisRequest, Voice
    from dubline.core.engines.indextts.timing import HOP, SAMPLE_RATE, bounded_frames

    device = str(engine.model.device)
    cuda = device.startswith("cuda")
    dtype = "float16" if engine.model.fp16 else "float32"
    log(f"device {device} ({torch.cuda.get_device_name(torch.device(device)) if cuda else 'CPU'}), dtype {dtype}")
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    voice = Voice("gpu-check", "indextts2", "en", reference=reference)
    lo, hi = engine.options.min_factor, engine.options.max_factor
    exact = True

    def line(text: str, seed: int, seconds: Fraction) -> tuple[float, Any]:
        """One line, GPT included, at a target; exact = the frames the engine's range allows."""
        nonlocal exact
        engine.forget_lines()
        t0 = time.perf_counter()
        s = engine.synthesize(text, voice, SynthesisControls(seed=seed), DurationTarget(seconds))
        _sync(device)
        wall = time.perf_counter() - t0
        natural = round(s.natural_seconds * SAMPLE_RATE / HOP)
        want = round(seconds * SAMPLE_RATE / HOP)
        exact = exact and len(s.audio) == bounded_frames(natural, want, lo, hi) * HOP
        return wall, s

    line(LINES[0], 0, Fraction(2))  # warm-up: kernels, caches, the reference's conditioning
    stages = StageTimes()
    with timed_stages(engine, stages):
        wall, first = line(LINES[1], 1, Fraction(4))
    audio = len(first.audio) / first.sample_rate
    single = wall / audio
    log(f"single line: {audio:.2f} s audio in {wall:.2f} s, RTF {single:.3f} "
        f"(GPT {stages.gpt:.2f} s, second stage {stages.second_stage:.2f} s, vocoder {stages.vocoder:.2f} s)")
    deterministic = bool((line(LINES[1], 1, Fraction(4))[1].audio == first.audio).all())

    requests = [SynthesisRequest(LINES[i % len(LINES)] + f" {i}", voice, SynthesisControls(seed=i),
                                 DurationTarget(Fraction(2 + i % 3))) for i in range(batch_lines)]
    t0 = time.perf_counter()
    engine.prepare(requests)
    made = 0.0
    for r in requests:
        assert r.target is not None
        s = engine.synthesize(r.text, r.voice, r.controls, r.target)
        natural = round(s.natural_seconds * SAMPLE_RATE / HOP)
        want = round(r.target.speech_seconds * SAMPLE_RATE / HOP)
        exact = exact and len(s.audio) == bounded_frames(natural, want, lo, hi) * HOP
        made += len(s.audio) / s.sample_rate
    _sync(device)
    batch_wall = time.perf_counter() - t0
    batch = batch_wall / made
    log(f"{batch_lines}-line job: {made:.1f} s audio in {batch_wall:.1f} s, RTF {batch:.3f}")
    second = second_stage_on_off(engine, requests, log)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
    recovered = forced_oom(engine, voice)
    log(f"exact lengths: {exact}; deterministic: {deterministic}; out-of-memory recovered: {recovered}; "
        f"peak GPU memory: {'n/a' if peak is None else f'{peak:.2f} GiB'}")
    return CheckResult(device, dtype, single, batch, batch_lines, stages, exact and second.exact, deterministic,
                       recovered, peak, second)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, help="IndexTTS-2 checkpoint (default: random weights, real dims)")
    ap.add_argument("--reference", type=Path, help="voice clip (default: a synthetic 8 s clip)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--no-fp16", action="store_true")
    ap.add_argument("--lines", type=int, default=50, help="lines in the batched job")
    ap.add_argument("--tokens", type=int, default=250, help="fixed GPT tokens per take with random weights")
    ap.add_argument("--quick", action="store_true", help="tiny random weights, 3 lines: a smoke test anywhere")
    a = ap.parse_args(argv)
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tiny_indextts2 import build, speechlike

    from dubline.core.engines.indextts import IndexTTS2Options
    from dubline.core.engines.indextts.engine import IndexTTS2Engine

    tmp = Path(tempfile.mkdtemp(prefix="dubline-gpu-check-"))
    model_dir = a.model_dir
    if model_dir is None:
        t0 = time.perf_counter()
        model_dir = build(tmp / "random", real=not a.quick, max_mel_tokens=20 if a.quick else a.tokens)
        print(f"random weights at {'tiny' if a.quick else 'real'} dimensions in {model_dir} "
              f"({time.perf_counter() - t0:.0f} s to build); timings are real, audio is noise")
    reference = a.reference or speechlike(tmp / "ref.wav", 120, 8.0, 0)
    options = IndexTTS2Options(model_dir, device=a.device, fp16=False if a.no_fp16 else None,
                               **({"diffusion_steps": 3, "num_beams": 1} if a.quick else {}))
    t0 = time.perf_counter()
    engine = IndexTTS2Engine.load(options)
    print(f"load: {time.perf_counter() - t0:.1f} s; notes: {engine.notes or 'none'}")
    result = run_check(engine, reference, 3 if a.quick else a.lines)
    ok = result.exact and result.deterministic and result.oom_recovered
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1
