"""Dialogue lines from an OpenTimelineIO timeline: clips on a dialogue track, and markers.

OTIO stores times as floats (value, rate); every time read here is mapped to an exact rational
rate (23.976... -> 24000/1001) and to integer frames of the timeline rate, once, from its
position relative to the timeline origin. The timeline's start timecode comes back in a
``TimelineInfo`` beside the lines.

Text, speaker, emotion, voice and id come from the item's metadata under ``dubline``
(``{"dubline": {"text": ..., "speaker": ..., "emotion": "sad" | {...}, "id": ...}}``);
failing that the text is the clip's name, or the marker's comment, or its name.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import InputError, Problem, TimeFormatError
from .lines import EMOTIONS, Emotion, Line, SourceRef
from .timebase import FrameRate, TimeRange, round_half_up
from .timeline_info import DEFAULT_SAMPLE_RATE, SUPPORTED_RATES, TimelineInfo, check_rate

log = logging.getLogger(__name__)

NAMESPACE = "dubline"
OUTPUT_TRACK_PREFIX = "Dubline - "
# Default dialogue tracks: names like "Dialogue", "DX", "Subtitles", "Captions".
DIALOGUE_TRACK = re.compile(r"dialog|subtitle|caption|\bdx\b", re.IGNORECASE)
_MEDIA_NAME = re.compile(r"\.(wav|aiff?|mp3|m4a|aac|flac|mov|mp4|mxf|r3d|braw|ari|dng)$", re.I)


@dataclass(frozen=True)
class OtioReadOptions:
    """What to read. ``track`` None means every track named like ``DIALOGUE_TRACK``.

    ``markers``: also read markers (timeline, track and clip markers). When no track is
    named and none looks like dialogue, markers are read anyway.
    ``rate``: override the timeline rate (e.g. to say 29.97 NDF where OTIO cannot tell).
    """

    track: str | None = None
    markers: bool = False
    rate: FrameRate | None = None
    sample_rate: int = DEFAULT_SAMPLE_RATE


@dataclass
class OtioDialogue:
    """What a timeline yielded: lines, the timeline's clock, and what was looked at."""

    lines: list[Line]
    info: TimelineInfo
    tracks_read: list[str] = field(default_factory=list)
    markers_read: int = 0
    skipped: list[str] = field(default_factory=list)


def exact_rate(rate: float) -> Fraction:
    """The exact rational rate a float OTIO rate stands for (29.97002997 -> 30000/1001)."""
    for known in SUPPORTED_RATES:
        if abs(rate - float(known)) < 1e-3 * max(1.0, float(known)) / 100:
            return known
    near = Fraction(rate).limit_denominator(1001)
    if abs(float(near) - rate) < 1e-9:
        return near
    raise ValueError(f"rate {rate!r} is not a rational rate Dubline knows")


def _to_frames(rt, fps: Fraction) -> int:
    """An OTIO RationalTime as integer frames at ``fps``, rounded once."""
    value = Fraction(rt.value).limit_denominator(1_000_000)
    if abs(float(value) - rt.value) > 1e-6:
        value = Fraction(rt.value)
    return round_half_up(value * fps / exact_rate(rt.rate))


def read_otio(path: str | Path, options: OtioReadOptions = OtioReadOptions()) -> OtioDialogue:
    """Read dialogue lines from an OTIO file (any format OTIO has an adapter for)."""
    timeline = load_timeline(path)
    return lines_from_timeline(timeline, options, Path(path))


def load_timeline(path: str | Path):
    import opentimelineio as otio

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("no such timeline file", file=path))
    try:
        obj = otio.adapters.read_from_file(str(path))
    except Exception as e:  # OTIO raises assorted exception types for unreadable input
        raise InputError(Problem(f"not a timeline OpenTimelineIO can read: {e}", file=path)) from e
    if isinstance(obj, otio.schema.SerializableCollection):
        timelines = list(obj.find_children(descended_from_type=otio.schema.Timeline))
        if len(timelines) != 1:
            raise InputError(Problem(f"file holds {len(timelines)} timelines; export one", file=path))
        obj = timelines[0]
    if not isinstance(obj, otio.schema.Timeline):
        raise InputError(Problem(f"holds a {obj.schema_name()}, not a Timeline", file=path))
    return obj


def timeline_rate(timeline, options: OtioReadOptions, path: Path | None) -> FrameRate:
    """The timeline's frame rate: the override, else its start time's, else its clips'."""
    if options.rate is not None:
        check_rate(options.rate.fps, str(path))
        return options.rate
    rt = timeline.global_start_time
    raw = rt.rate if rt is not None else None
    if raw is None:
        rates = [c.trimmed_range().duration.rate for c in timeline.find_clips()]
        raw = max(set(rates), key=rates.count) if rates else 24.0
    try:
        fps = exact_rate(raw)
        check_rate(fps, str(path))
    except (ValueError, TimeFormatError) as e:
        raise TimeFormatError(
            f"{path}: unsupported frame rate {raw!r} in timeline {timeline.name!r} ({e}); "
            f"pass the rate explicitly (--fps) if the file's rate is mislabelled"
        ) from None
    drop = _drop_frame_hint(timeline, fps)
    return FrameRate(fps.numerator, fps.denominator, drop)


def _drop_frame_hint(timeline, fps: Fraction) -> bool:
    """OTIO has no drop-frame flag: use metadata when an exporter left it, else OTIO's rule.

    OTIO (and the FCP XML adapter) treat 29.97 and 59.94 as drop-frame by default.
    """
    if fps not in (Fraction(30000, 1001), Fraction(60000, 1001)):
        return False
    md = dict(timeline.metadata)
    ours = dict(md.get(NAMESPACE) or {})
    if "drop_frame" in ours:
        return bool(ours["drop_frame"])
    fmt = str((((md.get("fcp_xml") or {}).get("timecode") or {}).get("displayformat")) or "")
    if fmt:
        return fmt.upper() == "DF"
    return True


def lines_from_timeline(timeline, options: OtioReadOptions = OtioReadOptions(),
                        path: Path | None = None) -> OtioDialogue:
    rate = timeline_rate(timeline, options, path)
    gst = timeline.global_start_time
    start_frame = _to_frames(gst, rate.fps) if gst is not None else 0
    info = TimelineInfo(timeline.name or (path.stem if path else "timeline"), rate, start_frame,
                        options.sample_rate, path)
    result = OtioDialogue([], info)
    reader = _Reader(timeline, rate.fps, path, result)

    tracks = _dialogue_tracks(timeline, options, path)
    for track in tracks:
        result.tracks_read.append(track.name or "(unnamed)")
        reader.read_track(track)
    if options.markers or (options.track is None and not tracks):
        reader.read_markers()

    if reader.problems:
        raise InputError(reader.problems)
    if not reader.lines:
        looked = ", ".join(repr(t) for t in result.tracks_read) or "none"
        names = ", ".join(repr(t.name) for t in timeline.tracks) or "none"
        marker_note = (f"{result.markers_read} marker(s) read" if (options.markers or not tracks)
                       else "markers not read (use --markers)")
        skipped = f"; skipped: {'; '.join(result.skipped[:5])}" if result.skipped else ""
        raise InputError(Problem(
            f"no dialogue found: dialogue tracks read: {looked} (timeline tracks: {names}); "
            f"{marker_note}{skipped}. Name the track with --track or put text in clip "
            f"metadata under '{NAMESPACE}'", file=path))
    result.lines = _unique_ids(sorted(reader.lines, key=lambda l: (l.range.start, l.range.end, l.id)))
    return result


def _dialogue_tracks(timeline, options: OtioReadOptions, path: Path | None) -> list:
    tracks = list(timeline.tracks)
    if options.track is not None:
        chosen = [t for t in tracks if (t.name or "") == options.track]
        if not chosen:
            chosen = [t for t in tracks if (t.name or "").lower() == options.track.lower()]
        if not chosen:
            names = ", ".join(repr(t.name) for t in tracks) or "none"
            raise InputError(Problem(f"no track named {options.track!r} (tracks: {names})",
                                     file=path))
        return chosen
    return [t for t in tracks if DIALOGUE_TRACK.search(t.name or "")
            and not (t.name or "").startswith(OUTPUT_TRACK_PREFIX)]


class _Reader:
    """Walks items, turning each into a Line at its position from the timeline origin."""

    def __init__(self, timeline, fps: Fraction, path: Path | None, result: OtioDialogue):
        self.timeline = timeline
        self.fps = fps
        self.path = path
        self.result = result
        self.lines: list[Line] = []
        self.problems: list[Problem] = []
        self._index = 0

    def read_track(self, track) -> None:
        import opentimelineio as otio

        for clip in _clips_in(track):
            md = _ours(clip)
            text = str(md.get("text") or "").strip()
            if not text:
                name = (clip.name or "").strip()
                if not name or _MEDIA_NAME.search(name):
                    self.result.skipped.append(f"clip {name or '(unnamed)'!r} has no dialogue text")
                    continue
                text = name
            try:
                rng = clip.transformed_time_range(clip.trimmed_range(), self.timeline.tracks)
            except otio.exceptions.OTIOError as e:
                self.problems.append(Problem(f"cannot place clip: {e}", file=self.path, cue=clip.name))
                continue
            self._add(clip.name, text, md, rng, "clip")

    def read_markers(self) -> None:
        stack = self.timeline.tracks
        for marker in stack.markers:
            self._marker(marker, stack, top_level=True)
        for item in stack.find_children():
            for marker in getattr(item, "markers", []):
                self._marker(marker, item)

    def _marker(self, marker, owner, top_level: bool = False) -> None:
        self.result.markers_read += 1
        md = _ours(marker)
        text = str(md.get("text") or marker.comment or marker.name or "").strip()
        if not text:
            self.result.skipped.append(f"marker at {marker.marked_range.start_time} has no text")
            return
        mr = marker.marked_range
        if mr.duration.value <= 0:
            self.problems.append(Problem(
                "marker has no duration; give it one in the editor (the line's slot is the "
                "marker's length)", file=self.path, cue=marker.name or text[:30]))
            return
        rng = mr if top_level else owner.transformed_time_range(mr, self.timeline.tracks)
        if top_level:
            rng = self._absolute_marker_fix(rng)
        self._add(marker.name, text, md, rng, "marker")

    def _absolute_marker_fix(self, rng):
        """Some exporters write timeline markers in absolute time (from 00:00:00:00).

        OTIO says stack markers are relative to the stack; a marker past the timeline's end
        but inside it once the start time is removed is taken as absolute, with a log note.
        """
        gst = self.timeline.global_start_time
        if gst is None or gst.value <= 0:
            return rng
        start = _to_frames(rng.start_time, self.fps)
        total = _to_frames(self.timeline.duration(), self.fps)
        offset = _to_frames(gst, self.fps)
        if start >= total and 0 <= start - offset < total:
            log.info("marker at frame %d read as absolute time (timeline starts at %d)", start, offset)
            return rng.__class__(rng.start_time - gst.rescaled_to(rng.start_time.rate), rng.duration)
        return rng

    def _add(self, name: str | None, text: str, md: dict, rng, kind: str) -> None:
        start = _to_frames(rng.start_time, self.fps)
        end = _to_frames(rng.end_time_exclusive(), self.fps)
        cue = md.get("id") or name or None
        if end <= start:
            self.problems.append(Problem(f"{kind} is shorter than a frame", file=self.path, cue=cue))
            return
        if start < 0:
            self.problems.append(Problem(f"{kind} starts before the timeline", file=self.path, cue=cue))
            return
        self._index += 1
        line_id = str(md.get("id") or (name or "").strip() or f"{kind}{self._index}")
        try:
            emotion = _emotion(md.get("emotion"))
        except ValueError as e:
            self.problems.append(Problem(str(e), file=self.path, cue=line_id))
            return
        self.lines.append(Line(
            id=line_id, text=text, range=TimeRange(start, end, self.fps),
            speaker=_opt_str(md.get("speaker")), voice=_opt_str(md.get("voice")),
            emotion=emotion, source=SourceRef(self.path, None, name or line_id),
        ))


def _clips_in(composition) -> Iterator:
    """Clips in a track, descending into nested stacks and tracks; transitions skipped."""
    import opentimelineio as otio

    for item in composition:
        if isinstance(item, otio.schema.Clip):
            if item.enabled:
                yield item
        elif isinstance(item, otio.core.Composition):
            if item.enabled:
                yield from _clips_in(item)


def _ours(item) -> dict:
    md = item.metadata.get(NAMESPACE) if item.metadata else None
    return dict(md) if md else {}


def _opt_str(value) -> str | None:
    return str(value).strip() or None if value is not None else None


def _emotion(value) -> Emotion | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = {"preset": value} if value.lower() in EMOTIONS else {"description": value}
    value = dict(value)
    preset = value.get("preset")
    if preset is not None and str(preset).lower() not in EMOTIONS:
        raise ValueError(f"unknown emotion {preset!r} (known: {', '.join(EMOTIONS)})")
    vector = value.get("vector")
    if vector is not None and len(vector) != len(EMOTIONS):
        raise ValueError(f"emotion vector needs {len(EMOTIONS)} weights ({', '.join(EMOTIONS)})")
    return Emotion(
        preset=str(preset).lower() if preset else None,
        intensity=float(value["intensity"]) if "intensity" in value else None,
        vector=tuple(float(v) for v in vector) if vector is not None else None,
        reference=Path(value["reference"]) if value.get("reference") else None,
        description=value.get("description"),
    )


def _unique_ids(lines: list[Line]) -> list[Line]:
    """Ids as read, made unique in timeline order by a '~2', '~3' suffix on repeats."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out = []
    for line in lines:
        n = seen.get(line.id, 0) + 1
        seen[line.id] = n
        out.append(line if n == 1 else replace(line, id=f"{line.id}~{n}"))
    return out
