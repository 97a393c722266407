"""Where a timeline sits in the day: its frame rate, start timecode and audio sample rate.

Line ranges are relative to the timeline origin; this record carries the origin so outputs
can be stamped with absolute timecode (Broadcast WAV TimeReference, OTIO global start time).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .errors import TimeFormatError
from .timebase import FrameRate, ticks_to_samples

DEFAULT_SAMPLE_RATE = 48000

# Timeline rates Dubline places audio at frame-accurately (and that editors use).
SUPPORTED_RATES: tuple[Fraction, ...] = (
    Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30),
    Fraction(48000, 1001), Fraction(48), Fraction(50), Fraction(60000, 1001), Fraction(60),
    Fraction(120000, 1001), Fraction(100), Fraction(120),
)


@dataclass(frozen=True)
class TimelineInfo:
    """A timeline's clock: rate (with drop-frame flag), first frame from midnight, sample rate."""

    name: str
    rate: FrameRate
    start_frame: int = 0  # frames from 00:00:00:00 of the timeline's first frame
    sample_rate: int = DEFAULT_SAMPLE_RATE
    source: Path | None = None

    def __post_init__(self) -> None:
        if self.start_frame < 0:
            raise TimeFormatError(f"timeline {self.name!r} starts before 00:00:00:00")
        if self.sample_rate <= 0:
            raise TimeFormatError(f"sample rate {self.sample_rate} must be positive")

    @classmethod
    def at(cls, name: str, rate: FrameRate, start_timecode: str = "00:00:00:00",
           sample_rate: int = DEFAULT_SAMPLE_RATE) -> "TimelineInfo":
        return cls(name, rate, rate.frames(start_timecode), sample_rate)

    @property
    def start_timecode(self) -> str:
        return self.rate.timecode(self.start_frame)

    @property
    def start_sample(self) -> int:
        """Samples from midnight to the timeline's first frame (BWF TimeReference of 0)."""
        return ticks_to_samples(self.start_frame, self.rate.fps, self.sample_rate)

    def time_reference(self, sample_offset: int, sample_rate: int | None = None) -> int:
        """BWF TimeReference of audio placed ``sample_offset`` samples after the origin.

        Offsets add to the origin's sample so a stem lines up with the full track to the
        sample (the track is the reference editors sync everything else against).
        """
        sr = sample_rate or self.sample_rate
        return ticks_to_samples(self.start_frame, self.rate.fps, sr) + sample_offset

    def timecode_of(self, frame_offset: int) -> str:
        return self.rate.timecode(self.start_frame + frame_offset)


def check_rate(fps: Fraction, where: str) -> None:
    if fps not in SUPPORTED_RATES:
        known = ", ".join(FrameRate(r.numerator, r.denominator).label for r in SUPPORTED_RATES)
        raise TimeFormatError(f"{where}: unsupported frame rate {float(fps):.6g} (supported: {known})")
