"""OTIO timelines built in code for the tests: dialogue clips, markers, nested stacks."""
from __future__ import annotations

from fractions import Fraction
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
    tl = otio.schema.Timeline(name=name, global_start_time=RT(rate.frames(start_tc), fps))
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
