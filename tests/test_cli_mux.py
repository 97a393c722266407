"""``dubline mux`` as a user types it: every picture packet survives every mode (issue 16).

The video is built here with the ffmpeg binary of the imageio-ffmpeg wheel: 25 frames at
23.976 fps (1.043 s) whose own audio is shorter than the picture, like the 23.976 file of
the issue whose audio ended 7 ms before its last frame; the dub is shorter still.
"""
import subprocess

import av
import numpy as np
import pytest
import soundfile as sf

from cli_door import dubline, one_error

FRAMES = 25


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    import imageio_ffmpeg

    root = tmp_path_factory.mktemp("mux")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=24000/1001",
                    "-f", "lavfi", "-i", "sine=frequency=300:duration=0.9",
                    "-frames:v", str(FRAMES), "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    str(root / "video.mp4")], check=True)
    sf.write(root / "dub.wav", 0.1 * np.sin(np.arange(24000) / 48000 * 2 * np.pi * 440), 48000, subtype="PCM_16")
    return root


def _picture(path):
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def _audio_seconds(path, index):
    with av.open(str(path)) as c:
        stream = [s for s in c.streams if s.type == "audio"][index]
        return sum(f.samples for f in c.decode(stream)) / stream.rate


@pytest.mark.parametrize("mode", ["add", "replace", "mix"])
def test_mux_keeps_every_picture_packet(media, tmp_path, mode):
    out = tmp_path / f"dubbed_{mode}.mp4"
    r = dubline("mux", str(media / "video.mp4"), str(media / "dub.wav"), "-o", out.name, "--mode", mode,
                cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    picture = _picture(media / "video.mp4")
    assert len(picture) == FRAMES
    assert _picture(out) == picture  # every packet, byte for byte
    # the dub is padded to the picture (1.043 s), not the picture cut to the 0.5 s dub
    dub_index = 1 if mode == "add" else 0
    assert _audio_seconds(out, dub_index) >= FRAMES * 1001 / 24000 - 0.001


def test_mux_blames_the_argument_that_is_not_a_video(media, tmp_path, samples):
    r = dubline("mux", str(samples / "episode_en.srt"), str(media / "dub.wav"), "-o", "out.mp4",
                cwd=tmp_path, timeout=60)
    assert r.returncode == 1
    line = one_error(r)
    assert "episode_en.srt" in line and "has no picture" in line and "out.mp4" not in line
    assert not (tmp_path / "out.mp4").exists()
