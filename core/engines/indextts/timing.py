"""Semantic tokens -> mel frames -> samples, and splitting a target over a line's segments.

Pure arithmetic, no torch: the natural length of a line is known from its GPT tokens alone,
so the second stage renders once, at the target, never at the natural length first. 2.0's
GPT makes 50 tokens a second (frames = tokens x 1.72); 2.5's makes 25, which its codec
doubles to the same 50 Hz features before the same x 1.72 (frames = tokens x 3.44).
"""
from __future__ import annotations

from fractions import Fraction

SAMPLE_RATE = 22050
HOP = 256  # samples per mel frame
TOKENS_TO_FRAMES = 1.72  # the fixed semantic-token -> mel-frame ratio of IndexTTS2 and 2.5
SEGMENT_GAP_FRAMES = 17  # upstream puts 200 ms between text segments; 17 frames = 197 ms


def token_frames(tokens: int) -> int:
    """Mel frames the second stage makes from ``tokens`` semantic tokens (upstream's int())."""
    return int(tokens * TOKENS_TO_FRAMES)


TOKENS_PER_SECOND = {"2.0": 50, "2.5": 25}
FEATURES_PER_SECOND = 50  # the semantic features the second stage stretches, in both versions


def version_token_frames(tokens: int, version: str) -> int:
    """Mel frames from ``tokens`` GPT tokens of this model version (upstream's int())."""
    return token_frames(tokens * FEATURES_PER_SECOND // TOKENS_PER_SECOND[version])


def seconds_to_frames(seconds: Fraction) -> int:
    return max(1, round(Fraction(seconds) * SAMPLE_RATE / HOP))


def frames_to_seconds(frames: int) -> float:
    return frames * HOP / SAMPLE_RATE


def line_frames(segment_frames: list[int]) -> int:
    """A whole line: its segments plus the gaps between them."""
    return sum(segment_frames) + SEGMENT_GAP_FRAMES * max(0, len(segment_frames) - 1)


def bounded_frames(natural: int, wanted: int, lo: float, hi: float) -> int:
    """``wanted`` frames, unless the factor wanted/natural leaves ``[lo, hi]``: then the bound."""
    factor = wanted / natural
    if lo <= factor <= hi:
        return wanted
    return max(1, round(natural * min(max(factor, lo), hi)))


def allocate_frames(natural: list[int], gap: int, target: int) -> tuple[list[int], list[int]]:
    """Split ``target`` frames over segments and the gaps between them, in proportion.

    Cumulative rounding makes the parts add up to ``target`` exactly.
    """
    parts: list[int] = []
    for i, n in enumerate(natural):
        parts.append(n)
        if i < len(natural) - 1:
            parts.append(gap)
    total = sum(parts)
    out: list[int] = []
    acc = placed = 0
    for p in parts:
        acc += p
        end = round(acc * target / total)
        out.append(end - placed)
        placed = end
    segs = [max(1, f) for f in out[0::2]]
    return segs, out[1::2]
