"""User mistakes end in one line naming the thing to fix, never a traceback (issue 16).

Every case is the console script as a user types it, in a fresh folder.
"""
import shutil
import subprocess

import pytest

from cli_door import dubline, one_error

NOT_SUBTITLES = {
    "video.mp4": None,  # made with ffmpeg below
    "notes.srt": b"\x00\x00\x00\x00\x13\x37binary",  # NULs that no UTF-16 text has
}


@pytest.fixture(scope="module")
def not_subtitles(tmp_path_factory):
    import imageio_ffmpeg

    root = tmp_path_factory.mktemp("binary")
    for name, data in NOT_SUBTITLES.items():
        if data is not None:
            (root / name).write_bytes(data)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
                    "-f", "lavfi", "-i", "testsrc=size=32x32:rate=25", "-frames:v", "5", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(root / "video.mp4")], check=True)
    return root


@pytest.mark.parametrize("name", sorted(NOT_SUBTITLES))
def test_a_file_that_is_not_a_subtitle_says_so(not_subtitles, tmp_path, name):
    shutil.copy(not_subtitles / name, tmp_path / name)
    r = dubline("srt", name, "-o", "out", cwd=tmp_path, timeout=30)
    assert r.returncode == 1
    line = one_error(r)
    assert line.startswith(f"dubline: error: {name}: not a subtitle file")
    assert "encoding" not in line
    if name == "video.mp4":
        assert "MP4" in line
    assert not (tmp_path / "out").exists()


def test_server_without_a_token_file(tmp_path, samples):
    shutil.copy(samples / "episode_en.srt", tmp_path)
    r = dubline("srt", "episode_en.srt", "-o", "ep", "--server", cwd=tmp_path, timeout=60,
                env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert r.returncode == 1
    line = one_error(r)
    assert "token" in line and "dubline serve" in line


def test_cloning_on_the_cpu_install_names_the_gpu_extra(tmp_path, samples):
    # The CPU install has no torch: hide the shared venv's copy behind a package that
    # fails to import exactly as a missing one does.
    for name in ("torch", "torchaudio"):
        (tmp_path / "no_gpu" / name).mkdir(parents=True)
        (tmp_path / "no_gpu" / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name={name!r})\n")
    shutil.copy(samples / "episode_en.srt", tmp_path)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "voices.toml").write_text('[speakers.ANNA]\nvoice = "en-joe"\n')
    r = dubline("srt", "episode_en.srt", "-o", "out", "--voices", "voices.toml", "--model-dir", "checkpoints",
                cwd=tmp_path, timeout=60, env={"PYTHONPATH": str(tmp_path / "no_gpu")})
    assert r.returncode == 1
    line = one_error(r)
    assert "No module named 'torch'" in line and "pip install 'dubline[gpu]'" in line
    assert not (tmp_path / "out").exists()


def test_server_refuses_each_option_it_cannot_honour_by_name(tmp_path, samples):
    shutil.copy(samples / "episode_en.srt", tmp_path)
    r = dubline("srt", "episode_en.srt", "-o", "ep", "--server", "--fps", "25", "--timeline", "otio",
                "--deliver", "flac", "--no-cache", "--start", "01:00:00:00", cwd=tmp_path, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("dubline: error:")]
    refused = sorted(ln.split()[2] for ln in errors)
    assert refused == ["--deliver", "--no-cache", "--start", "--timeline"]
    assert all("does not work with --server" in ln for ln in errors)
