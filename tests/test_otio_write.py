"""The dub as a timeline: written through OTIO's adapters and read back with OTIO, exactly."""
from pathlib import Path

import opentimelineio as otio
import pytest

from dubline.core.errors import OutputError
from dubline.core.lines import Line
from dubline.core.otio_read import lines_from_timeline, read_otio
from dubline.core.otio_write import PlacedStem, dub_timeline, write_timeline
from dubline.core.timebase import FrameRate, TimeRange
from dubline.core.timeline_info import TimelineInfo

from tests.otio_fixtures import dialogue_timeline, write

RATES = ["24000/1001", "24", "25", "30000/1001", "29.97 DF", "30", "50", "60000/1001", "59.94 DF", "60"]


def _stems(lines, folder: Path):
    return [PlacedStem(l, folder / "lines" / f"{l.id}.wav") for l in lines]


def _read_back(path: Path):
    obj = otio.adapters.read_from_file(str(path))
    if isinstance(obj, otio.schema.SerializableCollection):
        (obj,) = obj.find_children(descended_from_type=otio.schema.Timeline)
    return obj


def _dub_clips(timeline):
    # the dub is the last audio track (FCP 7 XML reads back video tracks first, then audio)
    track = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio][-1]
    out = []
    for clip in track.find_clips():
        r = clip.range_in_parent()
        out.append((clip.name, r.start_time.value, r.duration.value, clip.media_reference.target_url,
                    clip.source_range.start_time.value))
    return track, out


@pytest.mark.parametrize("label", RATES)
@pytest.mark.parametrize("fmt", ["otio", "fcp7"])
def test_round_trip_exact(tmp_path, label, fmt):
    rate = FrameRate.parse(label)
    source = dialogue_timeline(rate, cues=[("One.", 3, 50), ("Two.", 50, 77), ("Three.", 1000, 1003)])
    found = lines_from_timeline(source)
    assert found.info.rate == rate
    timeline = dub_timeline(_stems(found.lines, tmp_path), found.info, "en-joe", source)
    (path,) = write_timeline(timeline, tmp_path, "dub", [fmt])
    back = _read_back(path)

    assert back.global_start_time.value == found.info.start_frame
    assert back.global_start_time.rate == pytest.approx(float(rate.fps), abs=1e-9)
    track, clips = _dub_clips(back)
    start = found.info.start_frame
    assert [(c[0], c[1], c[2], c[4]) for c in clips] == [
        ("L001", 3, 47, start + 3), ("L002", 50, 27, start + 50), ("L003", 1000, 3, start + 1000)]
    stems = [(tmp_path / "lines" / f"L00{i}.wav").resolve() for i in (1, 2, 3)]
    # .otio names media by bare path, as Resolve's own exports do (tests/test_resolve_import_route.py)
    assert [c[3] for c in clips] == [str(p) if fmt == "otio" else p.as_uri() for p in stems]
    # Gaps fill the track between clips, so positions survive editors that ignore offsets.
    assert [type(i).__name__ for i in track] == ["Gap", "Clip", "Clip", "Gap", "Clip"]
    if fmt == "otio":
        assert track.name == "Dubline - en-joe"
        assert len(back.tracks) == 3
        # Reading our own output back finds the same dialogue and not the dub track.
        again = lines_from_timeline(back)
        assert [(l.id, l.range) for l in again.lines] == [(l.id, l.range) for l in found.lines]
        assert again.info == found.info
    else:
        # FCP 7 XML has no track names (documented); the drop-frame flag survives.
        fmt_tc = back.metadata["fcp_xml"]["timecode"]["displayformat"]
        assert fmt_tc == ("DF" if rate.drop_frame else "NDF")


def test_standalone_timeline_for_srt_lines(tmp_path):
    rate = FrameRate.parse("24000/1001")
    info = TimelineInfo.at("episode", rate, "01:00:00:00")
    lines = [Line("1", "Hi.", TimeRange(24, 48, rate.fps)), Line("2", "Bye.", TimeRange(100, 130, rate.fps))]
    timeline = dub_timeline(_stems(lines, tmp_path), info, "en-joe")
    paths = write_timeline(timeline, tmp_path, "dub", ["otio", "fcp7"])
    for path in paths:
        back = _read_back(path)
        assert back.global_start_time.value == 86400
        _, clips = _dub_clips(back)
        assert [(c[0], c[1], c[2]) for c in clips] == [("1", 24, 24), ("2", 100, 30)]


def test_unknown_format(tmp_path):
    info = TimelineInfo.at("x", FrameRate(25))
    with pytest.raises(OutputError, match="unknown timeline format .fcpx."):
        write_timeline(dub_timeline([], info, "v"), tmp_path, "dub", ["fcpx"])


def test_rerun_replaces_the_dub_track(tmp_path):
    rate = FrameRate(25)
    path = write(dialogue_timeline(rate), tmp_path / "cut.otio")
    found = read_otio(path)
    once = dub_timeline(_stems(found.lines, tmp_path), found.info, "en-joe", _read_back(path))
    twice = dub_timeline(_stems(found.lines, tmp_path), found.info, "en-joe", once)
    assert [t.name for t in twice.tracks] == ["V1", "Dialogue", "Dubline - en-joe"]


REALWORLD = Path(__file__).resolve().parent / "data" / "realworld" / "timelines"


@pytest.mark.parametrize("name, rate", [
    ("otio_simple_cut.otio", None),  # clips without source_range
    ("otio_generator_reference_test.otio", None),  # a generator reference
    ("otio_nested_example.otio", None),  # nested stacks, a track inside a track
    ("otio_transition_test.otio", None),
    ("cmx_avid_example.edl", FrameRate(24)),  # media references without available_range
    ("fcp_premiere_generators.xml", None),
])
def test_fcp7_and_edl_write_common_shapes(tmp_path, name, rate):
    """The shapes that crashed the FCP 7 XML writer after the render now write, exactly."""
    from dubline.core.otio_read import OtioReadOptions, load_timeline

    source = load_timeline(REALWORLD / name, rate)
    found = lines_from_timeline(source, OtioReadOptions(track="V1" if "generators" not in name else "A1",
                                                        rate=rate), REALWORLD / name)
    timeline = dub_timeline(_stems(found.lines, tmp_path), found.info, "en-joe", source)
    xml, edl = write_timeline(timeline, tmp_path, "dub", ["fcp7", "edl"])
    want = [(l.id, l.range.start, l.range.end - l.range.start) for l in found.lines]
    back = _read_back(xml)
    assert back.global_start_time.value == found.info.start_frame
    _, clips = _dub_clips(back)
    assert [(c[0], c[1], c[2]) for c in clips] == want
    # the EDL holds the dub track alone, at absolute record timecode
    again = read_otio(edl, OtioReadOptions(track="A1", rate=found.info.rate))
    assert again.info.start_frame + again.lines[0].range.start == found.info.start_frame + found.lines[0].range.start
    assert [(l.range.start - again.lines[0].range.start, l.range.end - l.range.start) for l in again.lines] == [
        (l.range.start - found.lines[0].range.start, l.range.end - l.range.start) for l in found.lines]


def test_fcp7_falls_back_to_the_dub_track_with_a_warning(tmp_path):
    """A source the FCP 7 XML writer cannot take at all: the XML holds the dub track alone."""
    from dubline.core.otio_write import check_formats

    source = dialogue_timeline(FrameRate(25))
    # a clip with neither a source range nor media with a range has no length to write
    source.tracks[0].append(otio.schema.Clip(name="no range", media_reference=otio.schema.MissingReference()))
    found = lines_from_timeline(source)
    warnings = check_formats(found.lines, found.info, "dub", ["otio", "fcp7", "edl"], source)
    assert len(warnings) == 1 and warnings[0].startswith("the FCP 7 XML holds only the dub track")
    timeline = dub_timeline(_stems(found.lines, tmp_path), found.info, "en-joe", source)
    (xml,) = write_timeline(timeline, tmp_path, "dub", ["fcp7"])
    back = _read_back(xml)
    assert len(back.tracks) == 1 and back.global_start_time.value == found.info.start_frame
    assert [(c[0], c[1]) for c in _dub_clips(back)[1]] == [(l.id, l.range.start) for l in found.lines]
