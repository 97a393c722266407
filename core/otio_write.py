"""The dub as a timeline: an audio track of stems at their exact times, exported via OTIO.

``dub_timeline`` copies the input timeline (or makes a standalone one for SRT input) and
adds an audio track "Dubline - <voice>" with one clip per line, each referencing its stem by
absolute file URL, gaps between. Times are integer frames at the timeline's exact rate.
``write_timeline`` exports through OTIO's adapters (.otio, FCP 7 XML, FCPXML) atomically.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .errors import OutputError
from .files import atomic_path
from .lines import Line
from .otio_read import NAMESPACE, OUTPUT_TRACK_PREFIX
from .otio_resolve import resolve_shaped
from .timebase import round_half_up
from .timeline_info import TimelineInfo

log = logging.getLogger(__name__)

# Format name -> (OTIO adapter, file suffix). FCPXML (otio-fcpx-xml-adapter 1.0.0) is not
# offered: it fails on 23.976/29.97 timelines and at integer rates reads back without the
# start timecode and with its tracks renamed and reordered (README, "Timelines").
FORMATS: dict[str, tuple[str, str]] = {
    "otio": ("otio_json", ".otio"),
    "fcp7": ("fcp_xml", ".xml"),
}


@dataclass(frozen=True)
class PlacedStem:
    """A line's audio file and where it sits (frames from the timeline origin)."""

    line: Line
    file: Path


def _frames(line: Line, fps: Fraction) -> tuple[int, int]:
    """The line's range in frames at ``fps``; exact when the line is already on frames."""
    r = line.range
    if r.rate == fps:
        return r.start, r.end
    start = round_half_up(Fraction(r.start) * fps / r.rate)
    end = round_half_up(Fraction(r.end) * fps / r.rate)
    log.debug("line %s is not on the frame grid; placed at frames %d-%d", line.id, start, end)
    return start, max(end, start + 1)


def dub_track(stems: Iterable[PlacedStem], info: TimelineInfo, voice_label: str):
    """An OTIO audio track with a clip per stem and gaps between, in timeline order."""
    import opentimelineio as otio

    fps = info.rate.fps
    rate = float(fps)
    track = otio.schema.Track(name=f"{OUTPUT_TRACK_PREFIX}{voice_label}",
                              kind=otio.schema.TrackKind.Audio)
    cursor = 0
    for stem in sorted(stems, key=lambda s: (s.line.range.start_seconds, s.line.id)):
        start, end = _frames(stem.line, fps)
        if start < cursor:
            log.warning("line %s overlaps the previous one; trimmed its start in the timeline",
                        stem.line.id)
            start = cursor
            if end <= start:
                continue
        if start > cursor:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(start - cursor, rate))))
        # The stem's media starts at its own timecode (as its BWF TimeReference says), so
        # source in-points match what editors read from the file.
        media_start = otio.opentime.RationalTime(info.start_frame + start, rate)
        duration = otio.opentime.RationalTime(end - start, rate)
        ref = otio.schema.ExternalReference(
            target_url=Path(stem.file).resolve().as_uri(),
            available_range=otio.opentime.TimeRange(media_start, duration),
        )
        clip = otio.schema.Clip(
            name=stem.line.id, media_reference=ref,
            source_range=otio.opentime.TimeRange(media_start, duration),
            metadata={NAMESPACE: _line_metadata(stem.line)},
        )
        track.append(clip)
        cursor = end
    return track


def _line_metadata(line: Line) -> dict:
    md = {"id": line.id, "text": line.text}
    if line.speaker:
        md["speaker"] = line.speaker
    if line.voice:
        md["voice"] = line.voice
    if line.emotion and line.emotion.preset:
        md["emotion"] = line.emotion.preset
    return md


def dub_timeline(stems: Iterable[PlacedStem], info: TimelineInfo, voice_label: str, source=None):
    """A copy of ``source`` (an OTIO Timeline) plus the dub track, or a new timeline."""
    import opentimelineio as otio

    rate = float(info.rate.fps)
    if source is not None:
        timeline = copy.deepcopy(source)
        # A re-run replaces the previous dub track instead of stacking another one.
        for track in [t for t in timeline.tracks if (t.name or "") == f"{OUTPUT_TRACK_PREFIX}{voice_label}"]:
            timeline.tracks.remove(track)
    else:
        timeline = otio.schema.Timeline(name=info.name)
    timeline.global_start_time = otio.opentime.RationalTime(info.start_frame, rate)
    md = dict(timeline.metadata.get(NAMESPACE) or {})
    md.update({"drop_frame": info.rate.drop_frame, "rate": info.rate.label,
               "start_timecode": info.start_timecode, "sample_rate": info.sample_rate})
    timeline.metadata[NAMESPACE] = md
    if info.rate.drop_frame or info.rate.fps.denominator == 1001:
        # The FCP XML adapter writes NDF unless told; say what the timeline's timecode is.
        fcp = dict(timeline.metadata.get("fcp_xml") or {})
        tc = dict(fcp.get("timecode") or {})
        # (displayformat only: the adapter's own timebase/ntsc keys break its writer.)
        tc["displayformat"] = "DF" if info.rate.drop_frame else "NDF"
        fcp["timecode"] = tc
        timeline.metadata["fcp_xml"] = fcp
    timeline.tracks.append(dub_track(stems, info, voice_label))
    return timeline


def write_timeline(timeline, out_dir: Path, stem_name: str, formats: Iterable[str],
                   root: Path | None = None) -> list[Path]:
    """Export ``timeline`` as ``out_dir/<stem_name><suffix>`` per format; atomic writes, confined
    to ``root`` (no symlink below it followed; default ``out_dir``)."""
    import opentimelineio as otio

    written = []
    for fmt in formats:
        try:
            adapter, suffix = FORMATS[fmt]
        except KeyError:
            raise OutputError(f"unknown timeline format {fmt!r} (known: {', '.join(FORMATS)})") from None
        target = Path(out_dir) / f"{stem_name}{suffix}"
        # .otio in the shape Resolve exports (its importer takes nothing else; otio_resolve.py).
        shaped = resolve_shaped(timeline) if fmt == "otio" else timeline
        try:
            text = otio.adapters.write_to_string(shaped, adapter_name=adapter)
        except Exception as e:  # adapters raise their own exception types
            raise OutputError(f"{target}: the {fmt} adapter could not write the timeline: {e}") from e
        _atomic_write_text(target, text, root)
        written.append(target)
    return written


def _atomic_write_text(path: Path, text: str, root: Path | None = None) -> None:
    with atomic_path(path, root=root) as tmp:
        tmp.write_text(text, encoding="utf-8")