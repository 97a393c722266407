"""The dub timeline in the shape each export adapter can write, decided before any audio.

OTIO's writers accept less than OTIO's model allows, and fail with bare Python errors:

- FCP 7 XML (otio-fcp-adapter 1.0) needs every clip to have a source range and every media
  reference an available range (``'NoneType' object has no attribute 'start_time'`` on clips
  from EDLs, on clips that rely on their media's range, and on missing media); it cannot
  write a generator it did not read itself, nor a nested stack holding clips directly. The
  copy is repaired where the repair keeps every position: ranges filled from each other,
  other references made missing references of the same range, clips inside a stack wrapped
  in a track each. If it still cannot be written, the XML holds the dub track alone, on a
  timeline with the same start timecode, and a warning says so.
- CMX 3600 EDL (otio-cmx3600-adapter 1.0) writes one track and wants exactly one video
  track; record timecodes count from the track's start. The EDL holds the dub track alone,
  led by a gap up to its start timecode, so each event's record-in is its absolute timecode.

``shape_for`` is run for every requested format before rendering (``check_formats``), so a
format that cannot be written stops the run before any audio is made.
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

from .errors import OutputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shaped:
    """A timeline ready for one adapter, its text, and what was given up to get there."""

    fmt: str
    text: str
    warning: str | None = None


def shape_for(timeline, fmt: str, adapter: str, resolve_shaped) -> Shaped:
    """``timeline`` written by ``adapter`` (text), repaired or reduced as the format needs.

    Raises OutputError when even the reduced timeline cannot be written.
    """
    import opentimelineio as otio

    if fmt == "otio":
        return Shaped(fmt, _write(resolve_shaped(timeline), adapter, fmt))
    if fmt == "edl":
        return Shaped(fmt, _write(_edl_timeline(timeline), adapter, fmt))
    if fmt == "fcp7":
        repaired = _fcp7_repaired(timeline)
        try:
            return Shaped(fmt, otio.adapters.write_to_string(repaired, adapter_name=adapter))
        except Exception as e:  # the adapter fails with assorted Python errors
            reason = _one_line(e)
        alone = _dub_only(timeline)
        return Shaped(fmt, _write(alone, adapter, fmt),
                      f"the FCP 7 XML holds only the dub track: the adapter cannot write the "
                      f"source timeline ({reason})")
    return Shaped(fmt, _write(timeline, adapter, fmt))


def _write(timeline, adapter: str, fmt: str) -> str:
    import opentimelineio as otio

    try:
        return otio.adapters.write_to_string(timeline, adapter_name=adapter)
    except Exception as e:  # adapters raise their own exception types
        raise OutputError(f"the {fmt} adapter cannot write this timeline: {_one_line(e)}; "
                          f"leave {fmt} out of --timeline") from None


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return f"{type(e).__name__}: {text}"[:300]


def _dub_track(timeline):
    """The last track: dub_timeline always appends the dub track last."""
    return timeline.tracks[-1]


def _dub_only(timeline):
    """A timeline with the same name, start and metadata holding just the dub track."""
    import opentimelineio as otio

    alone = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time,
                                 metadata=copy.deepcopy(timeline.metadata))
    alone.tracks.append(copy.deepcopy(_dub_track(timeline)))
    return alone


def _edl_timeline(timeline):
    """The dub track alone, led by a gap to its start timecode, plus the empty video track
    the adapter requires (it writes the first track only)."""
    import opentimelineio as otio

    track = copy.deepcopy(_dub_track(timeline))
    gst = timeline.global_start_time
    if gst is not None and gst.value > 0:
        track.insert(0, otio.schema.Gap(source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, gst.rate), gst)))
    edl = otio.schema.Timeline(name=timeline.name)
    edl.tracks.append(track)
    edl.tracks.append(otio.schema.Track(name="V", kind=otio.schema.TrackKind.Video))
    return edl


def _fcp7_repaired(timeline):
    """A copy whose clips, references and stacks the FCP 7 XML writer can take."""
    import opentimelineio as otio

    fixed = copy.deepcopy(timeline)
    for clip in list(fixed.find_clips()):
        ref = clip.media_reference
        available = getattr(ref, "available_range", None)
        if clip.source_range is None and available is not None:
            clip.source_range = available
        if clip.source_range is None:
            continue  # no length anywhere: the writer's failure sends us to the dub-only XML
        if not isinstance(ref, otio.schema.ExternalReference) or available is None:
            # Missing media, generators and references without a range: a missing reference
            # of the clip's own range keeps the clip, its name and its place.
            target = getattr(ref, "target_url", None)
            clip.media_reference = (
                otio.schema.ExternalReference(target_url=target, available_range=clip.source_range)
                if isinstance(ref, otio.schema.ExternalReference) and target
                else otio.schema.MissingReference(name=getattr(ref, "name", "") or clip.name,
                                                  available_range=clip.source_range))
    for track in list(fixed.find_children(descended_from_type=otio.schema.Track)):
        for index, child in enumerate(list(track)):
            if isinstance(child, otio.schema.Track):  # a track directly in a track: nest it
                track.remove(child)
                holder = otio.schema.Stack(name=child.name or "")
                holder.append(child)
                track.insert(index, holder)
    for stack in list(fixed.find_children(descended_from_type=otio.schema.Stack)):
        for index, child in enumerate(list(stack)):
            if not isinstance(child, otio.schema.Track):
                kind = otio.schema.TrackKind.Video
                stack.remove(child)
                holder = otio.schema.Track(name=child.name or "", kind=kind)
                holder.append(child)
                stack.insert(index, holder)
    return fixed
