"""Dub a list of lines: voice resolution, synthesis + fitting, stems, track and report.

``dub()`` is a generator of events, so the CLI's progress bar, the daemon's event stream and
the tests all consume the same work as it happens.
"""
from __future__ import annotations

import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audio import peak_safe
from .bwf import BextInfo, write_bwf
from .cache import DubCache
from .catalog import AUTO, Catalog
from .engines.base import SynthesisControls, Voice
from .errors import DublineError, InputError, Problem
from .files import file_sha256
from .fit import FitPolicy, FitResult, fit_line
from .lines import Line
from .report import DubReport, LineResult, write_report
from .timeline_info import TimelineInfo
from .track import write_track

log = logging.getLogger(__name__)


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


def plan(lines: list[Line], options: DubOptions, catalog: Catalog) -> list[Slot]:
    """Resolve voices and sample ranges for every line; raise before any audio is written."""
    if not lines:
        raise InputError("no lines to dub")
    ordered = sorted(lines, key=lambda ln: ln.range.start_seconds)
    problems, seen, names, slots = [], set(), set(), []
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
            problems.append(Problem(str(e), **where))
            continue
        name = stem_name(line.id)
        if name in names:
            name = f"{name}_{i + 1}"
        names.add(name)
        gap = max(0, nxt - end) if nxt is not None else 10**9
        slots.append(Slot(line, voice, start, end, gap, options.out_dir / "lines" / f"{name}.wav"))
    if problems:
        raise InputError(problems)
    return slots


def render_slot(slot: Slot, options: DubOptions, catalog: Catalog, cache: DubCache | None = None) -> LineResult:
    """Synthesize, fit and write one line's stem."""
    return write_slot(slot, fit_slot(slot, options, catalog, cache), options)


def fit_slot(slot: Slot, options: DubOptions, catalog: Catalog, cache: DubCache | None = None) -> FitResult:
    """One line's fitted audio: one synthesis (or the cache's copy), fitted to its slot."""
    line = slot.line
    engine = catalog.engine(slot.voice.engine)
    controls = SynthesisControls(seed=options.seed, emotion=line.emotion)
    fit = cache.fit if cache is not None else fit_line
    return fit(engine, slot.voice, line.text, controls, slot.end - slot.start,
               options.sample_rate, options.fit, slot.gap)


def write_slot(slot: Slot, fitted: FitResult, options: DubOptions) -> LineResult:
    """Write a fitted line's stem and describe it."""
    line = slot.line
    write_bwf(slot.file, peak_safe(fitted.audio), options.sample_rate,
              _bext(slot.start, options, f"Dubline line {line.id}", slot.file.stem), options.bit_depth)
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
        warnings=tuple(fitted.warnings),
        sha256=file_sha256(slot.file),
    )


class _Ahead:
    """Synthesis of the next line on a worker thread while this one is written.

    The models release the GIL while they run, so writing, hashing and reporting line i
    overlaps synthesizing line i+1 (both cores busy where the model alone leaves one
    idle). Lines are still synthesized one at a time, in order, and their events come out
    exactly as before: work on a line may start before its LineStarted, never its events.
    """

    def __init__(self, slots: list[Slot], options: DubOptions, catalog: Catalog, cache: DubCache | None):
        self._slots, self._options, self._catalog, self._cache = slots, options, catalog, cache
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dubline-synth")
        self._futures: dict[int, Future[FitResult]] = {}
        self._reused: dict[int, LineResult | None] = {}

    def reused(self, index: int) -> LineResult | None:
        if index not in self._reused:
            reuse = self._options.reuse
            self._reused[index] = reuse(self._slots[index]) if reuse else None
        return self._reused[index]

    def start(self, index: int) -> None:
        if index < len(self._slots) and index not in self._futures and self.reused(index) is None:
            self._futures[index] = self._pool.submit(fit_slot, self._slots[index], self._options,
                                                     self._catalog, self._cache)

    def fitted(self, index: int) -> FitResult:
        self.start(index)
        future = self._futures.pop(index)
        result = future.result()
        self.start(index + 1)  # the next line synthesizes while this one is written
        return result

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._pool.shutdown(wait=True)


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
    """Dub ``lines`` into ``options.out_dir``: lines/<id>.wav, track.wav, report.json."""
    catalog = catalog or Catalog()
    slots = plan(lines, options, catalog)
    cache = DubCache(options.cache_dir) if options.cache_dir is not None else None
    results: list[LineResult] = []
    failures: list[tuple[Line, str]] = []
    total = len(slots)
    ahead = _Ahead(slots, options, catalog, cache)
    try:
        for index, slot in enumerate(slots):
            yield LineStarted(index, total, slot.line)
            previous = ahead.reused(index)
            if previous is not None:
                results.append(previous)
                yield LineDone(index, total, previous, reused=True)
                continue
            try:
                result = write_slot(slot, ahead.fitted(index), options)
            except DublineError as e:
                located = _located(e, slot.line)
                if not options.keep_going:
                    raise located from e
                failures.append((slot.line, str(located)))
                yield LineFailed(index, total, slot.line, str(located))
                continue
            results.append(result)
            yield LineDone(index, total, result)
    finally:
        ahead.close()
    track = options.out_dir / "track.wav"
    write_track(track, [(r.start_sample, r.file) for r in results], options.sample_rate, options.bit_depth,
                _bext(0, options, "Dubline full track", track.stem))
    report = DubReport(
        sample_rate=options.sample_rate,
        bit_depth=options.bit_depth,
        track=track.resolve(),
        lines=results,
        failed=[{"id": ln.id, "error": err} for ln, err in failures],
        cache=cache.stats.to_dict() if cache is not None else {},
    )
    write_report(options.out_dir / "report.json", report)
    yield JobDone(report)
