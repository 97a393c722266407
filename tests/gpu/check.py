"""One prepared IndexTTS2 GPU check, runnable in under 8 minutes.

    python -m tests.gpu --model-dir ~/models/IndexTTS-2      # the user's real checkpoint (2.0 or 2.5)
    python -m tests.gpu                                       # random weights, real dimensions
    python -m tests.gpu --version 2.5                         # the same for IndexTTS-2.5
    python -m tests.gpu --quick --device cpu                  # reduced form, runs anywhere

Without --model-dir a checkpoint with random weights at the released model's dimensions is
built (tests/tiny_indextts2.py / tiny_indextts25.py ``build(real=True)``); its GPT never
stops early, so every take has a fixed token count (``--tokens``; by default about 5 s of
speech: 250 tokens for 2.0, 125 for 2.5's 25 tokens a second). Prints device, dtype, load
time, per-stage times (GPT, second stage, vocoder), RTF for one line and for a batched job,
the batched job against the same lines unprepared (the same GPT tokens, which PASS needs;
the same audio bits, or the largest difference where the second stage is batched too; and
the time each takes), peak GPU memory, whether every length is exact, determinism, and a
forced out-of-memory recovery.
Then the job's second stage line by line against batched (s2_batch) on fresh engines: its
time each way and the largest sample difference between the two.

Time on an H200 at real dimensions, by design: building the random checkpoint (~2 min of
CPU), loading, two single lines, the 50-line job, ``--compare`` (8) of its lines again one
by one (each a whole GPT run of its own), and the out-of-memory line.
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
class PrepareComparison:
    """The batched job's first ``lines`` lines against the same lines synthesized unprepared."""

    lines: int
    rows: int  # GPT rows (text segments) compared
    same_tokens: int  # rows whose codes are identical
    same_audio: int  # lines whose samples are identical
    max_diff: float  # largest sample difference between a prepared line and the same line alone
    prepared_seconds: float  # wall per line in the prepared job
    alone_seconds: float  # wall per line unprepared
    prepared_gpt: float  # GPT seconds per line, prepared (batched)
    alone_gpt: float  # GPT seconds per line, one line at a time

    @property
    def same_gpt(self) -> bool:
        """Every row's tokens as alone: what gpt_batch.py promises on every device."""
        return self.same_tokens == self.rows

    @property
    def identical(self) -> bool:
        """Tokens and samples: expected where the second stage renders one line at a time."""
        return self.same_gpt and self.same_audio == self.lines

    @property
    def speedup(self) -> float:
        return self.alone_seconds / self.prepared_seconds if self.prepared_seconds else 0.0


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
    prepared: PrepareComparison | None = None
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

    def timed(real: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(*args)
            finally:
                _sync(device)
                setattr(times, stage, getattr(times, stage) + time.perf_counter() - t0)
        return call

    gpt, render, render_rows = timed(real_gpt, "gpt"), timed(real_render, "second_stage"), \
        timed(real_rows, "second_stage")

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


@contextmanager
def captured_rows(engine: Any, into: dict[tuple[Any, ...], list[int]]) -> Iterator[None]:
    """Record the codes the GPT makes for each row, by (text ids, random stream seed)."""
    model = engine.model
    real: Callable[..., Any] = model.semantic_rows

    def semantic_rows(rows: Any, *args: Any) -> Any:
        made = real(rows, *args)
        for row, tokens in zip(rows, made):
            into[(row.ids, row.seed)] = tokens.codes.flatten().tolist()
        return made

    model.semantic_rows = semantic_rows
    try:
        yield
    finally:
        model.semantic_rows = real


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


def run_check(engine: Any, reference: Path, batch_lines: int = 50, log: Callable[[str], None] = print,
              compare: int = 8) -> CheckResult:
    """Every measurement on a loaded engine; ``compare`` lines of the job are run again unprepared."""
    import torch

    from dubline.core.engines.base import DurationTarget, SynthesisControls, SynthesisRequest, Voice
    from dubline.core.engines.indextts.timing import HOP, SAMPLE_RATE, bounded_frames

    device = str(engine.model.device)
    cuda = device.startswith("cuda")
    dtype = "float16" if engine.model.fp16 else "float32"
    if engine.model.fp16 and engine.model.version == "2.5":
        dtype += " (GPT bfloat16, as upstream)"
    log(f"IndexTTS-{engine.model.version} on {device} "
        f"({torch.cuda.get_device_name(torch.device(device)) if cuda else 'CPU'}), dtype {dtype}")
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

    def job(prepare: bool, lines: list[SynthesisRequest], rows: dict[tuple[Any, ...], list[int]]
            ) -> tuple[float, list[Any], StageTimes]:
        """Wall seconds, audio of each line and stage times of ``lines`` as one job."""
        nonlocal exact
        times, audio = StageTimes(), []
        with timed_stages(engine, times), captured_rows(engine, rows):
            t0 = time.perf_counter()
            if prepare:
                engine.prepare(lines)
            for r in lines:
                assert r.target is not None
                s = engine.synthesize(r.text, r.voice, r.controls, r.target)
                natural = round(s.natural_seconds * SAMPLE_RATE / HOP)
                want = round(r.target.speech_seconds * SAMPLE_RATE / HOP)
                exact = exact and len(s.audio) == bounded_frames(natural, want, lo, hi) * HOP
                audio.append(s.audio)
            _sync(device)
            wall = time.perf_counter() - t0
        return wall, audio, times

    engine.forget_lines()
    batched_rows: dict[tuple[Any, ...], list[int]] = {}
    batch_wall, batched, batch_times = job(True, requests, batched_rows)
    made = sum(len(a) for a in batched) / SAMPLE_RATE
    batch = batch_wall / made
    log(f"{batch_lines}-line job: {made:.1f} s audio in {batch_wall:.1f} s, RTF {batch:.3f} "
        f"(GPT {batch_times.gpt:.1f} s, second stage {batch_times.second_stage:.1f} s, "
        f"vocoder {batch_times.vocoder:.1f} s)")

    # The same lines unprepared: each line's GPT alone, nothing cached from the job above.
    n = max(0, min(compare, batch_lines))
    prepared = None
    if n:
        engine.forget_lines()
        alone_rows: dict[tuple[Any, ...], list[int]] = {}
        alone_wall, alone, alone_times = job(False, requests[:n], alone_rows)
        prepared = PrepareComparison(
            lines=n, rows=len(alone_rows), same_tokens=sum(batched_rows.get(k) == v for k, v in alone_rows.items()),
            same_audio=sum(len(a) == len(b) and bool((a == b).all()) for a, b in zip(batched, alone)),
            max_diff=max(float(abs(a - b).max()) if len(a) == len(b) else float("inf")
                         for a, b in zip(batched, alone)),
            prepared_seconds=batch_wall / batch_lines, alone_seconds=alone_wall / n,
            prepared_gpt=batch_times.gpt / batch_lines, alone_gpt=alone_times.gpt / n)
        log(f"prepared vs unprepared, first {n} lines: GPT tokens identical in {prepared.same_tokens}/"
            f"{prepared.rows} rows, audio identical in {prepared.same_audio}/{n} lines (largest difference "
            f"{prepared.max_diff:.2e}); per line "
            f"{prepared.prepared_seconds:.2f} s prepared vs {prepared.alone_seconds:.2f} s alone "
            f"({prepared.speedup:.2f}x; GPT {prepared.prepared_gpt:.2f} s vs {prepared.alone_gpt:.2f} s)")
    second = second_stage_on_off(engine, requests, log)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if cuda else None
    recovered = forced_oom(engine, voice)
    log(f"exact lengths: {exact}; deterministic: {deterministic}; out-of-memory recovered: {recovered}; "
        f"peak GPU memory: {'n/a' if peak is None else f'{peak:.2f} GiB'}")
    return CheckResult(device, dtype, single, batch, batch_lines, stages, exact and second.exact, deterministic,
                       recovered, peak, prepared, second_stage=second)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.gpu", description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path,
                    help="IndexTTS-2 or IndexTTS-2.5 checkpoint (default: random weights, real dims)")
    ap.add_argument("--version", choices=("2.0", "2.5"), default="2.0",
                    help="which model the random weights are built as (a --model-dir's config.yaml decides)")
    ap.add_argument("--reference", type=Path, help="voice clip (default: a synthetic 8 s clip)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--no-fp16", action="store_true")
    ap.add_argument("--lines", type=int, default=50, help="lines in the batched job")
    ap.add_argument("--tokens", type=int,
                    help="fixed GPT tokens per take with random weights (default: 250 for 2.0, 125 for 2.5: ~5 s)")
    ap.add_argument("--compare", type=int, default=8,
                    help="lines of the batched job run again unprepared, to compare tokens, audio and time")
    ap.add_argument("--quick", action="store_true", help="tiny random weights, 3 lines: a smoke test anywhere")
    a = ap.parse_args(argv)
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import tiny_indextts2
    import tiny_indextts25
    from tiny_indextts2 import speechlike

    from dubline.core.engines.indextts import IndexTTS2Options
    from dubline.core.engines.indextts.engine import IndexTTS2Engine

    tmp = Path(tempfile.mkdtemp(prefix="dubline-gpu-check-"))
    model_dir = a.model_dir
    if model_dir is None:
        t0 = time.perf_counter()
        per_second = 50 if a.version == "2.0" else 25  # GPT tokens a second of speech
        tokens = a.tokens or (per_second * 2 // 5 if a.quick else per_second * 5)
        builder = tiny_indextts2.build if a.version == "2.0" else tiny_indextts25.build
        model_dir = builder(tmp / "random", real=not a.quick, max_mel_tokens=tokens)
        print(f"IndexTTS-{a.version} random weights at {'tiny' if a.quick else 'real'} dimensions in {model_dir}, "
              f"{tokens} tokens a take ({time.perf_counter() - t0:.0f} s to build); timings are real, audio is noise")
    reference = a.reference or speechlike(tmp / "ref.wav", 120, 8.0, 0)
    options = IndexTTS2Options(model_dir, device=a.device, fp16=False if a.no_fp16 else None,
                               **({"diffusion_steps": 3, "num_beams": 1} if a.quick else {}))
    t0 = time.perf_counter()
    engine = IndexTTS2Engine.load(options)
    print(f"load: {time.perf_counter() - t0:.1f} s; notes: {engine.notes or 'none'}")
    result = run_check(engine, reference, 3 if a.quick else a.lines, compare=a.compare)
    ok = result.exact and result.deterministic and result.oom_recovered
    ok = ok and (result.prepared is None or result.prepared.same_gpt)  # audio: see its difference
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1
