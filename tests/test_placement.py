"""The placement plan: frame rounding, Resolve record frames and Premiere ticks at the common rates."""
from fractions import Fraction
from pathlib import Path

import pytest

from dubline.core.errors import InputError
from dubline.core.placement import (TICKS_PER_SECOND, PlanOptions, frame_of_sample, is_dubline_name,
                                    plan_placements)
from dubline.core.report import LineResult
from dubline.core.timebase import FrameRate, TimeRange

SR = 48000


def result(line_id, start, end, voice="en-joe", sr=SR):
    return LineResult(id=line_id, text=f"line {line_id}", voice=voice, start_sample=start, end_sample=end,
                      file=Path(f"/out/lines/{line_id}.wav"), natural_seconds=1.0, target_seconds=1.0,
                      factor=1.0, method="native")


def from_frames(line_id, start_frame, end_frame, rate, **kw):
    first, end = TimeRange.from_frames(start_frame, end_frame, rate).samples(SR)
    return result(line_id, first, end, **kw)


@pytest.mark.parametrize("label,ticks_per_frame", [
    ("23.976", 10594584000), ("25", 10160640000), ("29.97 DF", 8475667200), ("59.94", 4237833600),
])
def test_frame_aligned_lines_land_on_their_frames(label, ticks_per_frame):
    rate = FrameRate.parse(label)
    start_tc = rate.frames("01:00:00:00")
    frames = [(0, 37), (37, 90), (1800, 1861), (107892, 107950)]  # the last is past an hour's worth of DF minutes
    plan = plan_placements([from_frames(str(i), a, b, rate) for i, (a, b) in enumerate(frames)], SR,
                           PlanOptions(rate, timeline_start_frame=start_tc))
    assert plan.warnings == []
    for p, (a, b) in zip(plan.placements, frames):
        assert (p.start_frame, p.end_frame) == (a, b)
        assert p.record_frame == start_tc + a
        assert (p.source_start_frame, p.source_end_frame) == (0, b - a)
        assert p.start_ticks == a * ticks_per_frame and p.end_ticks == b * ticks_per_frame
        assert Fraction(p.start_ticks, TICKS_PER_SECOND) == Fraction(a) / rate.fps
        assert abs(p.offset_samples) <= 1  # sample boundaries are themselves rounded from frames
        assert p.track == "en-joe" and p.tag == f"dubline:{p.line_id}" and is_dubline_name(p.clip_name)


def test_start_frame_is_the_nearest_frame_half_up():
    rate = FrameRate.parse("29.97")  # 1601.6 samples a frame
    assert frame_of_sample(800, SR, rate) == 0  # 0.4995 frame
    assert frame_of_sample(801, SR, rate) == 1  # 0.5001 frame
    rate = FrameRate.parse("25")  # 1920 samples a frame
    assert frame_of_sample(960, SR, rate) == 1  # exactly half: up
    assert frame_of_sample(959, SR, rate) == 0
    p = plan_placements([result("a", 959, 960 + 1920 * 3)], SR, PlanOptions(rate)).placements[0]
    assert (p.start_frame, p.end_frame, p.offset_samples) == (0, 4, -959)


def test_shared_boundary_never_overlaps_and_overlaps_are_trimmed():
    rate = FrameRate.parse("23.976")
    a, b = result("a", 0, 100_000), result("b", 100_000, 150_000)
    plan = plan_placements([b, a], SR, PlanOptions(rate))
    assert [p.line_id for p in plan.placements] == ["a", "b"]
    assert plan.placements[0].end_frame == plan.placements[1].start_frame
    assert plan.warnings == []
    long_a = result("a", 0, 120_000)  # borrowed the gap: runs into b
    plan = plan_placements([long_a, b], SR, PlanOptions(rate))
    assert plan.placements[0].end_frame == plan.placements[1].start_frame
    assert plan.placements[0].source_end_frame == plan.placements[0].end_frame
    assert "trimmed" in plan.warnings[0]


def test_tracks_per_voice_or_one_named_track():
    rate = FrameRate.parse("25")
    rs = [result("a", 0, 48000, voice="en-joe"), result("b", 0, 48000, voice="zh-anna")]
    plan = plan_placements(rs, SR, PlanOptions(rate))
    assert plan.tracks == ["en-joe", "zh-anna"]  # same time, different tracks: no overlap
    with pytest.raises(InputError, match="same frame"):
        plan_placements(rs, SR, PlanOptions(rate, track_name="Dub"))


def test_tiny_stem_gets_one_frame_and_bad_input_is_refused():
    rate = FrameRate.parse("25")
    p = plan_placements([result("a", 48000, 48100)], SR, PlanOptions(rate)).placements[0]
    assert (p.start_frame, p.end_frame) == (25, 26)
    with pytest.raises(InputError):
        plan_placements([result("a", 10, 10)], SR, PlanOptions(rate))
    with pytest.raises(InputError):
        PlanOptions(rate, timeline_start_frame=-1)


def test_odd_rate_ticks_are_rounded_with_a_warning():
    rate = FrameRate(11, 1)  # 254016000000 / 11 is not whole
    plan = plan_placements([result("a", 0, 48000)], SR, PlanOptions(rate))
    assert plan.placements[0].end_ticks == 254016000000 and plan.warnings == []  # 11 frames = 1 s exactly
    plan = plan_placements([result("a", 0, 4364)], SR, PlanOptions(rate))
    assert plan.placements[0].end_ticks == round(254016000000 / 11)
    assert "rounded" in plan.warnings[0]
