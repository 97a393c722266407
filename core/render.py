"""Dub a list of lines: voice resolution, synthesis + fitting, stems, track and report.

``dub()`` is a generator of events, so the CLI's progress bar, the daemon's event stream and
the tests all consume the same work as it happens.
"""
from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audio import peak_safe
from .bwf import BextInfo, bwf_bytes
from .cache import DubCache
from .catalog import AUTO, Catalog
from .engines.base import SynthesisControls, Voice
from .errors import DiskFullError, DublineError, InputError, Problem
from .files import atomic_path, file_sha256
from .fit import FitPolicy, FitResult, FitTask, fit_line
from .lines import Line
from .outputs import OutputRun
from .report import DubReport, LineResult, write_report
from .timeline_info import TimelineInfo
from .track import write_track

if TYPE_CHECKING:  # the cluster's module loads with --cluster only
    from .cluster import ClusterFitter as Fitter

log = logging.getLogger(__name__)
PREPARE_AHEAD = 32  # upcoming lines an engine is told of at once (Engine.prepare), so it can batch them


@dataclass(frozen=True)
class DubOptions:
    """Everything that decides a dub's output besides the lines themselves."""

    out_dir: Path
    sample_rate: int = 48000
    bit_depth: int = 16
    voice: str = AUTO  # default voice for lines without their own
    speakers: Mapping[str, str] = field(default_factory=dict)  # speaker -> voice name
    fit: FitPolicy = FitPolicy()
    seed: int = 0
    keep_going: bool = False  # a failed line is reported and skipped instead of stopping
    # Cache and timecode (issue 5): reuse synthesis/fitted audio from ``cache_dir`` (None:
    # no cache); stamp stems and track as Broadcast WAV at ``timeline``'s start timecode
    # (None: 00:00:00:00).
    cache_dir: Path | None = None
    timeline: TimelineInfo | None = None
    # Resume hook (the daemon's durable jobs): returns a finished result for a slot to reuse
    # instead of rendering it again, or None. The caller vouches that its stem still matches.
    reuse: Callable[[Slot], LineResult | None] | None = None
    # Every write stays below this folder, following no symlink under it (the daemon's output
    # root); None: ``out_dir`` itself.
    output_root: Path | None = None
    # Where lines are synthesized and fitted: None here, or the workers of a Ray cluster
    # (``--cluster``); files are written here either way.
    fitter: Fitter | None = None
    # The input reader's record for report.json (Subtitles.report()): what was skipped,
    # fixed or taken as a speaker never goes unreported.
    input: Mapping[str, Any] = field(default_factory=dict)
    # Timeline/delivery files made from the finished run (the CLI's --timeline, --deliver):
    # written through the run's staging (``OutputRun.folder``/``current``), their final paths
    # returned, listed in report.json and switched in with the stems, track and report.
    exports: Callable[[DubReport, OutputRun], list[Path]] | None = None

    def __post_init__(self) -> None:
        if not 8000 <= self.sample_rate <= 192000:
            raise InputError(f"sample rate {self.sample_rate} is outside 8000-192000 Hz")


@dataclass(frozen=True)
class LineStarted:
    index: int
    total: int
    line: Line


@dataclass(frozen=True)
class LineDone:
    index: int
    total: int
    result: LineResult
    reused: bool = False  # taken from options.reuse, not rendered now


@dataclass(frozen=True)
class LineFailed:
    index: int
    total: int
    line: Line
    error: str
    cause: DublineError | None = None  # the error itself, so the daemon can map it to a status code


@dataclass(frozen=True)
class JobDone:
    report: DubReport


DubEvent = LineStarted | LineDone | LineFailed | JobDone


@dataclass(frozen=True)
class Slot:
    """A line with everything resolved before any audio is made."""

    line: Line
    voice: Voice
    start: int  # first sample
    end: int  # end sample (exclusive)
    gap: int  # free samples after the line, before the next one starts
    file: Path


def stem_name(line_id: str) -> str:
    """A file-name-safe version of a line id."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", line_id).strip("._") or "line"


def _free_name(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is still free; records it in ``taken``.

    Names are compared case-folded: on a case-insensitive file system (macOS, Windows)
    ``A.wav`` and ``a.wav`` are one file, and two lines must never share a stem.
    """
    name, k = base, 1
    while name.casefold() in taken:
        k += 1
        name = f"{base}_{k}"
    taken.add(name.casefold())
    return name


def plan(lines: list[Line], options: DubOptions, catalog: Catalog) -> list[Slot]:
    """Resolve voices and sample ranges for every line; raise before any audio is written."""
    if not lines:
        raise InputError("no lines to dub")
    voice_problems: dict[str, list[dict[str, Any]]] = {}  # message -> where: one problem each
    ordered = sorted(lines, key=lambda ln: ln.range.start_seconds)
    problems, seen, slots = [], set(), []
    names: set[str] = set()
    for i, line in enumerate(ordered):
        where: dict[str, Any] = dict(file=line.source.file, line=line.source.line, cue=line.source.cue or line.id)
        if line.id in seen:
            problems.append(Problem(f"duplicate line id {line.id!r}", **where))
        seen.add(line.id)
        if not line.text.strip():
            problems.append(Problem("empty text", **where))
        start, end = line.range.samples(options.sample_rate)
        if end <= start:
            problems.append(Problem(f"empty or negative range {line.range}", **where))
        nxt = ordered[i + 1].range.samples(options.sample_rate)[0] if i + 1 < len(ordered) else None
        try:
            voice = catalog.for_line(line, options.voice, dict(options.speakers))
            catalog.engine(voice.engine).check(line.text)
        except DublineError as e:
            # One problem per distinct voice error, not per cue: "--voice nobody" on a
            # 500-line file is one mistake.
            voice_problems.setdefault(str(e), []).append(where)
            continue
        name = _free_name(stem_name(line.id), names)
        gap = max(0, nxt - end) if nxt is not None else 10**9
        slots.append(Slot(line, voice, start, end, gap, options.out_dir / "lines" / f"{name}.wav"))
    for message, places in voice_problems.items():
        if len(places) == 1:
            problems.append(Problem(message, **places[0]))
        else:
            cues = ", ".join(str(p["cue"]) for p in places[:5]) + (", ..." if len(places) > 5 else "")
            problems.append(Problem(f"{message} ({len(places)} lines: cues {cues})", file=places[0]["file"]))
    if problems:
        raise InputError(problems)
    return slots


def fit_slot(slot: Slot, options: DubOptions, catalog: Catalog, cache: DubCache | None = None) -> FitResult:
    """Synthesize and fit one line to its slot (no file written)."""
    engine = catalog.engine(slot.voice.engine)
    fit = cache.fit if cache is not None else fit_line
    return fit(engine, slot.voice, slot.line.text, _controls(slot, options), slot.end - slot.start,
               options.sample_rate, options.fit, slot.gap)


def fit_task(index: int, slot: Slot, options: DubOptions) -> FitTask:
    """The slot's fitting work as a cluster worker takes it."""
    return FitTask(index, slot.line.text, slot.voice, _controls(slot, options), slot.end - slot.start,
                   options.sample_rate, options.fit, slot.gap)


def _controls(slot: Slot, options: DubOptions) -> SynthesisControls:
    return SynthesisControls(seed=options.seed, emotion=slot.line.emotion)


def write_slot(slot: Slot, fitted: FitResult, options: DubOptions, run: OutputRun | None = None) -> LineResult:
    """Write a fitted line's stem (staged in ``run`` when given) and describe it."""
    line = slot.line
    payload = bwf_bytes(peak_safe(fitted.audio), options.sample_rate, options.bit_depth,
                        _bext(slot.start, options, f"Dubline line {line.id}", slot.file.stem))
    if run is None:  # one stem on its own: written in place, still confined
        with atomic_path(slot.file, root=options.output_root or options.out_dir) as tmp:
            tmp.write_bytes(payload)
        written = slot.file
    else:
        with run.write(slot.file) as tmp:
            tmp.write_bytes(payload)
        written = run.settle(slot.file)
    return LineResult(
        id=line.id,
        text=line.text,
        speaker=line.speaker,
        voice=slot.voice.name,
        start_sample=slot.start,
        end_sample=slot.start + len(fitted.audio),
        file=slot.file.resolve(),
        natural_seconds=fitted.natural_seconds,
        target_seconds=fitted.target_seconds,
        factor=fitted.factor,
        method=fitted.method,
        flag=fitted.flag,
        language=line.language,
        warnings=tuple(fitted.warnings),
        sha256=file_sha256(written),
    )


def render_slot(slot: Slot, options: DubOptions, catalog: Catalog, cache: DubCache | None = None,
                run: OutputRun | None = None) -> LineResult:
    """Synthesize, fit and write one line's stem (staged in ``run`` when given)."""
    return write_slot(slot, fit_slot(slot, options, catalog, cache), options, run)


Fitted = FitResult | DublineError | LineResult  # a slot's outcome: fitted audio, an error, or reused


# Lines fitted ahead of the one being written (worker threads). Two: while the Piper voice
# runs one line's model on both cores, the other thread stretches the line before (Rubber
# Band is single-threaded), and the writer overlaps both. Against one, on 100 English lines
# (idle 2-core machine, medians of 3, 2026-12-02): wall time 22.8 s against 27.2 s (1.20x
# against 1.50x the limit's), the same CPU time (42.3 s against 42.1 s) and peak memory
# 543 MB against 515 MB; outputs and events are the same. tests/bench/speed_table.py
# measures it.
LOOK_AHEAD = 2


def prepare_ahead(slots: list[Slot], options: DubOptions, catalog: Catalog, cache: DubCache | None = None) -> None:
    """Tell each engine the lines it will be asked for next (IndexTTS2 batches its GPT and
    its second stage). Lines whose fitted audio ``cache`` holds are left out: they will not
    be asked for (a conform pass reuses unchanged lines whole).

    Only a hint: an engine's synthesis is the same prepared or not, and a line that cannot
    be prepared fails later, when it is synthesized, where its error is reported.
    """
    tasks: dict[str, list[FitTask]] = {}
    for slot in slots:
        tasks.setdefault(slot.voice.engine, []).append(fit_task(0, slot, options))
    for name, engine_tasks in tasks.items():
        try:
            engine = catalog.engine(name)
            wanted = [task for task in engine_tasks if cache is None or not cache.holds(engine, task)]
            if wanted:
                engine.prepare([task.request(engine.capabilities) for task in wanted])
        except DublineError as e:
            log.info("engine %s could not prepare %d lines ahead: %s", name, len(engine_tasks), e)


def _local_outcomes(slots: list[Slot], options: DubOptions, catalog: Catalog,
                    cache: DubCache | None, look_ahead: int | None = None) -> Generator[Fitted, None, None]:
    """Each slot's outcome in slot order: reused, fitted here, or the error.

    The next ``look_ahead`` (default ``LOOK_AHEAD``) slots are synthesized on worker
    threads while the caller writes, hashes and reports this one: the models release the
    GIL while they run, so both cores are busy where one model run alone leaves one idle. Every line is fitted on
    its own (its seed, its slot), so the outcomes and the caller's events are exactly what
    one line at a time gives (work on a line may start before its LineStarted, never its
    events). The reuse hook is asked on the caller's thread, in slot order.
    """

    prepared = 0  # slots before this index were announced to their engines

    def fit(slot: Slot) -> Fitted:
        try:
            return fit_slot(slot, options, catalog, cache)
        except DublineError as e:
            return e

    def start(index: int) -> Future[Fitted] | LineResult:
        nonlocal prepared
        previous = options.reuse(slots[index]) if options.reuse else None
        if previous is not None:
            return previous
        if index >= prepared:  # on the caller's thread, in slot order: announced once each
            prepared = index + PREPARE_AHEAD
            prepare_ahead(slots[index:prepared], options, catalog, cache)
        return pool.submit(fit, slots[index])

    workers = max(1, LOOK_AHEAD if look_ahead is None else look_ahead)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dubline-synth")
    ahead: deque[Future[Fitted] | LineResult] = deque()
    queued = 0  # slots handed to ``start`` so far
    try:
        for _ in range(len(slots)):
            while queued < len(slots) and len(ahead) < workers + 1:
                ahead.append(start(queued))  # this line, and the ones that fit while it is written
                queued += 1
            current = ahead.popleft()
            yield current.result() if isinstance(current, Future) else current
    finally:
        for waiting in ahead:
            if isinstance(waiting, Future):
                waiting.cancel()
        pool.shutdown(wait=True)


def _cluster_outcomes(slots: list[Slot], options: DubOptions, catalog: Catalog, cache: DubCache | None,
                      fitter: Fitter) -> Generator[Fitted, None, None]:
    """Each slot's outcome with the missing ones fitted on the cluster, in slot order.

    Reuse and the cache are asked here, on the coordinator, before any line is sent out,
    so a conform pass on a cluster costs what it costs locally.
    """
    known: dict[int, Fitted] = {}
    tasks = []
    for index, slot in enumerate(slots):
        previous = options.reuse(slot) if options.reuse else None
        task = fit_task(index, slot, options)
        hit = previous or (cache.lookup(catalog.engine(slot.voice.engine), task) if cache is not None else None)
        if hit is not None:
            known[index] = hit
        else:
            tasks.append(task)
    results = fitter.fit(tasks)
    try:
        for index, slot in enumerate(slots):
            if index in known:
                yield known[index]
                continue
            task, outcome = next(results)
            if cache is not None and isinstance(outcome, FitResult):
                cache.store(catalog.engine(slot.voice.engine), task, outcome)
            yield outcome
    finally:
        results.close()  # a job that stops early stops its lines on the workers


def _located(error: DublineError, line: Line) -> DublineError:
    """The same error type, its message prefixed with where the line came from."""
    src = line.source
    problem = Problem(str(error), src.file, src.line, src.cue or line.id)
    return type(error)(problem) if isinstance(error, InputError) else type(error)(str(problem))


def _bext(start_sample: int, options: DubOptions, description: str, reference: str) -> BextInfo:
    """Broadcast WAV fields whose TimeReference is the file's start from midnight."""
    info = options.timeline
    origin = info.time_reference(start_sample, options.sample_rate) if info is not None else start_sample
    return BextInfo(time_reference=origin, description=description, originator_reference=reference[:32])


def dub(lines: list[Line], options: DubOptions, catalog: Catalog | None = None) -> Generator[DubEvent, None, None]:
    """Dub ``lines`` into ``options.out_dir``: lines/<id>.wav, track.wav, report.json.

    The run is staged and switched in whole (``outputs.OutputRun``): interrupted or failed,
    the folder keeps the previous run; finished, it holds this one. With ``options.fitter``
    (a ``cluster.ClusterFitter``) the lines are synthesized and fitted on its workers;
    planning, the cache and every file stay here, so the output is the same.
    """
    catalog = catalog or Catalog()
    slots = plan(lines, options, catalog)
    run = OutputRun(options.out_dir, options.output_root).begin()
    try:
        yield from _dub_into(run, slots, options, catalog)
    except BaseException:
        # The daemon keeps finished staged stems: a resubmitted job resumes from them.
        run.abort(keep_staged=options.reuse is not None)
        raise


def _dub_into(run: OutputRun, slots: list[Slot], options: DubOptions,
              catalog: Catalog) -> Generator[DubEvent, None, None]:
    cache = DubCache(options.cache_dir) if options.cache_dir is not None else None
    results: list[LineResult] = []
    failures: list[tuple[Line, str]] = []
    outcomes = (_cluster_outcomes(slots, options, catalog, cache, options.fitter) if options.fitter is not None
                else _local_outcomes(slots, options, catalog, cache))
    # Closed here, on this thread, however the loop ends: left to the garbage collector its
    # worker pool could be shut down from one of its own threads.
    with closing(outcomes):
        yield from _lines_into(run, slots, outcomes, options, results, failures)
    track = options.out_dir / "track.wav"
    # New stems are still staged; reused ones stand in the folder.
    sources = [(r.start_sample, _current(run, r.file)) for r in results]
    with run.naming(track) as staged:
        write_track(staged, sources, options.sample_rate, options.bit_depth,
                    _bext(0, options, "Dubline full track", track.stem), root=run.root)
    run.settle(track)
    report = DubReport(
        sample_rate=options.sample_rate,
        bit_depth=options.bit_depth,
        track=track.resolve(),
        lines=results,
        failed=[{"id": ln.id, "error": err} for ln, err in failures],
        cache=cache.stats.to_dict() if cache is not None else {},
        input=dict(options.input),
    )
    if options.exports is not None:
        report.exports = run.listed(options.exports(report, run))
    report_file = options.out_dir / "report.json"
    with run.naming(report_file) as staged:
        write_report(staged, report, root=run.root)
    run.commit([r.file for r in results] + [track, *(e.file for e in report.exports), report_file])
    yield JobDone(report)


def _lines_into(run: OutputRun, slots: list[Slot], outcomes: Iterator[Fitted], options: DubOptions,
                results: list[LineResult], failures: list[tuple[Line, str]]) -> Generator[DubEvent, None, None]:
    """Write each slot's outcome as it comes, collecting the results and the failures."""
    total = len(slots)
    for index, slot in enumerate(slots):
        yield LineStarted(index, total, slot.line)
        outcome = next(outcomes)  # made after LineStarted, so progress shows the line at work
        if isinstance(outcome, LineResult):
            results.append(outcome)
            yield LineDone(index, total, outcome, reused=True)
            continue
        try:
            if isinstance(outcome, DublineError):
                raise outcome
            result = write_slot(slot, outcome, options, run)
        except DiskFullError:
            raise  # every later line would fail the same way
        except DublineError as e:
            located = _located(e, slot.line)
            if not options.keep_going:
                raise located from e
            failures.append((slot.line, str(located)))
            yield LineFailed(index, total, slot.line, str(located), located)
            continue
        results.append(result)
        yield LineDone(index, total, result)


def _current(run: OutputRun, final: Path) -> Path:
    staged = run.stage(final)
    return staged if staged.is_file() else final
