"""Opening timeline files: which OTIO adapter reads them and what each format leaves out.

OTIO picks the adapter from the suffix (.otio, .xml for FCP 7 XML, .edl for CMX 3600). Two
formats need help to give exact positions:

- EDL has no frame rate (the adapter assumes 24 fps), so ``--fps`` is required for it; and
  the adapter keeps the record timecode of each track's first event only as a negative
  track trim; that is turned back into the timeline's global start time (the earliest first
  event) and a leading gap per track, so every event keeps its record timecode.
- A file written by a newer OpenTimelineIO fails with "unsupported schema version"; this
  names the schemas the installed OpenTimelineIO does not know and its version.
"""
from __future__ import annotations

import re
from pathlib import Path

from .errors import InputError, Problem
from .timebase import FrameRate

EDL_SUFFIXES = (".edl",)
_SCHEMA = re.compile(r'"OTIO_SCHEMA"\s*:\s*"([A-Za-z_]\w*)\.(\d+)"')


def read_timeline_file(path: Path, rate: FrameRate | None = None):
    """The OTIO object in ``path`` (Timeline or collection), or an InputError naming why not."""
    import opentimelineio as otio

    is_edl = path.suffix.lower() in EDL_SUFFIXES
    if is_edl and rate is None:
        raise InputError(Problem("an EDL carries no frame rate: give it with --fps (e.g. --fps 25, "
                                 "--fps '29.97 DF')", file=path))
    kwargs = {"rate": float(rate.fps)} if is_edl and rate is not None else {}
    try:
        obj = otio.adapters.read_from_file(str(path), **kwargs)
    except otio.exceptions.UnsupportedSchemaError as e:
        raise InputError(Problem(_newer_schema(path, e), file=path)) from None
    except Exception as e:  # OTIO and its adapters raise assorted exception types for bad input
        raise InputError(Problem(f"not a timeline OpenTimelineIO can read: {_one_line(e)}",
                                 file=path)) from None
    if is_edl and rate is not None and isinstance(obj, otio.schema.Timeline):
        _edl_origin(obj)
    return obj


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _newer_schema(path: Path, e: Exception) -> str:
    """Which schema versions in the file the installed OpenTimelineIO does not know."""
    import opentimelineio as otio

    known = otio.core.type_version_map()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    newer = sorted({f"{name}.{v}" for name, v in _SCHEMA.findall(text)
                    if name in known and int(v) > known[name]})
    have = ", ".join(f"{n.split('.')[0]}.{known[n.split('.')[0]]}" for n in newer)
    if newer:
        return (f"written by a newer OpenTimelineIO: it uses schema {', '.join(newer)}, but the "
                f"installed OpenTimelineIO {otio.__version__} reads only {have}; install a newer "
                f"OpenTimelineIO (pip install -U opentimelineio) or export with an older schema")
    return (f"not readable by OpenTimelineIO {otio.__version__} ({_one_line(e)}); it may have "
            f"been written by a newer OpenTimelineIO (pip install -U opentimelineio)")


def _edl_origin(timeline) -> None:
    """Give an EDL timeline its record timecode back, as a start time and leading gaps.

    The adapter starts each track at its first event and keeps that event's record-in only
    as a negative track trim (``source_range.start_time = -record_in``); items inside keep
    their offsets. The earliest first event becomes the timeline's global start time, and
    each track starts with a gap up to its own first event.
    """
    import opentimelineio as otio

    firsts = {}
    for track in timeline.tracks:
        sr = track.source_range
        if sr is not None and sr.start_time.value < 0:
            firsts[id(track)] = -sr.start_time
    if not firsts:
        return
    origin = min(firsts.values(), key=lambda t: t.to_seconds())
    for track in timeline.tracks:
        first = firsts.get(id(track))
        if first is None:
            continue
        track.source_range = None
        lead = first - origin
        if lead.value > 0:
            track.insert(0, otio.schema.Gap(source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, lead.rate), lead)))
    timeline.global_start_time = origin
