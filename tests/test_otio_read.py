"""Reading dialogue from OTIO timelines: rates, start timecode, markers, nesting, errors."""
from fractions import Fraction

import opentimelineio as otio
import pytest

from dubline.core.errors import InputError, TimeFormatError
from dubline.core.otio_read import OtioReadOptions, exact_rate, read_otio
from dubline.core.timebase import FrameRate

from tests.otio_fixtures import dialogue_timeline, marker_timeline, nested_timeline, write


@pytest.mark.parametrize("label, start_frame, start_sample", [
    ("24000/1001", 86400, 172972800),  # 01:00:00:00 NDF at 23.976 is 3603.6 s of real time
    ("29.97 DF", 107892, 172799827),  # 01:00:00;00 DF is 3599.9964 s
])
def test_clip_dialogue_relative_to_origin(tmp_path, label, start_frame, start_sample):
    rate = FrameRate.parse(label)
    path = write(dialogue_timeline(rate), tmp_path / "cut.otio")
    found = read_otio(path)
    assert found.info.rate == rate
    assert found.info.start_frame == start_frame
    assert found.info.start_timecode == ("01:00:00;00" if rate.drop_frame else "01:00:00:00")
    assert found.info.start_sample == start_sample
    assert found.tracks_read == ["Dialogue"]
    assert [(l.id, l.text, l.range.start, l.range.end) for l in found.lines] == [
        ("L001", "Hello there.", 24, 72), ("L002", "How are you?", 96, 150),
        ("L003", "Fine, thanks.", 160, 200)]
    assert all(l.range.rate == rate.fps and l.speaker == "ANNA" for l in found.lines)


def test_float_rates_map_to_exact_fractions():
    assert exact_rate(23.976023976023978) == Fraction(24000, 1001)
    assert exact_rate(23.976) == Fraction(24000, 1001)
    assert exact_rate(29.97) == Fraction(30000, 1001)
    assert exact_rate(59.94005994005994) == Fraction(60000, 1001)
    assert exact_rate(48000.0) == 48000


def test_markers_everywhere(tmp_path):
    rate = FrameRate.parse("24000/1001")
    path = write(marker_timeline(rate), tmp_path / "m.otio")
    found = read_otio(path, OtioReadOptions(markers=True))
    got = {l.id: (l.text, l.range.start, l.range.end, l.speaker, l.emotion and l.emotion.preset)
           for l in found.lines}
    assert got == {
        "M-1": ("Where were you?", 10, 30, "BOB", "angry"),
        "Marker 1": ("Get down!", 108, 138, None, None),  # comment wins over a default name
        "Over here.": ("Over here.", 200, 225, None, None),
    }
    assert found.markers_read == 3


def test_markers_read_when_no_dialogue_track(tmp_path):
    path = write(marker_timeline(FrameRate(25)), tmp_path / "m.otio")
    assert len(read_otio(path).lines) == 3


def test_nested_stack_and_transition(tmp_path):
    path = write(nested_timeline(FrameRate(25)), tmp_path / "n.otio")
    found = read_otio(path)
    # The transition takes no time; the nested stack is trimmed by 10 frames, so its clip
    # (20 frames into the inner track) starts 10 frames into the stack at timeline frame 80.
    assert [(l.text, l.range.start, l.range.end) for l in found.lines] == [
        ("First line.", 0, 40), ("Second line.", 40, 70), ("Nested line.", 80, 130)]


def test_named_track_and_duplicate_ids(tmp_path):
    tl = dialogue_timeline(FrameRate(25), cues=[("Yes.", 0, 25), ("Yes.", 50, 75)])
    for clip in tl.tracks[1].find_clips():
        clip.metadata["dubline"].pop("id")
        clip.name = "Yes."
    tl.tracks[1].name = "Dub script"
    found = read_otio(write(tl, tmp_path / "d.otio"), OtioReadOptions(track="dub script"))
    assert [l.id for l in found.lines] == ["Yes.", "Yes.~2"]


def test_not_otio(tmp_path):
    bad = tmp_path / "cut.otio"
    bad.write_text("this is not json")
    with pytest.raises(InputError, match="cut.otio.*not a timeline"):
        read_otio(bad)


def test_no_dialogue_says_where_it_looked(tmp_path):
    tl = dialogue_timeline(FrameRate(25))
    tl.tracks[1].name = "Music"
    with pytest.raises(InputError) as e:
        read_otio(write(tl, tmp_path / "x.otio"))
    msg = str(e.value)
    assert "no dialogue found" in msg and "'V1'" in msg and "'Music'" in msg and "0 marker(s)" in msg


def test_unknown_track_lists_tracks(tmp_path):
    with pytest.raises(InputError, match="no track named 'DX'.*'Dialogue'"):
        read_otio(write(dialogue_timeline(FrameRate(25)), tmp_path / "x.otio"), OtioReadOptions(track="DX"))


def test_unsupported_rate(tmp_path):
    tl = dialogue_timeline(FrameRate(25))
    tl.global_start_time = otio.opentime.RationalTime(0, 12.5)
    with pytest.raises(TimeFormatError, match="x.otio.*unsupported frame rate 12.5"):
        read_otio(write(tl, tmp_path / "x.otio"))


def test_zero_length_marker_is_skipped_with_a_warning(tmp_path):
    tl = marker_timeline(FrameRate(25))
    tl.tracks.markers[0].marked_range = otio.opentime.TimeRange(
        otio.opentime.RationalTime(10, 25), otio.opentime.RationalTime(0, 25))
    found = read_otio(write(tl, tmp_path / "x.otio"), OtioReadOptions(markers=True))
    assert sorted(l.id for l in found.lines) == ["Marker 1", "Over here."]
    assert len(found.warnings) == 1 and "'Where were you?'" in found.warnings[0]
    assert "has no duration and was skipped" in found.warnings[0]
