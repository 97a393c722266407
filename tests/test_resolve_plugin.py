"""plugins/resolve/Dubline.py against the fake Resolve API (tests/fakes/resolve_api.py), with a
real daemon on loopback, under each documented host profile and quirk.

What lands on the fake timeline is checked frame by frame. The fake encodes the hosts' documented
behaviour (absolute recordFrame, no overwrite, invalid returned items, rate strings, Edit-page
DeleteClips, current-timeline appends, WAV frame rate frozen at import, endFrame exclusive or
inclusive, UIManager missing on free 19.1+, no Python scripts on free 21.1+).
"""
import importlib.util
import runpy
import socket
import sys
from pathlib import Path

import pytest

from fakes.daemon import start_daemon
from fakes.resolve_api import ASSUMED, PROFILES, FakeApp, FakeFusion, FakeResolve, FakeScriptModule
from fakes.resolve_ui import FakeBmd

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugins" / "resolve" / "Dubline.py"
RUNNABLE = [k for k, p in PROFILES.items() if p.python_scripts]
STUDIO = [k for k, p in PROFILES.items() if p.ui_manager]
FREE_CONSOLE = [k for k, p in PROFILES.items() if p.python_scripts and not p.ui_manager]


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


@pytest.fixture
def bridge_env(daemon, monkeypatch):
    monkeypatch.setenv("DUBLINE_BRIDGE", daemon.bridge_url)
    monkeypatch.setenv("DUBLINE_TOKEN_FILE", str(daemon.token_file))
    monkeypatch.setattr("sys.argv", ["Dubline.py"])
    return daemon


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


def spans(timeline, track, origin=0):
    return [(i.start - origin, i.end - origin) for i in timeline.audio_items(track)]


SUBS = [(24, 72, "ANNA: Hello there."), (72, 130, "How are you today?"), (150, 190, "Fine, thanks.")]


def with_subs(fake, subs=SUBS):
    for start, end, text in subs:
        fake.timeline.add_subtitle(1, start, end, text)
    return fake


def run_menu(fake, scope_extra=None, dispatcher_script=None):
    """Workspace > Scripts > Dubline: the script run as __main__ with what Resolve injects."""
    scope = {"resolve": fake, **(scope_extra or {})}
    if fake.profile.ui_manager:
        scope.setdefault("fusion", fake.fusion)
        scope.setdefault("bmd", FakeBmd(dispatcher_script or [("click", "Dub"), ("click", "Close")]))
    else:
        scope.setdefault("bmd", FakeBmd([]))  # present on free too: the script must still not ask for UIManager
    with pytest.raises(SystemExit) as e:
        runpy.run_path(str(PLUGIN), init_globals=scope, run_name="__main__")
    return e.value.code, scope


# -- every profile: detect first, then the right flow ------------------------------------------

@pytest.mark.parametrize("profile", RUNNABLE)
def test_each_profile_dubs_places_and_conforms(bridge_env, profile, capsys):
    fake = with_subs(FakeResolve(rate="23.976", start_frame=86400, profile=profile))
    code, scope = run_menu(fake)
    assert code == 0
    # The product and version are asked before anything else.
    assert fake.calls[:2] == ["FakeResolve.GetProductName", "FakeResolve.GetVersion"]
    printed = capsys.readouterr().out
    assert f"{PROFILES[profile].product} {'.'.join(map(str, PROFILES[profile].version[:3]))}" in printed
    if PROFILES[profile].ui_manager:
        log = "\n".join(scope["bmd"].dispatcher.window.GetItems()["Log"].lines)
        assert "Fusion.UIManager" in fake.calls
    else:
        log = printed
        assert "Fusion.UIManager" not in fake.calls and not fake.modal  # never touched: no upsell dialog
        assert not any(c.startswith("Fusion") for c in fake.calls)
    assert "Placed 3 of 3" in log, log
    tl = fake.timeline
    voice_track = len(tl.tracks["audio"])
    assert spans(tl, voice_track, 86400) == [(24, 72), (72, 130), (150, 190)]
    # a re-run replaces the earlier clips and nothing else
    tl.tracks["subtitle"][0]["items"][2].start += 5
    code, _ = run_menu(fake)
    assert code == 0 and len(tl.tracks["audio"]) == voice_track
    assert spans(tl, voice_track, 86400) == [(24, 72), (72, 130), (155, 190)]


def test_free_21_1_runs_no_python_so_the_script_names_the_file_route(bridge_env, capsys):
    fake = with_subs(FakeResolve(rate="25", profile="free-21.1"))
    assert PROFILES["free-21.1"].python_scripts is False  # Workspace > Scripts does not list Dubline.py
    code, _ = run_menu(fake)
    assert code == 1
    out = capsys.readouterr().out
    assert "DaVinci Resolve 21.1.0 does not run Python scripts" in out
    assert "File > Import > Timeline" in out and "dub.otio" in out and "--timeline otio,fcp7" in out
    # nothing but the product and version was asked; nothing was touched
    assert fake.calls == ["FakeResolve.GetProductName", "FakeResolve.GetVersion"]
    assert fake.appends == 0 and fake.log == []


# -- finding resolve ---------------------------------------------------------------------------

def test_resolve_is_found_through_each_documented_door(bridge_env, monkeypatch):
    studio = FakeResolve(profile="studio-21")
    assert plugin.find_resolve({"resolve": studio}) == (studio, "resolve")
    assert plugin.find_resolve({"app": FakeApp(studio)}) == (studio, "app.GetResolve()")
    assert plugin.find_resolve({"bmd": FakeBmd([], studio)}) == (studio, 'bmd.scriptapp("Resolve")')
    assert plugin.find_resolve({"app": object(), "bmd": FakeBmd([], studio)})[1] == 'bmd.scriptapp("Resolve")'
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", FakeScriptModule(studio))
    assert plugin.find_resolve({}) == (studio, "DaVinciResolveScript")
    monkeypatch.setitem(sys.modules, "DaVinciResolveScript", FakeScriptModule(FakeResolve(profile="free-21.0")))
    assert plugin.find_resolve({}) == (None, "")  # external scripting: Studio only


def test_found_via_app_get_resolve_in_the_console_flow(bridge_env, capsys):
    fake = with_subs(FakeResolve(rate="25", start_frame=0, profile="free-21.0"), [(25, 75, "From the console.")])
    assert plugin.main([], {"app": FakeApp(fake)}) == 0
    out = capsys.readouterr().out
    assert "found via app.GetResolve()" in out and "Placed 1 of 1" in out
    assert spans(fake.timeline, 2) == [(25, 75)]


def test_no_resolve_at_all(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "DaVinciResolveScript", raising=False)
    assert plugin.main([], {}) == 1
    assert "scripting object is not available" in capsys.readouterr().out


# -- quirks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("end_frame", ["exclusive", "inclusive"])
@pytest.mark.parametrize("profile", ["studio-19", "free-21.0"])
def test_end_frame_convention_is_measured_on_the_first_clip(daemon, profile, end_frame):
    # Abutting lines: a one-frame-long clip would make Resolve drop the next one.
    fake = with_subs(FakeResolve(rate="24", start_frame=0, profile=profile, end_frame=end_frame),
                     [(10, 40, "One."), (40, 70, "Two."), (70, 100, "Three.")])
    notes = []
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))
    assert out["endFrame"] == end_frame
    assert spans(fake.timeline, 2) == [(10, 40), (40, 70), (70, 100)]
    assert [r["offFrames"] for r in out["receipt"]] == [0, 0, 0]
    assert any(f"endFrame measured {end_frame}" in n for n in notes)


def test_inclusive_end_frame_on_media_longer_than_the_slot(daemon):
    """Where the media has frames to spare, an inclusive endFrame lands one frame long: the
    first clip is put back at its length and the rest are sent one frame shorter."""
    fake = with_subs(FakeResolve(rate="24", start_frame=0, profile="studio-21", end_frame="inclusive"),
                     [(10, 40, "One."), (40, 70, "Two."), (70, 100, "Three.")])
    pool = fake.project.pool
    real_import = pool.ImportMedia

    def padded(paths):
        items = real_import(paths)
        for item in items:  # e.g. a stem with a tail, or a frame count rounded up
            item.frames += 5
            item.props["Frames"] = str(item.frames)
        return items

    pool.ImportMedia = padded
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    assert out["endFrame"] == "inclusive"
    assert spans(fake.timeline, 2) == [(10, 40), (40, 70), (70, 100)]
    assert [r["offFrames"] for r in out["receipt"]] == [0, 0, 0]


def test_the_timeline_switched_mid_job_gets_the_dub(daemon):
    fake = with_subs(FakeResolve(rate="25", start_frame=90000, profile="studio-20"))
    original = fake.timeline
    other = []

    class UserSwitches(plugin.ConsoleUI):
        def say(self, message):
            super().say(message)
            if message.startswith("  done") and not other:
                other.append(fake.user_switches_timeline())  # while the job runs

    notes = []
    out = plugin.run(fake, choices(daemon), UserSwitches(notes))
    assert other and all(r["landed"] for r in out["receipt"])
    assert spans(original, 2, 90000) == [(24, 72), (72, 130), (150, 190)]
    assert other[0].GetTrackCount("audio") == 1 and other[0].audio_items(1) == []
    assert fake.project.GetCurrentTimeline() is original
    assert any("Switched back to timeline 'Timeline 1'" in n for n in notes)


@pytest.mark.parametrize("page", ["color", "fusion", "fairlight"])
def test_earlier_clips_are_deleted_on_the_edit_page_and_the_page_restored(daemon, page):
    fake = with_subs(FakeResolve(rate="25", start_frame=0, profile="studio-21"))
    plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    fake.page = page
    fake.flaky_delete = True  # and the first DeleteClips fails once
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    assert out["removed"] == 3 and all(r["landed"] for r in out["receipt"])
    assert spans(fake.timeline, 2) == [(24, 72), (72, 130), (150, 190)]  # no duplicates
    assert fake.page == page and fake.pages[-2:] == ["edit", page]


def test_page_restored_when_the_edit_fails(daemon):
    fake = with_subs(FakeResolve(rate="25", start_frame=0, profile="studio-21", page="color"))
    plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    fake.timeline.DeleteClips = lambda items, ripple=False: False  # Resolve keeps everything
    with pytest.raises(plugin.DublineError, match="Resolve kept 3 earlier Dubline clip"):
        plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
    assert fake.page == "color"


@pytest.mark.parametrize("project_rate,timeline_rate", [("24", "29.97"), ("25", "23.976"), ("23.976", "23.976")])
def test_audio_source_frames_count_at_the_rate_the_wav_took_at_import(daemon, project_rate, timeline_rate):
    fake = with_subs(FakeResolve(rate=timeline_rate, start_frame=0, profile="studio-19", project_rate=project_rate),
                     [(10, 40, "One."), (40, 71, "Two."), (90, 137, "Three.")])
    notes = []
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))
    items = fake.timeline.audio_items(2)
    assert [i.media.props["FPS"] for i in items] == [project_rate] * 3
    assert all(r["landed"] for r in out["receipt"]), notes
    # each clip starts on its line and ends on it or one frame before (a rate conversion can
    # leave no media frame count that fills the slot exactly); never over the next line
    for (start, end), item in zip([(10, 40), (40, 71), (90, 137)], items):
        assert item.start == start and end - 1 <= item.end <= end
    assert [r["offFrames"] for r in out["receipt"]] == [i.end - e for i, (_, e) in
                                                        zip(items, [(10, 40), (40, 71), (90, 137)])]


# -- carried over: frames, markers, errors, rates, window -------------------------------------

def test_subtitles_land_on_their_frames_and_rerun_replaces_only_dubline_clips(daemon):
    fake = FakeResolve(rate="23.976", start_frame=86400)
    tl = fake.timeline
    user = tl.add_audio_clip(1, 0, 400, "production-sound")
    subs = [(24, 72, "ANNA: Hello there."), (80, 130, "How are you today?"), (150, 190, "Fine, thanks.")]
    with_subs(fake, subs)
    notes = []
    out = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))

    assert all(r["landed"] for r in out["receipt"]) and len(out["receipt"]) == 3
    voice = out["plan"]["tracks"][0]
    assert [t["name"] for t in tl.tracks["audio"]] == ["Audio 1", voice]  # a new track named after the voice
    expected = {}
    for p, (start, end, _) in zip(out["plan"]["placements"], subs):
        for f in range(86400 + start, 86400 + end):
            expected[f] = p["file"]
    assert occupancy(tl, 2) == expected  # frame by frame: each stem exactly on its subtitle's frames
    assert tl.audio_items(1) == [user]  # the production sound is untouched
    bin_ = next(f for f in fake.project.pool.root.subfolders if f.name == "Dubline")
    assert sorted(c.path for c in bin_.clips) == sorted(p["file"] for p in out["plan"]["placements"])
    for item in tl.audio_items(2):
        assert item.GetName().startswith("Dubline ")
        assert [m["customData"] for m in item.markers.values()][0].startswith("dubline:")
    assert any("Placed 3 of 3" in n for n in notes)

    sub2 = tl.tracks["subtitle"][0]["items"][1]
    sub2.start, sub2.end = 86400 + 100, 86400 + 140
    tl.tracks["subtitle"][0]["items"][2].name = "Fine, thank you."
    out2 = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))
    assert out2["removed"] == 3 and all(r["landed"] for r in out2["receipt"])
    assert [t["name"] for t in tl.tracks["audio"]] == ["Audio 1", voice]  # conformed in place
    assert spans(tl, 2, 86400) == [(24, 72), (100, 140), (150, 190)]
    assert tl.audio_items(1) == [user]


def test_invalid_returned_items_and_drop_frame_strings(daemon):
    for rate, drop in (("29.97 DF", False), ("29.97", True)):
        fake = FakeResolve(rate=rate, drop_frame=drop, start_frame=107892, invalid_every=1)
        fake.timeline.add_subtitle(1, 1798, 1860, "Across the minute boundary.")
        out = plugin.run(fake, choices(daemon), plugin.ConsoleUI([]))
        assert out["plan"]["rate"] == {"num": 30000, "den": 1001, "dropFrame": True}
        [item] = fake.timeline.audio_items(2)  # every returned item was invalid; the read-back still finds it
        assert (item.start, item.end) == (107892 + 1798, 107892 + 1860)
        assert out["receipt"][0]["landed"]


def test_one_frame_off_is_landed_with_a_warning_not_not_placed(daemon):
    fake = with_subs(FakeResolve(rate="25", start_frame=0), [(10, 60, "Hello there.")])
    original = plugin.Clip.record_frames
    try:
        # A Resolve that gives one frame less than asked, whatever is sent.
        plugin.Clip.record_frames = lambda self, source: source
        fake.project.pool._append_one_real = fake.project.pool._append_one

        def short(tl, info):
            info = dict(info, endFrame=int(info["endFrame"]) - 1)
            return fake.project.pool._append_one_real(tl, info)

        fake.project.pool._append_one = short
        notes = []
        out = plugin.run(fake, choices(daemon), plugin.ConsoleUI(notes))
    finally:
        plugin.Clip.record_frames = original
    assert out["receipt"][0]["landed"] and out["receipt"][0]["offFrames"] == -1
    assert any("landed 1 frame shorter than planned (49 instead of 50)" in n for n in notes), notes
    assert not any("NOT PLACED" in n for n in notes)


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
    assert spans(tl, 4) == [(90050, 90100)]
    assert tl.audio_items(2) == []


def test_markers_as_the_source(daemon):
    fake = FakeResolve(rate="24", start_frame=0)
    tl = fake.timeline
    tl.AddMarker(48, "Blue", "line", "Good morning.", 36)
    tl.AddMarker(120, "Blue", "Only a name", "", 24)
    tl.AddMarker(200, "Blue", "no duration", "skipped", 0)
    out = plugin.run(fake, choices(daemon, source="markers"), plugin.ConsoleUI([]))
    assert spans(tl, 2) == [(48, 84), (120, 144)]
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


def test_console_flow_error_exit(bridge_env, monkeypatch, capsys):
    monkeypatch.setenv("DUBLINE_BRIDGE", f"http://127.0.0.1:{closed_port()}")
    code, _ = run_menu(with_subs(FakeResolve(profile="free-19.1")))
    assert code == 1
    assert "ERROR: The Dubline daemon is not running" in capsys.readouterr().out


def test_rate_strings():
    p = plugin.parse_rate
    assert p("23.976") == {"num": 24000, "den": 1001, "dropFrame": False}
    assert p("29.97 DF") == {"num": 30000, "den": 1001, "dropFrame": True}
    assert p("29.97 NDF", "0") == {"num": 30000, "den": 1001, "dropFrame": False}
    assert p("29.97", "1") == {"num": 30000, "den": 1001, "dropFrame": True}
    assert p("59.94", "0") == {"num": 60000, "den": 1001, "dropFrame": False}
    assert p("25", "1") == {"num": 25, "den": 1, "dropFrame": False}
    assert p("24.0") == {"num": 24, "den": 1, "dropFrame": False}
    with pytest.raises(plugin.DublineError):
        p("twelve")


@pytest.mark.parametrize("profile", STUDIO)
def test_window_flow_with_ui_manager(bridge_env, profile):
    fake = FakeResolve(rate="25", start_frame=0, profile=profile)
    fake.timeline.add_subtitle(1, 25, 75, "BEN: From the window.")
    bmd = FakeBmd([("set", "Source", "CurrentIndex", 1), ("click", "Dub"),  # markers: none -> error in the log
                   ("set", "Source", "CurrentIndex", 0), ("set", "Speakers", "Text", "BEN=auto"),
                   ("click", "Dub"), ("click", "Close")])
    code, _ = run_menu(fake, {"fusion": FakeFusion(fake), "bmd": bmd})
    assert code == 0
    items = bmd.dispatcher.window.GetItems()
    assert items["Source"].entries == ["Subtitle 1 (1 lines)", "Timeline markers"]
    log = "\n".join(items["Log"].lines)
    assert "ERROR: No dialogue found in the timeline markers" in log
    assert "Placed 1 of 1" in log and bmd.dispatcher.exited
    assert spans(fake.timeline, 2) == [(25, 75)]


def test_every_assumption_of_the_fake_is_on_the_checklist():
    checklist = (ROOT / "plugins" / "resolve" / "CHECKLIST.md").read_text()
    fake = (ROOT / "tests" / "fakes" / "resolve_api.py").read_text()
    assert [k for k in ASSUMED if f"`{k}`" not in checklist] == []
    assert [k for k in ASSUMED if f"assumed: {k}" not in fake] == []
    for p in PROFILES.values():
        assert p.source and "[" in p.source  # each profile cites its source
        assert f"| {p.key} |" in checklist


class WatchingUI(plugin.ConsoleUI):
    """Notes, at each finished line, which owners hold the daemon's open watches of the job."""

    def __init__(self, daemon):
        super().__init__([])
        self.jobs = daemon.daemon.service.jobs
        self.seen = []

    def say(self, message):
        super().say(message)
        if message.startswith("  done"):
            self.seen.extend(o for j in self.jobs.values() if not j.finished for o in j.holders.watches)


@pytest.mark.parametrize("env_owner", ["editor-7", None])
def test_the_job_and_its_watch_carry_one_owner_key(daemon, monkeypatch, env_owner):
    """Issue 14: only the script's own watch holds (and by going away cancels) its job."""
    if env_owner:
        monkeypatch.setenv("DUBLINE_OWNER", env_owner)
    else:
        monkeypatch.delenv("DUBLINE_OWNER", raising=False)
    owner = plugin.owner_key()
    assert owner == (env_owner or plugin.owner_key())  # stable across runs of the script
    if not env_owner:
        assert owner.startswith("resolve-") and len(owner) == 24 and socket.gethostname() not in owner
    fake = FakeResolve(rate="24", start_frame=0)
    fake.timeline.add_subtitle(1, 24, 72, "Whose line is it?")
    ui = WatchingUI(daemon)
    out = plugin.run(fake, choices(daemon, name=f"owned-{env_owner}"), ui)
    assert ui.seen == [owner]
    job = next(j for j in daemon.daemon.service.jobs.values() if j.spec.name == f"owned-{env_owner}")
    assert job.spec.owner == owner and not job.spec.detached
    assert len(out["receipt"]) == 1
