"""Rebuild the sample timelines from code: ``python samples/make_timelines.py``.

cut_v1.otio  the first cut of the episode_en.srt scene at 23.976 fps from 01:00:00:00: a
             picture track and a "Dialogue" track of text clips (ids in the clips' metadata);
cut_v2.xml   the next cut as Premiere/Final Cut Pro 7 XML, with the lines as sequence
             markers (name = line id, comment = text, marker length = slot): line 3's text
             is edited, line 4 re-timed, line 5 moved later.
"""
from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

HERE = Path(__file__).resolve().parent
FPS = 24000 / 1001
START = 86400  # 01:00:00:00 at 24 frames a timecode second
RT = otio.opentime.RationalTime


def _range(start: int, frames: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(RT(start, FPS), RT(frames, FPS))


# (id, speaker, text, first frame, end frame) from the timeline origin; the speaker is for
# the reader of this file (one voice dubs the sample)
CUT_V1 = [
    ("SC01-001", "ANNA", "Welcome back. We have a lot to cover today.", 24, 77),
    ("SC01-002", "BEN", "Did you bring the maps?", 86, 129),
    ("SC01-003", "ANNA", "Of course. The route goes north, across the river.", 139, 216),
    ("SC01-004", "BEN", "Then we leave at dawn.", 228, 257),
    ("SC01-005", "ANNA", "Pack light. It will be cold.", 268, 314),
]
CUT_V2 = [
    CUT_V1[0],
    CUT_V1[1],
    ("SC01-003", "ANNA", "Of course. The route goes north, over the pass.", 139, 216),
    ("SC01-004", "BEN", "Then we leave at dawn.", 228, 266),
    ("SC01-005", "ANNA", "Pack light. It will be cold.", 290, 336),
]


def _picture(frames: int) -> otio.schema.Track:
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Clip(name="A001_C001.mov", source_range=_range(0, frames),
                                  media_reference=otio.schema.ExternalReference(
                                      target_url="file:///media/A001_C001.mov",
                                      available_range=_range(0, 2000))))
    return track


def cut_v1() -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="cut_v1", global_start_time=RT(START, FPS))
    tl.tracks.append(_picture(CUT_V1[-1][4] + 24))
    dx = otio.schema.Track(name="Dialogue", kind=otio.schema.TrackKind.Video)
    cursor = 0
    for line_id, speaker, text, start, end in CUT_V1:
        if start > cursor:
            dx.append(otio.schema.Gap(source_range=_range(0, start - cursor)))
        dx.append(otio.schema.Clip(name=line_id, source_range=_range(0, end - start),
                                   metadata={"dubline": {"id": line_id, "text": text}}))
        cursor = end
    tl.tracks.append(dx)
    return tl


def cut_v2() -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name="cut_v2", global_start_time=RT(START, FPS))
    tl.tracks.append(_picture(CUT_V2[-1][4] + 24))
    for line_id, speaker, text, start, end in CUT_V2:
        tl.tracks.markers.append(otio.schema.Marker(
            name=line_id, marked_range=_range(start, end - start),
            metadata={"fcp_xml": {"comment": text}}))
    return tl


if __name__ == "__main__":
    otio.adapters.write_to_file(cut_v1(), str(HERE / "cut_v1.otio"))
    otio.adapters.write_to_file(cut_v2(), str(HERE / "cut_v2.xml"), adapter_name="fcp_xml")
    print(f"wrote {HERE / 'cut_v1.otio'} and {HERE / 'cut_v2.xml'}")
