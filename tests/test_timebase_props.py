"""Property tests for the timecode and frame-rate parsers (hypothesis, ~2 s each in CI).

Whatever text or numbers come in, the only exception is the project's own TimeFormatError,
and every timecode that ``timecode()`` writes, ``frames()`` reads back to the same frame.
`python -m tests.bench` runs the same properties longer (HYPOTHESIS_PROFILE=bench).
"""
from __future__ import annotations

import os
from fractions import Fraction

import pytest
from dubline.core.errors import TimeFormatError
from dubline.core.timebase import MAX_FPS, MIN_FPS, FrameRate, TimeRange
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

settings.register_profile("ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("bench", max_examples=20000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

COMMON = [FrameRate.parse(r) for r in ("23.976", "24", "25", "29.97 DF", "29.97", "30", "48", "50",
                                       "59.94 DF", "59.94", "60", "120")]
rates = st.one_of(
    st.sampled_from(COMMON),
    st.tuples(st.integers(1, 1001 * 1000), st.sampled_from([1, 2, 3, 1001])).filter(
        lambda nd: MIN_FPS <= Fraction(*nd) <= MAX_FPS).map(lambda nd: FrameRate(*nd)),
)
rate_text = st.one_of(
    st.text(max_size=24),
    st.from_regex(r"\s*-?\d{0,12}([./]\d{0,12})?(e-?\d{1,12})?\s*(DF|NDF|drop|df)?\s*", fullmatch=True),
)
timecode_text = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\s*\d{1,3}:\d{1,3}:\d{1,3}[:;.,]\d{1,4}\s*", fullmatch=True),
)


def _either(fn, *args):
    try:
        return fn(*args)
    except TimeFormatError:
        return None


@given(rate_text)
def test_rate_text_parses_or_is_a_time_format_error(text):
    rate = _either(FrameRate.parse, text)
    if rate is not None:
        assert MIN_FPS <= rate.fps <= MAX_FPS and rate.nominal >= 1


@given(st.one_of(st.integers(-10**6, 10**6), st.fractions(), st.just(Fraction(1, 3))))
def test_rate_numbers_parse_or_are_a_time_format_error(value):
    rate = _either(FrameRate.parse, value)
    if rate is not None:
        assert rate.timecode(0).startswith("00:00:00")


@given(rates, st.integers(0, 100 * 3600 * 1000))
def test_timecode_round_trips_or_is_refused(rate, frame):
    tc = _either(rate.timecode, frame)
    if tc is None:
        assert frame > rate.frames(f"99:59:59:{rate.nominal - 1:02d}")
    else:
        assert rate.frames(tc) == frame


@given(rates, timecode_text)
def test_timecode_text_reads_back_to_itself(rate, text):
    frame = _either(rate.frames, text)
    if frame is not None:
        assert frame >= 0
        assert rate.frames(rate.timecode(frame)) == frame


@given(st.integers(-10**15, 10**15), st.integers(-10**15, 10**15),
       st.one_of(st.integers(-5, 10**6), st.fractions(), st.floats(allow_nan=True)),
       st.sampled_from([8000, 44100, 48000, 192000]))
def test_time_range_accepts_only_positive_rates(start, end, rate, sample_rate):
    r = _either(TimeRange, start, end, rate)
    if r is None:
        assert isinstance(rate, float) or rate <= 0
    else:
        assert r.rate > 0
        first, last = r.samples(sample_rate)
        assert (first <= last) == (start <= end)


@pytest.mark.parametrize("text", ["1/3", "0", "0/0", "1/0", "-25", "1e999999999", "1001", "nan", "inf"])
def test_known_bad_rates(text):
    with pytest.raises(TimeFormatError):
        FrameRate.parse(text)


def test_the_last_timecode_and_one_past_it():
    for rate in COMMON:
        last = rate.frames(f"99:59:59:{rate.nominal - 1:02d}")
        assert rate.frames(rate.timecode(last)) == last
        with pytest.raises(TimeFormatError, match="past 99:59:59"):
            rate.timecode(last + 1)
