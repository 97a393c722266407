"""The real-world corpus (tests/data/realworld/): every file through the ``dubline`` CLI, classified.

Each file is run the way a user would (``dubline otio FILE -o OUT`` for timelines, ``dubline
srt FILE -o OUT`` for subtitles) with the options its manifest entry gives (``*.toml`` beside
the files: ``[[file]]`` tables with ``path``, ``args``, ``expect`` and the ``quirk`` it
shows). The outcome is one of:

- ``dubbed``: exit 0, and exact: every stem has exactly its slot's samples, every slot is
  where the source puts it (frames from the source's own OpenTimelineIO reading, to samples
  once), and the written timelines place every clip at the same frames;
- ``error``: non-zero exit, every stderr line a ``dubline:`` message (no traceback), the
  error naming the file, and nothing left in the output folder;
- ``wrong``: anything else, or an outcome other than the manifest's ``expect``.

Used by tests/test_realworld.py (every file, in CI) and ``python -m tests.bench`` (counts).
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent / "data" / "realworld"
TIMELINE_SUFFIXES = {".otio", ".xml", ".edl"}
SUBTITLE_SUFFIXES = {".srt", ".vtt", ".ass", ".ssa", ".sub", ".txt"}
# What every run gets: no cache, no progress bar; timelines the embedded English voice (their
# text is clip names); subtitles the default voice routing unless their manifest says.
COMMON = ["--no-cache"]
BY_COMMAND = {"otio": ["--voice", "en-joe"], "srt": []}


@dataclass(frozen=True)
class Entry:
    path: Path
    command: str  # "otio" | "srt"
    args: tuple[str, ...] = ()
    expect: str | None = None  # "dubbed" | "error" | None (either, as long as it is not wrong)
    error: str | None = None  # a fragment the error must contain
    quirk: str = ""

    @property
    def kind(self) -> str:
        """Format label for the counts: otio, fcp7, edl, srt, vtt, ass ..."""
        suffix = self.path.suffix.lower().lstrip(".")
        return {"xml": "fcp7"}.get(suffix, suffix)


@dataclass
class Outcome:
    entry: Entry
    verdict: str  # "dubbed" | "error" | "wrong"
    detail: str
    lines: int = 0
    seconds: float = 0.0
    stderr: str = field(default="", repr=False)


@contextlib.contextmanager
def one_voice_model(engine=None):
    """Every CLI run in this block uses one loaded Piper model (loaded here unless given), as
    the daemon holds its models: the corpus measures reading and placement, not 21 loads of
    the same ONNX session. Everything else each run does as the console script does."""
    from dubline.core import catalog

    if engine is None:
        from dubline.core.engines.piper import PiperEngine

        engine = PiperEngine.load()
    before = catalog.DEFAULT_ENGINES["piper"]
    catalog.DEFAULT_ENGINES["piper"] = lambda: engine
    try:
        yield engine
    finally:
        catalog.DEFAULT_ENGINES["piper"] = before


def entries(root: Path = ROOT) -> list[Entry]:
    """Every manifest entry (a file may be listed more than once, with other options), then
    every corpus file no manifest lists, with default options."""
    listed: list[Entry] = []
    for manifest in sorted(root.rglob("*.toml")):
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        for item in data.get("file", []):
            path = (manifest.parent / item["path"]).resolve()
            if not path.is_file():
                raise FileNotFoundError(f"{manifest} lists a missing corpus file: {item['path']}")
            listed.append(Entry(path, item.get("command") or _command(path), tuple(item.get("args", ())),
                                item.get("expect"), item.get("error"), item.get("quirk", "")))
    named = {e.path for e in listed}
    rest = [Entry(p, _command(p)) for p in sorted(q.resolve() for q in root.rglob("*") if q.is_file())
            if p not in named and p.suffix.lower() in TIMELINE_SUFFIXES | SUBTITLE_SUFFIXES]
    return listed + rest


def _command(path: Path) -> str:
    return "otio" if path.suffix.lower() in TIMELINE_SUFFIXES else "srt"


def run(entry: Entry, out: Path, first: int | None = None) -> Outcome:
    """Run one file through the CLI (the console script's ``main``) and classify it.

    ``first``: dub only the first N lines of a timeline (``dubline otio --first``), which CI
    uses to stay fast; a manifest's own ``--first`` wins.
    """
    from dubline.bridge.cli import main

    cap = ["--first", str(first)] if first and entry.command == "otio" and "--first" not in entry.args else []
    argv = ["-q", entry.command, str(entry.path), "-o", str(out), *COMMON, *BY_COMMAND.get(entry.command, []),
            *cap, *entry.args]
    err, printed = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(printed):
            rc = main(argv)
    except SystemExit as e:  # argparse refusing the options
        rc = e.code if isinstance(e.code, int) else 2
    except Exception as e:  # an escape is a traceback for the user: wrong
        return Outcome(entry, "wrong", f"crashed: {type(e).__name__}: {e}", seconds=time.perf_counter() - t0,
                       stderr=err.getvalue())
    seconds = time.perf_counter() - t0
    stderr = err.getvalue()
    if rc == 0:
        verdict, detail, n = _check_dubbed(entry, out)
    else:
        verdict, detail, n = _check_error(entry, out, stderr)
    if verdict != "wrong" and entry.expect and verdict != entry.expect:
        verdict, detail = "wrong", f"expected {entry.expect}, got {verdict}: {detail}"
    return Outcome(entry, verdict, detail, n, seconds, stderr)


def _check_error(entry: Entry, out: Path, stderr: str) -> tuple[str, str, int]:
    rows = [r for r in stderr.splitlines() if r.strip()]
    errors = [r for r in rows if r.startswith("dubline: error: ")]
    if not errors:
        return "wrong", f"non-zero exit without an error line: {stderr[-300:]!r}", 0
    stray = [r for r in rows if not r.startswith("dubline: ")]
    if stray:
        return "wrong", f"not a one-line error (traceback or noise): {stray[0][:200]!r}", 0
    if not any(entry.path.name in r for r in errors):
        return "wrong", f"error does not name the file: {errors[0]!r}", 0
    if entry.error and not any(entry.error in r for r in errors):
        return "wrong", f"error lacks {entry.error!r}: {errors[0]!r}", 0
    left = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    if left:
        return "wrong", f"outputs left behind after the error: {[p.name for p in left][:5]}", 0
    return "error", errors[0].removeprefix("dubline: error: "), 0


def _check_dubbed(entry: Entry, out: Path) -> tuple[str, str, int]:
    import soundfile as sf

    report_path = out / "report.json"
    if not report_path.is_file():
        return "wrong", "exit 0 without report.json", 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    lines = report["lines"]
    sr = report["sample_rate"]
    if not lines:
        return "wrong", "exit 0 with no lines dubbed", 0
    track = sf.info(str(out / "track.wav")).frames
    for line in lines:
        slot = line["end_sample"] - line["start_sample"]
        stem = sf.info(line["file"]).frames
        if stem != slot:
            return "wrong", f"line {line['id']}: stem has {stem} samples, slot {slot}", len(lines)
        if line["end_sample"] > track:
            return "wrong", f"line {line['id']}: ends at {line['end_sample']} past the track ({track})", len(lines)
        if not line["text"].strip():
            return "wrong", f"line {line['id']}: empty text dubbed", len(lines)
    if entry.command == "otio":
        why = _check_placement(entry, out, lines, sr)
        if why:
            return "wrong", why, len(lines)
    return "dubbed", f"{len(lines)} lines exact", len(lines)


def _check_placement(entry: Entry, out: Path, lines: list[dict], sr: int) -> str | None:
    """Slots against the source read with OpenTimelineIO alone, and against dub.* read back."""
    import opentimelineio as otio

    written = [p for p in (out / "dub.otio", out / "dub.xml", out / "dub.edl") if p.exists()]
    if not written:
        return "no timeline written"
    ours = _dub_clips(otio.adapters.read_from_file(str(out / "dub.otio"))) if (out / "dub.otio").exists() else None
    if ours is None:
        return None
    fps, clips = ours
    by_id = {line["id"]: line for line in lines}
    for name, start, end in clips:
        line = by_id.get(name)
        if line is None:
            return f"dub.otio has clip {name!r} that is not in the report"
        want = (round(Fraction(start) * sr / fps), round(Fraction(end) * sr / fps))
        if (line["start_sample"], line["end_sample"]) != want:
            return f"line {name}: samples {line['start_sample']}-{line['end_sample']}, dub.otio says {want}"
    if entry.path.suffix.lower() == ".edl":
        return _check_edl_record(entry, out, clips)
    source = _source_slots(entry)
    if source is not None:
        slots = source
        for name, start, end in clips:
            base = name.split("~")[0]
            if base in slots and len(slots[base]) == 1:
                s, e = slots[base][0]
                if not _clipped(s, e, start, end):
                    return f"line {name}: source places it at frames {s}-{e}, dub at {start}-{end}"
    return None


_EDL_EVENT = re.compile(r"^\s*\d+\s+\S+\s+\S+\s+\S+(?:\s+\d+)?\s+(?:[\d:;]{11}\s+){2}([\d:;]{11})\s+([\d:;]{11})")


def _check_edl_record(entry: Entry, out: Path, clips) -> str | None:
    """Each dub clip, at the dub's start timecode, lies inside an event's record range as the
    EDL text writes it (read here with a regex and OTIO's timecode parser alone)."""
    import opentimelineio as otio

    rate = float(Fraction(entry.args[entry.args.index("--fps") + 1]))
    events = []
    for row in entry.path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _EDL_EVENT.match(row)
        if m:
            events.append(tuple(round(otio.opentime.from_timecode(tc, rate).value) for tc in m.groups()))
    dub = otio.adapters.read_from_file(str(out / "dub.otio"))
    origin = round(dub.global_start_time.value)
    for name, start, end in clips:
        if not any(_clipped(a, b, origin + start, origin + end) for a, b in events):
            return f"line {name}: at record frames {origin + start}-{origin + end}, inside no EDL event"
    return None


def _clipped(s: int, e: int, start: int, end: int) -> bool:
    """Inside the source item's range: exactly on it, or cut by a nested stack's trim."""
    return s <= start < end <= e


def _dub_clips(timeline) -> tuple[Fraction, list[tuple[str, int, int]]]:
    import opentimelineio as otio

    from dubline.core.otio_read import exact_rate

    track = timeline.tracks[-1]
    fps = exact_rate(timeline.global_start_time.rate)
    clips = []
    for item in track:
        if isinstance(item, otio.schema.Clip):
            r = item.range_in_parent()
            clips.append((item.name, round(r.start_time.value), round(r.end_time_exclusive().value)))
    return fps, clips


def _source_slots(entry: Entry):
    """Clip name -> [(start, end)] frames of the source's clips, from OTIO's own placement."""
    import opentimelineio as otio

    try:
        obj = otio.adapters.read_from_file(str(entry.path))
        if isinstance(obj, otio.schema.SerializableCollection):
            (obj,) = obj.find_children(descended_from_type=otio.schema.Timeline)
    except Exception:  # a source OTIO cannot read was refused before any line was dubbed
        return None
    slots: dict[str, list[tuple[int, int]]] = {}
    for clip in obj.find_clips():
        try:
            r = clip.transformed_time_range(clip.trimmed_range(), obj.tracks)
        except Exception:  # an item OTIO cannot place is not a line Dubline dubbed either
            continue
        slots.setdefault(clip.name, []).append((round(r.start_time.value), round(r.end_time_exclusive().value)))
    return slots


def counts(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    """format -> {dubbed, error, wrong}."""
    table: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = table.setdefault(o.entry.kind, {"dubbed": 0, "error": 0, "wrong": 0})
        row[o.verdict] += 1
    return table
