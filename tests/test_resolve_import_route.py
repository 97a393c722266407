"""Resolve free 21.1+ runs no scripts: the dub reaches its timeline through files Dubline writes.

The route (plugins/README.md, "Resolve free 21.1 and later"): `dubline srt EP.srt -o OUT --fps RATE
--start TC --timeline otio,fcp7`, then in Resolve File > Import > Timeline... and OUT/dub.otio (or
OUT/dub.xml); or import OUT/track.wav / the stems and place them by their Broadcast WAV timecode.

Resolve cannot run here, so the files are held to what Resolve is documented to need and read
back by other readers: OpenTimelineIO, ElementTree for the FCP 7 XML, mediainfo for the BWF
timecode. Resolve's OTIO importer takes only documents shaped like its own exports; the shape
checked below is the one samuelgursky/davinci-resolve-mcp measured (docs/reference/
api-limitations.md, "MediaPool.ImportTimelineFromFile (.otio document shape)", Resolve 19.1.3):
Clip.2 with a media_references map and active key, available_range on the reference, a bare
path in target_url, enabled and metadata throughout, global_start_time, and - the one that
decided the import - source ranges counted on the media's own timecode.
"""
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio
import pytest
import soundfile as sf

from dubline.core.bwf import read_time_reference
from dubline.core.otio_resolve import bare_path
from dubline.core.timebase import FrameRate, round_half_up

SRT = """1
00:00:01,000 --> 00:00:02,500
ANNA: Hello there.

2
00:00:03,000 --> 00:00:04,200
How are you today?

3
00:00:04,200 --> 00:00:05,000
Fine.
"""
CASES = {  # rate label, start timecode -> the cue frames after --fps snapping
    "23.976": ("24000/1001", "01:00:00:00"),
    "29.97DF": ("29.97 DF", "00:59:50;00"),
}
SR = 48000


def mediainfo_delay_samples(path: Path) -> int:
    exe = shutil.which("mediainfo")
    if exe is None:
        pytest.fail("mediainfo is required for this test: apt-get install -y mediainfo (.ci/run does)")
    out = json.loads(subprocess.run([exe, "--Output=JSON", str(path)], check=True, capture_output=True,
                                    text=True).stdout)
    (audio,) = [t for t in out["media"]["track"] if t["@type"] == "Audio"]
    assert audio["Delay_Source"] == "Container (bext)"
    return round(Fraction(audio["Delay"]) * SR)


@pytest.fixture(scope="module", params=list(CASES))
def dubbed(request, tmp_path_factory):
    """The user's door: the dubline console script, writing both timeline files."""
    label, start = CASES[request.param]
    tmp = tmp_path_factory.mktemp(f"route-{request.param}")
    (tmp / "ep.srt").write_text(SRT)
    script = Path(sys.executable).with_name("dubline")  # the console script of this environment
    door = [str(script)] if script.is_file() else [sys.executable, "-m", "dubline.bridge.cli"]
    run = subprocess.run([*door, "-q", "srt", str(tmp / "ep.srt"), "-o", str(tmp / "out"), "--fps", label,
                          "--start", start, "--timeline", "otio,fcp7", "--no-cache"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rate = FrameRate.parse(label)
    cues = [(1000, 2500), (3000, 4200), (4200, 5000)]
    frames = [(round_half_up(Fraction(a, 1000) * rate.fps), round_half_up(Fraction(b, 1000) * rate.fps))
              for a, b in cues]
    return {"out": tmp / "out", "rate": rate, "start": rate.frames(start), "frames": frames}


def _stems(out: Path) -> list[Path]:
    return sorted((out / "lines").glob("*.wav"))


def _dub_track(raw: dict) -> dict:
    (track,) = [t for t in raw["tracks"]["children"] if t["kind"] == "Audio"]
    return track


def test_dub_otio_is_shaped_like_resolves_own_export(dubbed):
    raw = json.loads((dubbed["out"] / "dub.otio").read_text())
    assert raw["OTIO_SCHEMA"] == "Timeline.1"
    assert raw["metadata"]["Resolve_OTIO"] == {"Resolve OTIO Meta Version": "1.0"}
    assert raw["global_start_time"]["value"] == dubbed["start"]
    assert raw["global_start_time"]["rate"] == pytest.approx(float(dubbed["rate"].fps), abs=1e-9)
    assert raw["tracks"]["enabled"] is True
    track = _dub_track(raw)
    assert track["enabled"] is True
    assert track["metadata"]["Resolve_OTIO"] == {"Audio Type": "Mono", "Locked": False, "SoloOn": False}
    clips = [c for c in track["children"] if c["OTIO_SCHEMA"].startswith("Clip")]
    assert len(clips) == 3
    for clip in clips:
        assert clip["OTIO_SCHEMA"] == "Clip.2" and clip["enabled"] is True
        assert clip["active_media_reference_key"] == "DEFAULT_MEDIA"
        assert clip["metadata"]["Resolve_OTIO"] == {"Channels": [{"Source Channel ID": 0, "Source Track ID": 0}]}
        ref = clip["media_references"]["DEFAULT_MEDIA"]
        assert ref["OTIO_SCHEMA"] == "ExternalReference.1"
        path = Path(ref["target_url"])
        assert not ref["target_url"].startswith("file:") and path.is_absolute() and path.is_file()
        assert sf.info(str(path)).channels == 1  # "Audio Type": "Mono" is true of the stems
        # Source frames on the media's own timecode: the source range starts where the media does.
        assert clip["source_range"]["start_time"]["value"] == ref["available_range"]["start_time"]["value"]
        assert clip["source_range"]["duration"]["value"] == ref["available_range"]["duration"]["value"]


def test_each_stem_sits_where_its_own_timecode_says(dubbed):
    """OTIO reads dub.otio back; every clip's record position, its source timecode and its Broadcast
    WAV TimeReference (read by mediainfo too) name the same frame."""
    timeline = otio.adapters.read_from_file(str(dubbed["out"] / "dub.otio"))
    (track,) = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    fps, start = dubbed["rate"].fps, dubbed["start"]
    placed = []
    for clip in track.find_clips():
        record = clip.range_in_parent()
        first = int(record.start_time.value)
        placed.append((first, first + int(record.duration.value)))
        assert clip.source_range.start_time.value == start + first  # timecode-absolute source frames
        stem = Path(clip.media_reference.target_url)
        tr = read_time_reference(stem)
        assert tr == mediainfo_delay_samples(stem)
        tr_frames = Fraction(tr) * fps / SR
        assert abs(tr_frames - (start + first)) < Fraction(1, 2)  # the BWF timecode is the clip's frame
        length = Fraction(sf.info(str(stem)).frames) * fps / SR
        assert abs(length - int(record.duration.value)) < 1  # the clip lies within its media
    assert placed == dubbed["frames"]
    assert timeline.global_start_time.value == start


def test_fcp7_xml_places_each_stem_by_frame_and_timecode(dubbed):
    root = ET.parse(dubbed["out"] / "dub.xml").getroot()
    assert root.tag == "xmeml"
    (seq,) = root.iter("sequence")
    rate = dubbed["rate"]
    assert seq.findtext("rate/timebase") == str(round(rate.fps))
    assert seq.findtext("rate/ntsc") == ("TRUE" if rate.fps.denominator == 1001 else "FALSE")
    assert int(seq.findtext("timecode/frame")) == dubbed["start"]
    assert seq.findtext("timecode/displayformat") == ("DF" if rate.drop_frame else "NDF")
    items = list(seq.iter("clipitem"))
    assert [(int(c.findtext("start")), int(c.findtext("end"))) for c in items] == dubbed["frames"]
    stems = []
    for c in items:
        url = c.findtext("file/pathurl")
        assert urlparse(url).scheme == "file"
        path = Path(unquote(urlparse(url).path))
        assert path.is_file() and path.parent == dubbed["out"] / "lines"
        stems.append(path)
        assert int(c.findtext("in")) == 0 and int(c.findtext("out")) == int(c.findtext("end")) - int(c.findtext("start"))
        tr_frames = Fraction(read_time_reference(path)) * rate.fps / SR
        assert abs(tr_frames - int(c.findtext("file/timecode/frame"))) < Fraction(1, 2)
        assert abs(tr_frames - (dubbed["start"] + int(c.findtext("start")))) < Fraction(1, 2)
    assert stems == _stems(dubbed["out"])


def test_track_wav_carries_the_timeline_start(dubbed):
    """The by-timecode route: one file whose Broadcast WAV timecode is the timeline's first frame."""
    track = dubbed["out"] / "track.wav"
    tr = read_time_reference(track)
    assert tr == mediainfo_delay_samples(track)
    assert abs(Fraction(tr) * dubbed["rate"].fps / SR - dubbed["start"]) < Fraction(1, 2)


def test_bare_path_of_file_urls():
    assert bare_path("file:///tmp/a%20b/x.wav") == "/tmp/a b/x.wav"
    assert bare_path("file://localhost/tmp/x.wav") == "/tmp/x.wav"
    assert bare_path("/already/a/path.wav") == "/already/a/path.wav"
    assert bare_path("https://example.com/x.wav") == "https://example.com/x.wav"
