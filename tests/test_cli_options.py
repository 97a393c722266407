"""Every option is checked before the first line is synthesized (issue 16).

Each case runs the console script in a fresh folder and must fail at once, one line per
mistake naming the option, exit code 2 for a mistake in the command line and 1 for a
mistake in a file, and leave no stems behind (main used to render every line first).
"""
import importlib.util
import shutil

import pytest

from cli_door import dubline, one_error

# Each bad option and the words its error line must start with; all given in one command,
# all must be reported, each once.
BAD_OPTIONS = [
    (["--timeline", "fcpx,otio"], "--timeline: unknown format fcpx"),
    (["--deliver", "wav,ogg"], "--deliver: unknown format ogg"),
    (["--fps", "7"], "--fps: unsupported frame rate 7"),
    (["--sample-rate", "5"], "--sample-rate 5"),
    (["--min-factor", "2"], "--min-factor/--max-factor/--max-stretch"),
    (["--speaker", "ANNA"], "--speaker expects NAME=VOICE"),
    (["--loudness", "12"], "--loudness 12"),
]


@pytest.fixture
def episode(tmp_path, samples):
    shutil.copy(samples / "episode_en.srt", tmp_path / "episode.srt")
    return tmp_path


def _errors(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [ln.removeprefix("dubline: error: ") for ln in stderr.splitlines() if ln.startswith("dubline: error:")]


def test_every_bad_option_is_reported_before_any_synthesis(episode):
    extra = [a for args, _ in BAD_OPTIONS for a in args]
    r = dubline("srt", "episode.srt", "-o", "out", *extra, cwd=episode, timeout=30)
    assert r.returncode == 2, r.stderr
    errors = _errors(r.stderr)
    for _, message in BAD_OPTIONS:
        assert sum(e.startswith(message) for e in errors) == 1, (message, errors)
    assert len(errors) == len(BAD_OPTIONS)
    assert not (episode / "out").exists()


def test_options_that_need_a_frame_rate(episode):
    r = dubline("srt", "episode.srt", "-o", "out", "--start", "01:00:00:00", "--timeline", "otio",
                cwd=episode, timeout=30)
    assert r.returncode == 2
    assert _errors(r.stderr) == ["--start needs --fps (the timeline's frame rate)",
                                 "--timeline needs --fps (the timeline's frame rate)"]


def test_output_naming_an_existing_file_is_refused_first(episode):
    (episode / "notes.txt").write_text("mine")
    r = dubline("srt", "episode.srt", "-o", "notes.txt", cwd=episode, timeout=30)
    assert r.returncode == 2
    line = one_error(r)
    assert "-o notes.txt is a file" in line and "cue" not in line
    assert (episode / "notes.txt").read_text() == "mine"


def test_unknown_voice_is_one_error_not_one_per_cue(episode):
    r = dubline("srt", "episode.srt", "-o", "out", "--voice", "nobody", "--speaker", "BEN=nobody2",
                cwd=episode, timeout=30)
    assert r.returncode == 2
    errors = _errors(r.stderr)
    assert len(errors) == 2 and errors[0].startswith("--voice nobody: unknown voice 'nobody'")
    assert errors[1].startswith("--speaker nobody2: unknown voice")
    assert not (episode / "out").exists()


def test_unknown_voice_named_by_the_input_is_one_error_for_all_its_cues(tmp_path):
    # A voice named by a file (not on the command line) is an input error: once, with
    # the cues that use it.
    srt = tmp_path / "speakers.srt"
    srt.write_text("".join(f"{i}\n00:00:0{i},000 --> 00:00:0{i},900\nANNA: Line {i}.\n\n" for i in range(1, 8)))
    (tmp_path / "voices.toml").write_text('[speakers.ANNA]\nvoice = "nobody"\n')
    r = dubline("srt", "speakers.srt", "-o", "out", "--voices", "voices.toml", cwd=tmp_path, timeout=30)
    assert r.returncode == 1
    line = one_error(r)
    assert "nobody" in line and "7 lines" in line


def test_timeline_commands_check_options_first(tmp_path):
    from otio_fixtures import dialogue_timeline, write
    from dubline.core.timebase import FrameRate

    cut = write(dialogue_timeline(FrameRate(25), cues=[("Hello there.", 25, 75)]), tmp_path / "cut.otio")
    r = dubline("conform", "cut.otio", "cut.otio", "-o", "out", "--deliver", "ogg", "--voice", "nobody",
                cwd=tmp_path, timeout=30)
    assert r.returncode == 2 and "--deliver: unknown format ogg" in one_error(r)
    assert not (tmp_path / "out").exists()


def test_missing_model_dir_is_named_once(episode):
    r = dubline("srt", "episode.srt", "-o", "out", "--model-dir", "nowhere", cwd=episode, timeout=30)
    assert r.returncode == 1 and "--model-dir nowhere: no such folder" in one_error(r)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="the GPU extra (torch) is not installed")
def test_incomplete_model_dir_is_one_error_before_any_line(episode):
    # Checked once up front, not once per cue as each line tried to load the engine.
    (episode / "checkpoints").mkdir()
    (episode / "voices.toml").write_text('[speakers.ANNA]\nvoice = "en-joe"\n')
    r = dubline("srt", "episode.srt", "-o", "out", "--voices", "voices.toml", "--model-dir", "checkpoints",
                cwd=episode, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.count("dubline: error:") == 1 and "cue" not in r.stderr
    assert "checkpoints/config.yaml" in r.stderr
    assert not (episode / "out").exists()
