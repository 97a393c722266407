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


def _unnamed_premiere_like(rate: float = 25.0) -> otio.schema.Timeline:
    """Premiere's shape: every track unnamed; dialogue on the second audio track."""
    tl = otio.schema.Timeline(name="seq")
    for kind, texts in [("Video", ["V one."]), ("Video", ["V two."]), ("Audio", ["A one."]),
                        ("Audio", ["A two.", "A two again."])]:
        track = otio.schema.Track(name="", kind=kind)
        for text in texts:
            track.append(otio.schema.Clip(name=text, source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(25, rate))))
        tl.tracks.append(track)
    return tl


@pytest.mark.parametrize("choice, texts", [
    ("A2", ["A two.", "A two again."]), ("a1", ["A one."]), ("V2", ["V two."]), ("V1", ["V one."])])
def test_track_by_kind_and_index(tmp_path, choice, texts):
    path = write(_unnamed_premiere_like(), tmp_path / "p.otio")
    found = read_otio(path, OtioReadOptions(track=choice))
    assert [l.text for l in found.lines] == texts


def test_track_name_wins_over_kind_and_index(tmp_path):
    tl = _unnamed_premiere_like()
    tl.tracks[3].name = "V1"  # an audio track literally named V1
    found = read_otio(write(tl, tmp_path / "p.otio"), OtioReadOptions(track="V1"))
    assert [l.text for l in found.lines] == ["A two.", "A two again."]


def test_empty_track_name_asks_for_kind_and_index(tmp_path):
    path = write(_unnamed_premiere_like(), tmp_path / "p.otio")
    with pytest.raises(InputError, match=r"4 tracks have no name; choose one by kind and index.*V1, V2, A1, A2"):
        read_otio(path, OtioReadOptions(track=""))
    with pytest.raises(InputError, match=r"no track named 'A3' \(tracks: V1, V2, A1, A2\)"):
        read_otio(path, OtioReadOptions(track="A3"))


def test_trimmed_nested_stack_clips_its_lines(tmp_path):
    tl = nested_timeline(FrameRate(25))
    stack = tl.tracks[0][3]
    # Show only stack frames 10-40: the nested clip (stack frames 20-70) is cut at 40, and the
    # stack ends at timeline frame 100, where the next item would start.
    stack.source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(10, 25),
                                                 otio.opentime.RationalTime(30, 25))
    tl.tracks[0].append(otio.schema.Clip(name="After the stack.", source_range=otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, 25), otio.opentime.RationalTime(20, 25))))
    found = read_otio(write(tl, tmp_path / "n.otio"))
    assert [(l.text, l.range.start, l.range.end) for l in found.lines] == [
        ("First line.", 0, 40), ("Second line.", 40, 70), ("Nested line.", 80, 100),
        ("After the stack.", 100, 120)]


def test_nested_clip_hidden_by_the_trim_is_not_read(tmp_path):
    tl = nested_timeline(FrameRate(25))
    tl.tracks[0][3].source_range = otio.opentime.TimeRange(otio.opentime.RationalTime(0, 25),
                                                           otio.opentime.RationalTime(15, 25))
    found = read_otio(write(tl, tmp_path / "n.otio"))
    assert [l.text for l in found.lines] == ["First line.", "Second line."]
    assert any("'Nested line.' lies outside the trimmed range" in w for w in found.warnings)


def test_file_from_a_newer_opentimelineio(tmp_path):
    path = write(dialogue_timeline(FrameRate(25)), tmp_path / "new.otio")
    path.write_text(path.read_text().replace('"Clip.2"', '"Clip.7"'))
    with pytest.raises(InputError) as e:
        read_otio(path)
    msg = str(e.value)
    assert "new.otio" in msg and "newer OpenTimelineIO" in msg and "Clip.7" in msg
    assert f"OpenTimelineIO {otio.__version__} reads only Clip.2" in msg


def test_edl_needs_a_rate_and_keeps_record_timecode(tmp_path):
    edl = tmp_path / "cut.edl"
    edl.write_text(
        "TITLE: cut\nFCM: NON-DROP FRAME\n\n"
        "001  AX       V     C        00:00:00:00 00:00:02:00 01:00:10:00 01:00:12:00\n"
        "* FROM CLIP NAME:  Hello there.\n"
        "002  AX       V     C        00:00:00:00 00:00:01:12 01:00:15:00 01:00:16:12\n"
        "* FROM CLIP NAME:  See you.\n"
        "003  AX       A     C        00:00:00:00 00:00:01:00 01:00:12:00 01:00:13:00\n"
        "* FROM CLIP NAME:  Audio line.\n")
    with pytest.raises(InputError, match="cut.edl: an EDL carries no frame rate: give it with --fps"):
        read_otio(edl)
    found = read_otio(edl, OtioReadOptions(track="V1", rate=FrameRate(25)))
    assert found.info.start_timecode == "01:00:10:00"
    assert [(l.text, l.range.start, l.range.end) for l in found.lines] == [
        ("Hello there.", 0, 50), ("See you.", 125, 162)]
    audio = read_otio(edl, OtioReadOptions(track="A1", rate=FrameRate(25)))
    # the audio track's first event keeps its own record timecode (01:00:12:00)
    assert [(l.text, l.range.start, l.range.end) for l in audio.lines] == [("Audio line.", 50, 75)]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["tracks"]["children"][1]["children"][1]["metadata"].update(dubline="text"),
     "cue sub1: metadata 'dubline' must be a mapping"),
    (lambda d: d["tracks"]["children"][1]["children"][1]["metadata"]["dubline"].update(emotion=[1, 2]),
     "cue L001: emotion must be a preset name or a mapping"),
    (lambda d: d["tracks"]["children"][1]["children"][1]["metadata"]["dubline"].update(
        emotion={"vector": "abcdefgh"}), "cue L001: emotion vector needs 8 weights"),
    (lambda d: d["tracks"]["children"][1]["children"][1]["metadata"]["dubline"].update(
        emotion={"preset": "sad", "intensity": "very"}), "emotion intensity must be a number"),
    (lambda d: d["metadata"].update(dubline=[1]), "timeline metadata 'dubline' must be a mapping"),
    (lambda d: d.update(tracks=None), "timeline has no tracks"),
    (lambda d: d["global_start_time"].update(rate=float("nan")), "unsupported frame rate nan"),
    (lambda d: d["global_start_time"].update(rate=0.0), "unsupported frame rate 0"),
    (lambda d: d["global_start_time"].update(rate=float("-inf")), "unsupported frame rate -inf"),
    (lambda d: d["global_start_time"].update(rate=2840.33), "unsupported frame rate 2840.33"),
    (lambda d: d["global_start_time"].update(value=float("inf")), "start time is not a time"),
    (lambda d: d["global_start_time"].update(value=-100.0), "starts before 00:00:00:00"),
    (lambda d: d["tracks"]["children"][1]["children"][1]["source_range"]["duration"].update(rate=float("nan")),
     "cue L001: clip has no usable time"),
])
def test_malformed_items_are_input_errors(tmp_path, mutate, message):
    """Issue 14's crash sites in the OTIO reader: each is an InputError naming the file."""
    import json

    path = write(dialogue_timeline(FrameRate(25), start_tc="00:00:10:00"), tmp_path / "bad.otio")
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as e:
        read_otio(path)
    assert "bad.otio" in str(e.value) and message in str(e.value)
