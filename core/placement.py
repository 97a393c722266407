"""The placement plan: which stem goes at which frame on which track, computed once for every editor.

Stems are sample-exact; editors place clips on frames. The rounding is defined here and
nowhere else:

- ``start_frame = round_half_up(start_sample * fps / sample_rate)``: the frame nearest the
  stem's exact start (at most half a frame early or late; the stem's own audio stays exact).
- ``end_frame`` (exclusive) is rounded the same way from the stem's end sample, so two lines
  that share a boundary in samples share it in frames and never overlap. A stem shorter
  than half a frame still gets one frame.
- Where rounding or borrowed gaps would still make two clips on one track overlap (an editor
  either drops the later clip, as Resolve does, or cuts it), the earlier clip is trimmed to
  the later one's start and the plan says so in ``warnings``.
- Frames are relative to the timeline start. Resolve wants ``record_frame`` = timeline start
  frame + relative frame; Premiere wants ticks (254016000000 per second) relative to the
  sequence start, exact integers for every standard frame rate.

Every placement carries a tag (``dubline:<line id>``) and a clip name with the ``Dubline``
prefix, so a later run (a conform pass) can find and replace exactly the clips Dubline made.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import InputError
from .report import LineResult
from .timebase import FrameRate, round_half_up

TICKS_PER_SECOND = 254016000000
TAG_PREFIX = "dubline:"
CLIP_PREFIX = "Dubline"


@dataclass(frozen=True)
class PlanOptions:
    """Where the timeline is: its rate, its first frame, and how to name tracks."""

    rate: FrameRate
    timeline_start_frame: int = 0  # absolute frame of the timeline's first frame (Resolve: GetStartFrame())
    track_name: str = ""  # one track for every line; empty: one track per voice, named after it

    def __post_init__(self) -> None:
        if self.timeline_start_frame < 0:
            raise InputError(f"timeline start frame {self.timeline_start_frame} is negative")


@dataclass(frozen=True)
class Placement:
    """One stem on the timeline."""

    line_id: str
    file: str  # absolute path of the stem
    track: str  # audio track name
    start_frame: int  # relative to the timeline start
    end_frame: int  # exclusive
    record_frame: int  # absolute: timeline start frame + start_frame (Resolve)
    source_start_frame: int  # in the stem, in timeline frames (Resolve startFrame)
    source_end_frame: int  # exclusive (Resolve endFrame)
    start_ticks: int  # start_frame in Premiere ticks, relative to the sequence start
    end_ticks: int
    start_sample: int  # the stem's exact position, for the receipt
    end_sample: int
    sample_rate: int
    offset_samples: int  # placed position minus exact position (rounding), in samples
    clip_name: str
    tag: str
    voice: str
    text: str

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass(frozen=True)
class Plan:
    rate: FrameRate
    timeline_start_frame: int
    placements: list[Placement]
    warnings: list[str] = field(default_factory=list)

    @property
    def tracks(self) -> list[str]:
        """Track names in first-use order."""
        return list(dict.fromkeys(p.track for p in self.placements))


def frame_of_sample(sample: int, sample_rate: int, rate: FrameRate) -> int:
    return round_half_up(Fraction(sample) * rate.fps / sample_rate)


def ticks_of_frame(frame: int, rate: FrameRate) -> Fraction:
    return Fraction(frame) * TICKS_PER_SECOND / rate.fps


def sample_of_frame(frame: int, sample_rate: int, rate: FrameRate) -> int:
    return round_half_up(Fraction(frame) * sample_rate / rate.fps)


def clip_name(result: LineResult) -> str:
    return f"{CLIP_PREFIX} {result.id} ({result.voice})"


def tag(line_id: str) -> str:
    return f"{TAG_PREFIX}{line_id}"


def is_dubline_name(name: str) -> bool:
    return name.startswith(CLIP_PREFIX + " ")


def plan_placements(results: Iterable[LineResult], sample_rate: int, options: PlanOptions) -> Plan:
    """Turn a dub's line results into frame placements on the editor's timeline."""
    rate = options.rate
    warnings: list[str] = []
    bad_ticks = False
    drafts: list[dict] = []
    for r in sorted(results, key=lambda r: (r.start_sample, r.id)):
        if r.end_sample <= r.start_sample:
            raise InputError(f"line {r.id!r}: empty stem range [{r.start_sample}, {r.end_sample})")
        start = frame_of_sample(r.start_sample, sample_rate, rate)
        end = max(frame_of_sample(r.end_sample, sample_rate, rate), start + 1)
        drafts.append(dict(result=r, start=start, end=end, track=options.track_name or r.voice))
    last_on_track: dict[str, dict] = {}
    for d in drafts:
        prev = last_on_track.get(d["track"])
        if prev is not None and prev["end"] > d["start"]:
            if d["start"] <= prev["start"]:
                raise InputError(
                    f"lines {prev['result'].id!r} and {d['result'].id!r} start on the same frame "
                    f"{d['start']} of track {d['track']!r}: give them different tracks or times"
                )
            warnings.append(
                f"line {prev['result'].id!r} trimmed by {prev['end'] - d['start']} frame(s) so it "
                f"does not overlap line {d['result'].id!r} on track {d['track']!r}"
            )
            prev["end"] = d["start"]
        last_on_track[d["track"]] = d
    placements = []
    for d in drafts:
        r = d["result"]
        start_ticks, end_ticks = ticks_of_frame(d["start"], rate), ticks_of_frame(d["end"], rate)
        bad_ticks |= start_ticks.denominator != 1 or end_ticks.denominator != 1
        placements.append(Placement(
            line_id=r.id,
            file=str(Path(r.file)),
            track=d["track"],
            start_frame=d["start"],
            end_frame=d["end"],
            record_frame=options.timeline_start_frame + d["start"],
            source_start_frame=0,
            source_end_frame=d["end"] - d["start"],
            start_ticks=round_half_up(start_ticks),
            end_ticks=round_half_up(end_ticks),
            start_sample=r.start_sample,
            end_sample=r.end_sample,
            sample_rate=sample_rate,
            offset_samples=sample_of_frame(d["start"], sample_rate, rate) - r.start_sample,
            clip_name=clip_name(r),
            tag=tag(r.id),
            voice=r.voice,
            text=r.text,
        ))
    if bad_ticks:
        warnings.append(f"{rate.label} fps frames do not fall on whole Premiere ticks; ticks were rounded")
    return Plan(rate, options.timeline_start_frame, placements, warnings)
