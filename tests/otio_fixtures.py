"""OTIO timelines built in code for the tests: dialogue clips, markers, nested stacks."""
from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

from dubline.core.timebase import FrameRate

RT = otio.opentime.RationalTime
TR = otio.opentime.TimeRange


def _range(start: int, dur: int, rate: float) -> otio.opentime.TimeRange:
    return TR(RT(start, rate), RT(dur, rate))


def dialogue_timeline(rate: FrameRate, start_tc: str = "01:00:00:00",
                      cues: list[tuple[str, int, int]] | None = None,
                      name: str = "cut") -> otio.schema.Timeline:
    """Picture track, a "Dialogue" track of text clips (metadata), gaps between.

    ``cues``: (text, start frame, end frame) relative to the timeline origin.
    """
    fps = float(rate.fps)
    cues = cues or [("Hello there.", 24, 72), ("How are you?", 96, 150), ("Fine, thanks.", 160, 200)]
    tl = otio.schema.Timeline(name=name, global_start_time=RT(rate.frames(start_tc), fps),
                              metadata={"dubline": {"drop_frame": rate.drop_frame}})
    picture = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    picture.append(otio.schema.Clip(name="A001_C001.mov", source_range=_range(1000, cues[-1][2] + 48, fps),
                                    media_reference=otio.schema.ExternalReference(
                                        target_url="file:///media/A001_C001.mov",
                                        available_range=_range(0, 10000, fps))))
    dx = otio.schema.Track(name="Dialogue", kind=otio.schema.TrackKind.Video)
    cursor = 0
    for i, (text, s, e) in enumerate(cues):
        if s > cursor:
            dx.append(otio.schema.Gap(source_range=_range(0, s - cursor, fps)))
        dx.append(otio.schema.Clip(
            name=f"sub{i + 1}", source_range=_range(0, e - s, fps),
            metadata={"dubline": {"text": text, "id": f"L{i + 1:03d}", "speaker": "ANNA"}}))
        cursor = e
    tl.tracks.append(picture)
    tl.tracks.append(dx)
    return tl


def write(tl: otio.schema.Timeline, path: Path) -> Path:
    otio.adapters.write_to_file(tl, str(path))
    return path


def marker_timeline(rate: FrameRate, start_tc: str = "01:00:00:00") -> otio.schema.Timeline:
    """Dialogue only in markers: on the timeline, on a track, and on a clip (source time)."""
    fps = float(rate.fps)
    tl = otio.schema.Timeline(name="markers", global_start_time=RT(rate.frames(start_tc), fps))
    v1 = otio.schema.Track(name="V1")
    v1.append(otio.schema.Gap(source_range=_range(0, 48, fps)))
    clip = otio.schema.Clip(name="A001_C002.mov", source_range=_range(500, 300, fps))
    # Clip markers live in the clip's source time: frame 560 of the media = 60 frames into
    # the clip = frame 108 of the timeline.
    clip.markers.append(otio.schema.Marker(name="Marker 1", marked_range=_range(560, 30, fps),
                                           comment="Get down!"))
    v1.append(clip)
    tl.tracks.append(v1)
    tl.tracks.markers.append(otio.schema.Marker(
        name="Where were you?", marked_range=_range(10, 20, fps),
        metadata={"dubline": {"id": "M-1", "speaker": "BOB", "emotion": "angry"}}))
    v1.markers.append(otio.schema.Marker(name="Over here.", marked_range=_range(200, 25, fps)))
    return tl


def nested_timeline(rate: FrameRate) -> otio.schema.Timeline:
    """Dialogue clips inside a nested stack (trimmed) and around a transition."""
    fps = float(rate.fps)
    tl = otio.schema.Timeline(name="nested", global_start_time=RT(rate.frames("01:00:00:00"), fps))
    dx = otio.schema.Track(name="Subtitles")
    dx.append(otio.schema.Clip(name="First line.", source_range=_range(0, 40, fps)))
    dx.append(otio.schema.Transition(in_offset=RT(5, fps), out_offset=RT(5, fps)))
    dx.append(otio.schema.Clip(name="Second line.", source_range=_range(0, 30, fps)))
    inner_track = otio.schema.Track(name="inner")
    inner_track.append(otio.schema.Gap(source_range=_range(0, 20, fps)))
    inner_track.append(otio.schema.Clip(name="Nested line.", source_range=_range(0, 50, fps)))
    stack = otio.schema.Stack(name="compound", source_range=_range(10, 60, fps))
    stack.append(inner_track)
    dx.append(stack)
    tl.tracks.append(dx)
    return tl
