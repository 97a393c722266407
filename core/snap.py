"""Snap lines to a video frame grid, so dubbed audio starts and ends on frames."""
from __future__ import annotations

from dataclasses import replace

from .lines import Line
from .timebase import FrameRate, TimeRange, round_half_up


def snap_to_frames(lines: list[Line], rate: FrameRate) -> list[Line]:
    """Each line's start and end moved to the nearest frame boundary at ``rate``.

    A line is never snapped to zero length: it keeps at least one frame.
    """
    out = []
    for line in lines:
        start = round_half_up(line.range.start_seconds * rate.fps)
        end = max(start + 1, round_half_up(line.range.end_seconds * rate.fps))
        out.append(replace(line, range=TimeRange.from_frames(start, end, rate)))
    return out
