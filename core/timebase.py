"""Exact time: rational frame rates, SMPTE timecode, half-open ranges, sample boundaries.

Nothing else in Dubline does arithmetic on seconds. Times are integer ticks at a rational
rate (frames at 24000/1001, milliseconds at 1000, samples at 48000); conversions go through
``fractions.Fraction`` and round once, from the absolute position, so per-line rounding never
accumulates into drift.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .errors import TimeFormatError

# Rates users write as decimals, mapped to the exact NTSC fractions they mean.
_DECIMAL_ALIASES = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "47.95": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
_DROP_FRAME_RATES = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}
# Video frame rates Dubline takes: a timecode needs at least one whole frame per second, and
# nothing shot or edited runs past 1000 fps.
MIN_FPS, MAX_FPS = Fraction(1), Fraction(1000)
# Digits a rate may be written with: '1e999999999' must not become a billion-digit integer.
_RATE_TEXT = re.compile(r"(\d{1,9})(?:/(\d{1,9})|\.(\d{1,9}))?")
# A timecode has two hour digits: frames() reads no more, so timecode() writes no more.
MAX_HOURS = 99
_DF_SUFFIX = re.compile(r"\s*(df|drop|drop-?frame)\s*$", re.IGNORECASE)
_NDF_SUFFIX = re.compile(r"\s*(ndf|non-?drop(-?frame)?)\s*$", re.IGNORECASE)


def round_half_up(value: Fraction) -> int:
    """Round an exact value to the nearest integer, halves away from minus infinity.

    Python's round() rounds halves to even, which would make a boundary's sample depend on
    its parity; one fixed rule keeps adjacent lines' shared boundary identical.
    """
    return math.floor(value + Fraction(1, 2))


@dataclass(frozen=True)
class FrameRate:
    """A video frame rate as an exact fraction, with the drop-frame timecode flag."""

    num: int
    den: int = 1
    drop_frame: bool = False

    def __post_init__(self) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (self.num, self.den)):
            raise TimeFormatError(f"frame rate {self.num!r}/{self.den!r}: give whole numbers (24000/1001)")
        if self.num <= 0 or self.den <= 0:
            raise TimeFormatError(f"frame rate {self.num}/{self.den} must be positive")
        if not MIN_FPS <= self.fps <= MAX_FPS:
            raise TimeFormatError(f"frame rate {self.num}/{self.den} ({float(self.fps):.6g} fps) is outside "
                                  f"{MIN_FPS}-{MAX_FPS} fps")
        if self.drop_frame and self.fps not in _DROP_FRAME_RATES:
            raise TimeFormatError(
                f"drop-frame timecode exists only at 29.97 and 59.94 fps, not {self.label}"
            )

    @classmethod
    def parse(cls, text: str | int | Fraction) -> "FrameRate":
        """Parse '24000/1001', '23.976', '29.97 DF', '29.97df', '25', '59.94 NDF'."""
        if isinstance(text, (int, Fraction)) and not isinstance(text, bool):
            value = Fraction(text)
            return cls(value.numerator, value.denominator)
        raw = str(text).strip()
        if _NDF_SUFFIX.search(raw):
            drop, body = False, _NDF_SUFFIX.sub("", raw).strip()
        else:
            drop, body = bool(_DF_SUFFIX.search(raw)), _DF_SUFFIX.sub("", raw).strip()
        m = _RATE_TEXT.fullmatch(body)
        try:
            if body in _DECIMAL_ALIASES:
                value = _DECIMAL_ALIASES[body]
            elif m is None:
                raise ValueError(body)
            elif m.group(2) is not None:
                value = Fraction(int(m.group(1)), int(m.group(2)))
            else:
                value = Fraction(body)
                if value.denominator != 1:
                    raise ValueError(body)
        except (ValueError, ZeroDivisionError):
            raise TimeFormatError(
                f"unsupported frame rate {raw!r}: use e.g. 24000/1001, 23.976, 25, 29.97 DF"
            ) from None
        return cls(value.numerator, value.denominator, drop)

    @property
    def fps(self) -> Fraction:
        return Fraction(self.num, self.den)

    @property
    def nominal(self) -> int:
        """Frames per timecode second (30 for 29.97, 24 for 23.976)."""
        return round_half_up(self.fps)

    @property
    def label(self) -> str:
        base = f"{self.num}" if self.den == 1 else f"{self.num}/{self.den}"
        return base + (" DF" if self.drop_frame else "")

    def __str__(self) -> str:
        return self.label

    # -- timecode ------------------------------------------------------------------------

    def timecode(self, frame: int) -> str:
        """Frame count from 00:00:00:00 -> 'HH:MM:SS:FF' (';' before frames when drop-frame)."""
        if frame < 0:
            raise TimeFormatError(f"negative frame {frame} has no timecode")
        if frame > self.frames(f"{MAX_HOURS}:59:59:{self.nominal - 1:02d}"):
            raise TimeFormatError(f"frame {frame} is past {MAX_HOURS}:59:59:{self.nominal - 1:02d}, "
                                  f"the last timecode at {self.label} fps")
        nom = self.nominal
        if self.drop_frame:
            drop = _DROP_FRAME_RATES[self.fps]
            per_min = nom * 60 - drop
            per_10min = nom * 600 - drop * 9
            tens, rem = divmod(frame, per_10min)
            frame += drop * 9 * tens
            if rem > drop:
                frame += drop * ((rem - drop) // per_min)
        ff = frame % nom
        total_s = frame // nom
        hh, mm, ss = total_s // 3600, (total_s // 60) % 60, total_s % 60
        sep = ";" if self.drop_frame else ":"
        return f"{hh:02d}:{mm:02d}:{ss:02d}{sep}{ff:02d}"

    def frames(self, timecode: str) -> int:
        """'HH:MM:SS:FF' (or ';' / '.' before frames) -> frame count from 00:00:00:00."""
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2}):(\d{2})[:;.,](\d{2,3})\s*", timecode)
        if not m:
            raise TimeFormatError(f"timecode {timecode!r} is not HH:MM:SS:FF")
        hh, mm, ss, ff = (int(g) for g in m.groups())
        nom = self.nominal
        if mm > 59 or ss > 59 or ff >= nom:
            raise TimeFormatError(f"timecode {timecode!r} is out of range at {self.label} fps")
        frame = (hh * 3600 + mm * 60 + ss) * nom + ff
        if self.drop_frame:
            drop = _DROP_FRAME_RATES[self.fps]
            if ss == 0 and mm % 10 != 0 and ff < drop:
                raise TimeFormatError(
                    f"timecode {timecode!r} does not exist in drop-frame (frames 0-{drop - 1} "
                    f"are skipped at the start of every minute not divisible by ten)"
                )
            minutes = hh * 60 + mm
            frame -= drop * (minutes - minutes // 10)
        return frame


def ticks_to_samples(ticks: int, rate: Fraction, sample_rate: int) -> int:
    """The sample index of an absolute position given in ticks at ``rate`` per second."""
    return round_half_up(Fraction(ticks) * sample_rate / Fraction(rate))


def seconds_to_samples(seconds: Fraction, sample_rate: int) -> int:
    return round_half_up(Fraction(seconds) * sample_rate)


@dataclass(frozen=True, order=True)
class TimeRange:
    """Half-open range ``[start, end)`` in integer ticks at ``rate`` ticks per second.

    Positions are relative to the timeline origin (the timeline's start timecode is
    carried separately), so 0 is the first frame of the timeline.
    """

    start: int
    end: int
    rate: Fraction

    def __post_init__(self) -> None:
        # A zero or negative rate would divide by zero (or flip time) far from here.
        if not isinstance(self.rate, (int, Fraction)) or isinstance(self.rate, bool) or self.rate <= 0:
            raise TimeFormatError(f"time range rate {self.rate!r} must be a positive whole or rational "
                                  f"number of ticks per second")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (self.start, self.end)):
            raise TimeFormatError(f"time range [{self.start!r}, {self.end!r}) must be whole ticks")

    @classmethod
    def from_frames(cls, start: int, end: int, rate: FrameRate) -> "TimeRange":
        return cls(start, end, rate.fps)

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def start_seconds(self) -> Fraction:
        return Fraction(self.start) / self.rate

    @property
    def end_seconds(self) -> Fraction:
        return Fraction(self.end) / self.rate

    @property
    def duration_seconds(self) -> Fraction:
        return Fraction(self.duration) / self.rate

    def samples(self, sample_rate: int) -> tuple[int, int]:
        """``(first, end)`` sample indices, each rounded from its absolute position."""
        return (
            ticks_to_samples(self.start, self.rate, sample_rate),
            ticks_to_samples(self.end, self.rate, sample_rate),
        )

    def overlaps(self, other: "TimeRange") -> bool:
        return self.start_seconds < other.end_seconds and other.start_seconds < self.end_seconds

    def with_end_seconds(self, end: Fraction) -> "TimeRange":
        """The same start, ending at ``end`` seconds (which must fall on a tick)."""
        ticks = Fraction(end) * self.rate
        if ticks.denominator != 1:
            raise TimeFormatError(f"{float(end):.6f}s is not on this range's tick grid")
        return TimeRange(self.start, int(ticks), self.rate)

    def __str__(self) -> str:
        return f"[{float(self.start_seconds):.3f}s, {float(self.end_seconds):.3f}s)"
