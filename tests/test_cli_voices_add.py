"""``dubline voices add`` refuses what would surprise a user (issue 16): a built-in name, a
silent overwrite, a missing or non-audio file. Through the console script, fresh store."""
import numpy as np
import pytest
import soundfile as sf

from cli_door import dubline, one_error


@pytest.fixture
def store(tmp_path):
    rng = np.random.default_rng(0)
    t = np.arange(6 * 22050) / 22050
    clip = 0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t)) + 0.001 * rng.standard_normal(len(t))
    sf.write(tmp_path / "anna.wav", clip, 22050, subtype="PCM_16")
    sf.write(tmp_path / "anna_v2.wav", clip[::-1], 22050, subtype="PCM_16")
    return tmp_path, {"DUBLINE_DATA_DIR": str(tmp_path / "data")}


def _listed(cwd, env, name):
    r = dubline("voices", cwd=cwd, env=env, timeout=60)
    return [ln for ln in r.stdout.splitlines() if ln.split()[0] == name]


def test_a_built_in_name_is_refused(store):
    cwd, env = store
    r = dubline("voices", "add", "en-joe", "anna.wav", cwd=cwd, env=env, timeout=60)
    assert r.returncode == 2 and "built-in voice" in one_error(r)
    assert len(_listed(cwd, env, "en-joe")) == 1


def test_a_stored_voice_is_replaced_only_with_force(store):
    cwd, env = store
    assert dubline("voices", "add", "anna", "anna.wav", cwd=cwd, env=env, timeout=60).returncode == 0
    r = dubline("voices", "add", "anna", "anna_v2.wav", cwd=cwd, env=env, timeout=60)
    assert r.returncode == 2 and "already exists" in one_error(r) and "--force" in r.stderr
    assert "cloned from anna.wav" in _listed(cwd, env, "anna")[0]
    r = dubline("voices", "add", "anna", "anna_v2.wav", "--force", cwd=cwd, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    (listed,) = _listed(cwd, env, "anna")
    assert "cloned from anna_v2.wav" in listed


@pytest.mark.parametrize("name,words", [("nosuch.wav", "nosuch.wav: no such file"),
                                        ("notes.srt", "notes.srt: not an audio file")])
def test_a_missing_or_non_audio_file_says_so(store, name, words):
    cwd, env = store
    (cwd / "notes.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi.\n")
    r = dubline("voices", "add", "anna", name, cwd=cwd, env=env, timeout=60)
    assert r.returncode == 1 and words in one_error(r)
    assert "System error" not in r.stderr
    assert _listed(cwd, env, "anna") == []
