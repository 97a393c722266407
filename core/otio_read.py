"""Dialogue lines from an OpenTimelineIO timeline: clips on a dialogue track, and markers.

OTIO stores times as floats (value, rate); every time read here is mapped to an exact rational
rate (23.976... -> 24000/1001) and to integer frames of the timeline rate, once, from its
position relative to the timeline origin. The timeline's start timecode comes back in a
``TimelineInfo`` beside the lines.

Text, speaker, emotion, voice and id come from the item's metadata under ``dubline``
(``{"dubline": {"text": ..., "speaker": ..., "emotion": "sad" | {...}, "id": ...}}``);
failing that the text is the clip's name, or the marker's comment, or its name.

Tracks are chosen by name, else by kind and index (``A2`` = second audio track, ``V1`` = first
video track: Premiere's exported tracks have no names). A nested stack shows only its trimmed
range, so a clip inside it is clipped to that range. Anything malformed in the file (metadata
of the wrong type, rates that are not rates) is an ``InputError`` naming the item.
"""
from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import InputError, Problem, TimeFormatError
from .lines import EMOTIONS, Emotion, Line, SourceRef
from .timebase import FrameRate, TimeRange, round_half_up
from .timeline_files import read_timeline_file
from .timeline_info import DEFAULT_SAMPLE_RATE, SUPPORTED_RATES, TimelineInfo, check_rate

log = logging.getLogger(__name__)

NAMESPACE = "dubline"
OUTPUT_TRACK_PREFIX = "Dubline - "
# Prefix of the JSON line metadata otio_write puts in a clip's FCP 7 master comment 4.
FCP_COMMENT_TAG = "dubline "
# Default dialogue tracks: names like "Dialogue", "DX", "Subtitles", "Captions".
DIALOGUE_TRACK = re.compile(r"dialog|subtitle|caption|\bdx\b", re.IGNORECASE)
_MEDIA_NAME = re.compile(r"\.(wav|aiff?|mp3|m4a|aac|flac|mov|mp4|mxf|r3d|braw|ari|dng)$", re.I)


@dataclass(frozen=True)
class OtioReadOptions:
    """What to read. ``track`` None means every track named like ``DIALOGUE_TRACK``; else a
    track name, or a kind and 1-based index (``A1``, ``V2``) when no track has that name.

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
    warnings: list[str] = field(default_factory=list)  # worth telling the user (CLI prints them)


def exact_rate(rate: float) -> Fraction:
    """The exact rational rate a float OTIO rate stands for (29.97002997 -> 30000/1001)."""
    if not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"rate {rate!r} is not a frame rate")
    for known in SUPPORTED_RATES:
        if abs(rate - float(known)) < 1e-3 * max(1.0, float(known)) / 100:
            return known
    near = Fraction(rate).limit_denominator(1001)
    if abs(float(near) - rate) < 1e-9:
        return near
    raise ValueError(f"rate {rate!r} is not a rational rate Dubline knows")


def _to_frames(rt, fps: Fraction) -> int:
    """An OTIO RationalTime as integer frames at ``fps``, rounded once.

    ValueError for a time that is not one (NaN or infinite value, a rate that is not a rate).
    """
    if not math.isfinite(rt.value):
        raise ValueError(f"time value {rt.value!r} is not a number of frames")
    value = Fraction(rt.value).limit_denominator(1_000_000)
    if abs(float(value) - rt.value) > 1e-6:
        value = Fraction(rt.value)
    return round_half_up(value * fps / exact_rate(rt.rate))


def read_otio(path: str | Path, options: OtioReadOptions = OtioReadOptions()) -> OtioDialogue:
    """Read dialogue lines from a timeline file (.otio, FCP 7 .xml, .edl, any OTIO adapter)."""
    timeline = load_timeline(path, options.rate)
    return lines_from_timeline(timeline, options, Path(path))


def load_timeline(path: str | Path, rate: FrameRate | None = None):
    """The one Timeline in ``path``; ``rate`` is needed for formats without one (EDL)."""
    import opentimelineio as otio

    path = Path(path)
    if not path.is_file():
        raise InputError(Problem("no such timeline file", file=path))
    obj = read_timeline_file(path, rate)
    if isinstance(obj, otio.schema.SerializableCollection):
        timelines = list(obj.find_children(descended_from_type=otio.schema.Timeline))
        if len(timelines) != 1:
            raise InputError(Problem(f"file holds {len(timelines)} timelines; export one", file=path))
        obj = timelines[0]
    if not isinstance(obj, otio.schema.Timeline):
        raise InputError(Problem(f"holds a {obj.schema_name()}, not a Timeline", file=path))
    if obj.tracks is None:
        raise InputError(Problem("timeline has no tracks (\"tracks\": null)", file=path))
    return obj


def timeline_rate(timeline, options: OtioReadOptions, path: Path | None) -> FrameRate:
    """The timeline's frame rate: the override, else its start time's, else its clips'."""
    if options.rate is not None:
        check_rate(options.rate.fps, str(path))
        return options.rate
    rt = timeline.global_start_time
    raw = rt.rate if rt is not None else None
    if raw is None:
        rates = [r.duration.rate for r in (_trimmed(c) for c in timeline.find_clips()) if r is not None]
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
    ours = _mapping(timeline.metadata.get(NAMESPACE))
    if "drop_frame" in ours:
        return bool(ours["drop_frame"])
    tc = _mapping(_mapping(timeline.metadata.get("fcp_xml")).get("timecode"))
    fmt = str(tc.get("displayformat") or "")
    if fmt:
        return fmt.upper() == "DF"
    return True


def lines_from_timeline(timeline, options: OtioReadOptions = OtioReadOptions(),
                        path: Path | None = None) -> OtioDialogue:
    if timeline.tracks is None:
        raise InputError(Problem("timeline has no tracks (\"tracks\": null)", file=path))
    _check_namespace(timeline, path)
    rate = timeline_rate(timeline, options, path)
    gst = timeline.global_start_time
    try:
        start_frame = _to_frames(gst, rate.fps) if gst is not None else 0
    except ValueError as e:
        raise TimeFormatError(f"{path}: the timeline's start time is not a time ({e})") from None
    if start_frame < 0:
        raise TimeFormatError(f"{path}: the timeline starts before 00:00:00:00 ({gst})")
    info = TimelineInfo(timeline.name or (path.stem if path else "timeline"), rate, start_frame,
                        options.sample_rate, path)
    result = OtioDialogue([], info)
    reader = _Reader(timeline, rate.fps, path, result)

    tracks = _dialogue_tracks(timeline, options, path)
    for track in tracks:
        result.tracks_read.append(track.name or track_label(timeline, track))
        reader.read_track(track)
    if options.markers or (options.track is None and not tracks):
        reader.read_markers()

    if reader.problems:
        raise InputError(reader.problems)
    if not reader.lines:
        looked = ", ".join(repr(t) for t in result.tracks_read) or "none"
        names = ", ".join(track_label(timeline, t) for t in timeline.tracks) or "none"
        marker_note = (f"{result.markers_read} marker(s) read" if (options.markers or not tracks)
                       else "markers not read (use --markers)")
        passed = result.warnings + result.skipped
        skipped = f"; skipped: {'; '.join(passed[:5])}" if passed else ""
        raise InputError(Problem(
            f"no dialogue found: dialogue tracks read: {looked} (timeline tracks: {names}); "
            f"{marker_note}{skipped}. Name the track with --track or put text in clip "
            f"metadata under '{NAMESPACE}'", file=path))
    result.lines = _unique_ids(sorted(reader.lines, key=lambda l: (l.range.start, l.range.end, l.id)))
    return result


_KIND_INDEX = re.compile(r"([AV])(\d+)", re.IGNORECASE)


def track_label(timeline, track) -> str:
    """How a track is named to the user: its name, and always its kind and index (A2, V1)."""
    import opentimelineio as otio

    kind = "A" if track.kind == otio.schema.TrackKind.Audio else "V"
    same = [t for t in timeline.tracks if isinstance(t, otio.schema.Track)
            and (t.kind == otio.schema.TrackKind.Audio) == (kind == "A")]
    index = next((i for i, t in enumerate(same, 1) if t is track), 0)
    return f"{kind}{index} {track.name!r}" if track.name else f"{kind}{index}"


def _dialogue_tracks(timeline, options: OtioReadOptions, path: Path | None) -> list:
    import opentimelineio as otio

    tracks = [t for t in timeline.tracks if isinstance(t, otio.schema.Track)]
    if options.track is not None:
        chosen = [t for t in tracks if (t.name or "") == options.track]
        if not chosen:
            chosen = [t for t in tracks if (t.name or "").lower() == options.track.lower()]
        by_kind = _KIND_INDEX.fullmatch(options.track.strip())
        if not chosen and by_kind:
            audio = by_kind.group(1).upper() == "A"
            same = [t for t in tracks if (t.kind == otio.schema.TrackKind.Audio) == audio]
            index = int(by_kind.group(2))
            chosen = same[index - 1:index] if index >= 1 else []
        listed = ", ".join(track_label(timeline, t) for t in tracks) or "none"
        if not chosen:
            raise InputError(Problem(f"no track named {options.track!r} (tracks: {listed})", file=path))
        if len(chosen) > 1 and not options.track.strip():
            # Premiere names no track: '' would read every track at once.
            raise InputError(Problem(f"{len(chosen)} tracks have no name; choose one by kind and "
                                     f"index, e.g. --track A1 or --track V2 (tracks: {listed})",
                                     file=path))
        return chosen
    dialogue = [t for t in tracks if DIALOGUE_TRACK.search(t.name or "")
                and not (t.name or "").startswith(OUTPUT_TRACK_PREFIX)]
    if dialogue:
        return dialogue
    # A timeline Dubline wrote (dub.otio, dub.xml) has only its output track: its clips carry
    # each line's id and text, so it reads back as the lines it was made from. (FCP 7 XML
    # loses the track's name: an unnamed track whose clips carry our text is read too.)
    return [t for t in tracks if (t.name or "").startswith(OUTPUT_TRACK_PREFIX)
            or (not t.name and any(_carries_text(c) for c, _ in _clips_in(t, timeline.tracks, None)))]


def _carries_text(clip) -> bool:
    try:
        return bool(_ours(clip).get("text"))
    except ValueError:  # malformed metadata: reported when the track is read
        return False


# What malformed items raise inside OTIO and the conversions here; each becomes a Problem.
# (OTIO raises NotImplementedError for the duration of an item without a range, e.g. a Gap.)
_BAD_ITEM = (ValueError, TypeError, ArithmeticError, NotImplementedError)


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

        try:
            for clip, window in _clips_in(track, self.timeline.tracks, None):
                self._clip(clip, window)
        except (otio.exceptions.OTIOError, *_BAD_ITEM) as e:
            self.problems.append(Problem(f"cannot read track: {e}", file=self.path,
                                         cue=track_label(self.timeline, track)))

    def _clip(self, clip, window) -> None:
        import opentimelineio as otio

        try:
            md = _ours(clip)
        except ValueError as e:
            self.problems.append(Problem(str(e), file=self.path, cue=clip.name or None))
            return
        text = str(md.get("text") or "").strip()
        if not text:
            name = (clip.name or "").strip()
            if not name or _MEDIA_NAME.search(name):
                self.result.skipped.append(f"clip {name or '(unnamed)'!r} has no dialogue text")
                return
            text = name
        try:
            rng = clip.transformed_time_range(clip.trimmed_range(), self.timeline.tracks)
        except (otio.exceptions.OTIOError, *_BAD_ITEM) as e:
            self.problems.append(Problem(f"cannot place clip: {e}", file=self.path, cue=clip.name))
            return
        if window is not None:
            clipped = _intersect(rng, window)
            if clipped is None:
                self.result.warnings.append(
                    f"clip {clip.name!r} lies outside the trimmed range of its nested stack; "
                    "not read")
                return
            rng = clipped
        self._add(clip.name, text, md, rng, "clip")

    def read_markers(self) -> None:
        import opentimelineio as otio

        stack = self.timeline.tracks
        owners = [(stack, True)] + [(item, False) for item in stack.find_children()]
        for owner, top in owners:
            for marker in getattr(owner, "markers", None) or []:
                try:
                    self._marker(marker, owner, top_level=top)
                except (otio.exceptions.OTIOError, *_BAD_ITEM) as e:
                    self.problems.append(Problem(f"cannot place marker: {e}", file=self.path,
                                                 cue=marker.name or None))

    def _marker(self, marker, owner, top_level: bool = False) -> None:
        self.result.markers_read += 1
        try:
            md = _ours(marker)
        except ValueError as e:
            self.problems.append(Problem(str(e), file=self.path, cue=marker.name or None))
            return
        # FCP 7 XML (Premiere's sequence markers) carries the comment as fcp_xml metadata.
        fcp = marker.metadata.get("fcp_xml") if marker.metadata else None
        fcp_comment = fcp.get("comment") if fcp is not None and hasattr(fcp, "get") else None
        text = str(md.get("text") or marker.comment or fcp_comment or marker.name or "").strip()
        mr = marker.marked_range
        if not text:
            self.result.skipped.append(f"marker at {mr.start_time} has no text")
            return
        if not mr.duration.value > 0:
            # Editors drop point markers everywhere (Premiere exports them by default); one
            # without a length has no slot to fill, so it is skipped, not fatal.
            self.result.warnings.append(
                f"marker {marker.name or text[:30]!r} at "
                f"{mr.start_time.value:g}/{mr.start_time.rate:g} has no duration and was skipped "
                "(give it a length in the editor: the line's slot is the marker's length)")
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
        cue = _opt_str(md.get("id")) or name or None
        try:
            start = _to_frames(rng.start_time, self.fps)
            end = _to_frames(rng.end_time_exclusive(), self.fps)
        except _BAD_ITEM as e:
            self.problems.append(Problem(f"{kind} has no usable time ({e})", file=self.path, cue=cue))
            return
        if end <= start:
            self.problems.append(Problem(f"{kind} is shorter than a frame", file=self.path, cue=cue))
            return
        if start < 0:
            self.problems.append(Problem(f"{kind} starts before the timeline", file=self.path, cue=cue))
            return
        self._index += 1
        line_id = cue.strip() if cue and cue.strip() else f"{kind}{self._index}"
        try:
            emotion = _emotion(md.get("emotion"))
        except (ValueError, TypeError) as e:
            self.problems.append(Problem(str(e), file=self.path, cue=line_id))
            return
        self.lines.append(Line(
            id=line_id, text=text, range=TimeRange(start, end, self.fps),
            speaker=_opt_str(md.get("speaker")), voice=_opt_str(md.get("voice")),
            emotion=emotion, source=SourceRef(self.path, None, name or line_id),
        ))


def _clips_in(composition, top, window) -> Iterator:
    """(clip, visible window in top-level time or None) for the clips in a track.

    Descends into nested stacks and tracks (transitions skipped). A nested composition shows
    only its trimmed range: what lies past it is cut off, so each clip carries the window it
    is visible through.
    """
    import opentimelineio as otio

    for item in composition:
        if not getattr(item, "enabled", True):  # transitions have no enabled flag
            continue
        if isinstance(item, otio.schema.Clip):
            yield item, window
        elif isinstance(item, otio.core.Composition):
            inner = window
            if item.source_range is not None:
                shown = item.transformed_time_range(item.trimmed_range(), top)
                inner = shown if window is None else _intersect(shown, window)
                if inner is None:  # hidden entirely by an outer trim
                    continue
            yield from _clips_in(item, top, inner)


def _intersect(a, b):
    """The overlap of two OTIO TimeRanges, or None when they do not overlap."""
    start = max(a.start_time, b.start_time)
    end = min(a.end_time_exclusive(), b.end_time_exclusive())
    if end <= start:
        return None
    return a.__class__(start, end - start)


def _trimmed(clip):
    try:
        return clip.trimmed_range()
    except Exception:  # a clip with no source or available range has no length to count
        return None


def _mapping(value) -> dict:
    """``value`` as a dict when it is a mapping (OTIO's AnyDictionary is one), else empty."""
    try:
        return dict(value) if hasattr(value, "keys") else {}
    except (TypeError, ValueError):
        return {}


def _check_namespace(timeline, path: Path | None) -> None:
    ours = timeline.metadata.get(NAMESPACE) if timeline.metadata else None
    if ours is not None and not hasattr(ours, "keys"):
        raise InputError(Problem(f"timeline metadata '{NAMESPACE}' must be a mapping, "
                                 f"not {type(ours).__name__}", file=path))


def _ours(item) -> dict:
    md = item.metadata.get(NAMESPACE) if item.metadata else None
    if md is not None:
        if not hasattr(md, "keys"):
            raise ValueError(f"metadata '{NAMESPACE}' must be a mapping like "
                             f'{{"text": ..., "id": ...}}, not {type(md).__name__}')
        if md:
            return dict(md)
    # Read back from FCP 7 XML, which keeps only the master comments Dubline wrote.
    fcp = item.metadata.get("fcp_xml") if item.metadata else None
    comments = fcp.get("comments") if fcp is not None and hasattr(fcp, "get") else None
    comment = comments.get("mastercomment4") if comments is not None and hasattr(comments, "get") else None
    if isinstance(comment, str) and comment.startswith(FCP_COMMENT_TAG):
        try:
            md = json.loads(comment[len(FCP_COMMENT_TAG):])
        except ValueError:
            return {}
        return dict(md) if isinstance(md, dict) else {}
    return {}


def _opt_str(value) -> str | None:
    return str(value).strip() or None if value is not None else None


def _emotion(value) -> Emotion | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = {"preset": value} if value.lower() in EMOTIONS else {"description": value}
    if not hasattr(value, "keys"):
        raise ValueError(f"emotion must be a preset name or a mapping "
                         f"({{\"preset\"|\"vector\"|\"description\": ...}}), not {type(value).__name__}")
    value = dict(value)
    preset = value.get("preset")
    if preset is not None and str(preset).lower() not in EMOTIONS:
        raise ValueError(f"unknown emotion {preset!r} (known: {', '.join(EMOTIONS)})")
    vector = value.get("vector")
    if vector is not None and (isinstance(vector, (str, bytes)) or not hasattr(vector, "__len__")
                               or len(vector) != len(EMOTIONS)):
        raise ValueError(f"emotion vector needs {len(EMOTIONS)} weights ({', '.join(EMOTIONS)})")
    intensity = _finite(value["intensity"], "emotion intensity") if "intensity" in value else None
    weights = tuple(_finite(v, "emotion vector weight") for v in vector) if vector is not None else None
    description = value.get("description")
    return Emotion(
        preset=str(preset).lower() if preset else None,
        intensity=intensity,
        vector=weights,
        reference=Path(str(value["reference"])) if value.get("reference") else None,
        description=str(description) if description is not None else None,
    )


def _finite(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    return number


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
