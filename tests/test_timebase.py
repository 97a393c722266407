from fractions import Fraction

import pytest

from dubline.core.errors import TimeFormatError
from dubline.core.timebase import FrameRate, TimeRange, round_half_up, ticks_to_samples

RATES = ["24000/1001", "24", "25", "30000/1001", "29.97 DF", "30", "50", "59.94", "59.94 DF", "60"]


@pytest.mark.parametrize("text,num,den,df", [
    ("23.976", 24000, 1001, False), ("24000/1001", 24000, 1001, False), ("29.97", 30000, 1001, False),
    ("29.97 DF", 30000, 1001, True), ("29.97df", 30000, 1001, True), ("30000/1001 DF", 30000, 1001, True),
    ("59.94", 60000, 1001, False), ("59.94 drop", 60000, 1001, True), ("25", 25, 1, False),
    ("50", 50, 1, False), ("60", 60, 1, False), ("29.97 NDF", 30000, 1001, False),
])
def test_parse_rates(text, num, den, df):
    assert FrameRate.parse(text) == FrameRate(num, den, df)


@pytest.mark.parametrize("bad", ["abc", "25 DF", "0", "-24", "23.5", "1/0"])
def test_bad_rates(bad):
    with pytest.raises(TimeFormatError):
        FrameRate.parse(bad)


@pytest.mark.parametrize("rate", RATES)
def test_timecode_round_trip_over_an_hour(rate):
    r = FrameRate.parse(rate)
    step = 7 if r.nominal >= 50 else 3
    for frame in range(0, int(3600 * r.fps) + 1, step):
        assert r.frames(r.timecode(frame)) == frame


def test_drop_frame_known_values():
    df = FrameRate.parse("29.97 DF")
    assert df.timecode(1799) == "00:00:59;29"
    assert df.timecode(1800) == "00:01:00;02"
    assert df.timecode(17982) == "00:10:00;00"
    assert df.frames("01:00:00;00") == 107892  # one hour of 29.97 DF
    assert FrameRate.parse("59.94 DF").timecode(3600) == "00:01:00;04"
    with pytest.raises(TimeFormatError):
        df.frames("00:01:00;01")  # skipped frame number
    assert df.frames("00:10:00;00") == 17982  # tenth minutes keep their frames


def test_non_drop_timecode():
    r = FrameRate.parse("24000/1001")
    assert r.frames("01:00:00:00") == 86400
    assert r.timecode(86400 + 23) == "01:00:00:23"
    with pytest.raises(TimeFormatError):
        r.frames("00:00:00:24")


def test_rounding_is_half_up_not_banker():
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(3, 2)) == 2
    assert round_half_up(Fraction(5, 2)) == 3


@pytest.mark.parametrize("rate", RATES)
def test_zero_drift_over_an_hour_of_one_frame_cues(rate):
    """Consecutive one-frame lines tile the hour exactly: no gaps, no overlaps, no drift."""
    r = FrameRate.parse(rate)
    sr = 48000
    frames = int(3600 * r.fps)
    total = 0
    prev_end = 0
    for f in range(frames):
        start, end = TimeRange.from_frames(f, f + 1, r).samples(sr)
        assert start == prev_end
        total += end - start
        prev_end = end
    exact = Fraction(frames) / r.fps * sr
    assert total == round_half_up(exact)
    assert abs(total - exact) <= Fraction(1, 2)


def test_2997_frame_is_1601_6_samples():
    r = FrameRate.parse("30000/1001")
    lengths = {TimeRange.from_frames(f, f + 1, r).samples(48000)[1] - TimeRange.from_frames(f, f + 1, r).samples(48000)[0]
               for f in range(10)}
    assert lengths == {1601, 1602}
    assert ticks_to_samples(5, r.fps, 48000) == 8008  # 5 frames = 8008 samples exactly


def test_time_range_seconds_and_overlap():
    a = TimeRange(1000, 2500, Fraction(1000))
    b = TimeRange(2400, 3000, Fraction(1000))
    assert a.duration_seconds == Fraction(3, 2)
    assert a.overlaps(b) and not a.overlaps(TimeRange(2500, 3000, Fraction(1000)))
    assert a.samples(48000) == (48000, 120000)
