"""plugins/resolve/Dubline.py run against a fake of Resolve's API, with a real daemon on loopback.

What lands on the fake timeline is checked frame by frame; the fake encodes Resolve's quirks
(absolute recordFrame, exclusive endFrame, no overwrite, invalid returned items, rate strings).
"""
import importlib.util
import runpy
import socket
from pathlib import Path

import pytest

from fakes.daemon import start_daemon
from fakes.resolve_api import FakeResolve

PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "resolve" / "Dubline.py"


def load_plugin():
    spec = importlib.util.spec_from_file_location("dubline_resolve_script", PLUGIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plugin = load_plugin()


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = start_daemon(tmp_path_factory.mktemp("daemon"))
    yield d
    d.stop()


def choices(daemon, **kw):
    return {"source": "subtitle:1", "bridge": daemon.bridge_url, "token_file": str(daemon.token_file), **kw}


def occupancy(timeline, track):
    """{absolute frame: file path} for every frame covered on an audio track."""
    out = {}
    for item in timeline.audio_items(track):
        for f in range(item.start, item.end):
            assert f not in out, "two clips on one frame"
            out[f] = item.media.path
    return out


def dubline_track(timeline):
    names = [t["name"] for t in timeline.tracks["audio"]]
    return names


def test_subtitles_land_on_their_frames_and_rerun_replaces_only_dubline_clips(daemon):
    fake = FakeResolve(rate="23.976", start_frame=86400)
    tl = fake.timeline
    user = tl.add_audio_clip(1, 0, 400, "production-sound")
    subs = [(24, 72, "ANNA: Hello there."), (80, 130, "How are you today?"), (150, 190, "Fine, thanks.")]
    for start, end, text in subs:
        tl.add_subtitle(1, start, end, text)
    notes = []
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))

    assert all(r["landed"] for r in out["receipt"]) and len(out["receipt"]) == 3
    voice = out["plan"]["tracks"][0]
    assert [t["name"] for t in tl.tracks["audio"]] == ["Audio 1", voice]  # a new track named after the voice
    occ = occupancy(tl, 2)
    expected = {}
    for p, (start, end, _) in zip(out["plan"]["placements"], subs):
        for f in range(86400 + start, 86400 + end):
            expected[f] = p["file"]
    assert occ == expected  # frame by frame: each stem exactly on its subtitle's frames, nothing else
    assert tl.audio_items(1) == [user]  # the production sound is untouched
    bin_ = next(f for f in fake.project.pool.root.subfolders if f.name == "Dubline")
    assert sorted(c.path for c in bin_.clips) == sorted(p["file"] for p in out["plan"]["placements"])
    for item in tl.audio_items(2):
        assert item.name.startswith("Dubline ")
        assert [m["customData"] for m in item.markers.values()][0].startswith("dubline:")
    assert any("Placed 3 of 3" in n for n in notes)

    # Edit: move the second subtitle, change the third's text; run again.
    sub2 = tl.tracks["subtitle"][0]["items"][1]
    sub2.start, sub2.end = 86400 + 100, 86400 + 140
    tl.tracks["subtitle"][0]["items"][2].name = "Fine, thank you."
    out2 = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))
    assert out2["removed"] == 3 and all(r["landed"] for r in out2["receipt"])
    assert [t["name"] for t in tl.tracks["audio"]] == ["Audio 1", voice]  # conformed in place
    assert [(i.start - 86400, i.end - 86400) for i in tl.audio_items(2)] == [(24, 72), (100, 140), (150, 190)]
    assert tl.audio_items(1) == [user]


def test_invalid_returned_items_and_drop_frame_strings(daemon):
    for rate, drop in (("29.97 DF", False), ("29.97", True)):
        fake = FakeResolve(rate=rate, drop_frame=drop, start_frame=107892, invalid_every=1)
        tl = fake.timeline
        tl.add_subtitle(1, 1798, 1860, "Across the minute boundary.")
        out = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
        assert out["plan"]["rate"] == {"num": "30000", "den": "1001", "dropFrame": True}
        [item] = tl.audio_items(2)  # every returned item was invalid; the read-back still finds it
        assert (item.start, item.end) == (107892 + 1798, 107892 + 1860)
        assert out["receipt"][0]["landed"]


def test_busy_voice_track_gets_a_fresh_track_not_a_silent_drop(daemon):
    fake = FakeResolve(rate="25", start_frame=90000)
    tl = fake.timeline
    tl.add_subtitle(1, 50, 100, "Hello there.")
    first = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    voice = first["plan"]["tracks"][0]
    tl.add_track("audio", voice)  # the user's own clip on another track with the voice's name
    tl.add_audio_clip(3, 60, 70, "user-foley")
    tl.tracks["audio"][1]["name"] = "renamed"  # and the old Dubline track renamed
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    assert out["removed"] == 1 and all(r["landed"] for r in out["receipt"])
    assert [t["name"] for t in tl.tracks["audio"]] == ["Audio 1", "renamed", voice, voice]
    assert [i.media.path for i in tl.audio_items(3)] == ["/media/user-foley.wav"]
    assert [(i.start, i.end) for i in tl.audio_items(4)] == [(90050, 90100)]
    assert tl.audio_items(2) == []


def test_markers_as_the_source(daemon):
    fake = FakeResolve(rate="24", start_frame=0)
    tl = fake.timeline
    tl.AddMarker(48, "Blue", "line", "Good morning.", 36)
    tl.AddMarker(120, "Blue", "Only a name", "", 24)
    tl.AddMarker(200, "Blue", "no duration", "skipped", 0)
    out = plugin.run(fake, choices(daemon, source="markers"), plugin.ConsoleUI([]))
    assert [(i.start, i.end) for i in tl.audio_items(2)] == [(48, 84), (120, 144)]
    assert [p["text"] for p in out["plan"]["placements"]] == ["Good morning.", "Only a name"]


def untouched(fake):
    tl = fake.timeline
    return len(tl.tracks["audio"]) == 1 and tl.audio_items(1) == [] and fake.log == [] and fake.appends == 0


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_errors_are_clear_and_place_nothing(daemon, tmp_path):
    def attempt(fake=None, **kw):
        fake = fake or FakeResolve()
        if not fake.timeline.tracks["subtitle"]:
            fake.timeline.add_subtitle(1, 10, 40, "Hello.")
        with pytest.raises(plugin.DublineError) as e:
            plugin.run(fake, choices(daemon, **kw), plugin.ConsoleUI([]))
        assert untouched(fake)
        return str(e.value)

    assert "No Dubline token" in attempt(token_file=str(tmp_path / "missing"))
    bad = tmp_path / "bad"
    bad.write_text("not-the-token\n")
    assert "refused the token" in attempt(token_file=str(bad))
    assert "not running" in attempt(bridge=f"http://127.0.0.1:{closed_port()}")
    assert "Cannot reach" in attempt(bridge="http://dubline.invalid:50152")
    empty = FakeResolve()
    empty.timeline.add_track("subtitle", "Subtitle 1")
    assert "No dialogue found in subtitle track 1" in attempt(empty)
    assert "No dialogue found" in attempt(source="markers")
    no_tl = FakeResolve(with_timeline=False)
    with pytest.raises(plugin.DublineError, match="Open a timeline"):
        plugin.run(no_tl, choices(daemon), plugin.ConsoleUI([]))


def test_menu_entry_point_with_resolve_global(daemon, monkeypatch, capsys):
    fake = FakeResolve(rate="24", start_frame=0)
    fake.timeline.add_subtitle(1, 24, 60, "Hello from the menu.")
    monkeypatch.setenv("DUBLINE_BRIDGE", daemon.bridge_url)
    monkeypatch.setenv("DUBLINE_TOKEN_FILE", str(daemon.token_file))
    monkeypatch.setattr("sys.argv", ["Dubline.py"])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(str(PLUGIN), init_globals={"resolve": fake}, run_name="__main__")
    assert e.value.code == 0
    assert [(i.start, i.end) for i in fake.timeline.audio_items(2)] == [(24, 60)]
    assert "Placed 1 of 1" in capsys.readouterr().out
    monkeypatch.setenv("DUBLINE_BRIDGE", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(SystemExit) as e:
        runpy.run_path(str(PLUGIN), init_globals={"resolve": FakeResolve()}, run_name="__main__")
    assert e.value.code == 1
    assert "ERROR:" in capsys.readouterr().out


def test_rate_strings():
    p = plugin.parse_rate
    assert p("23.976") == {"num": 24000, "den": 1001, "dropFrame": False}
    assert p("29.97 DF") == {"num": 30000, "den": 1001, "dropFrame": True}
    assert p("29.97", "1") == {"num": 30000, "den": 1001, "dropFrame": True}
    assert p("59.94", "0") == {"num": 60000, "den": 1001, "dropFrame": False}
    assert p("25", "1") == {"num": 25, "den": 1, "dropFrame": False}
    assert p("24.0") == {"num": 24, "den": 1, "dropFrame": False}
    with pytest.raises(plugin.DublineError):
        p("twelve")


def test_window_flow_with_ui_manager(daemon, monkeypatch):
    from fakes.resolve_api import FakeBmd, FakeFusion

    fake = FakeResolve(rate="25", start_frame=0)
    fake.timeline.add_subtitle(1, 25, 75, "BEN: From the window.")
    monkeypatch.setenv("DUBLINE_BRIDGE", daemon.bridge_url)
    monkeypatch.setenv("DUBLINE_TOKEN_FILE", str(daemon.token_file))
    bmd = FakeBmd([("set", "Source", "CurrentIndex", 1), ("click", "Dub"),  # markers: none -> error in the log
                   ("set", "Source", "CurrentIndex", 0), ("set", "Speakers", "Text", "BEN=auto"),
                   ("click", "Dub"), ("click", "Close")])
    with pytest.raises(SystemExit) as e:
        runpy.run_path(str(PLUGIN), init_globals={"resolve": fake, "fusion": FakeFusion(), "bmd": bmd},
                       run_name="__main__")
    assert e.value.code == 0
    items = bmd.dispatcher.window.GetItems()
    assert items["Source"].entries == ["Subtitle 1 (1 lines)", "Timeline markers"]
    log = "\n".join(items["Log"].lines)
    assert "ERROR: No dialogue found in the timeline markers" in log
    assert "Placed 1 of 1" in log and bmd.dispatcher.exited
    assert [(i.start, i.end) for i in fake.timeline.audio_items(2)] == [(25, 75)]
