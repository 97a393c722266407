"""Put the dub into a video: a new audio stream, or replacing or mixed with the original.

The picture is copied, never re-encoded (``-c:v copy``); the dub is encoded to AAC for MP4
and MOV (what every player reads). The dub track starts at the video's first frame, the
timeline origin; it is padded or cut to the video's length.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, OutputError, Problem
from .ffmpeg_run import run_to

MODES = ("add", "replace", "mix")


@dataclass(frozen=True)
class MuxOptions:
    mode: str = "add"  # add: keep original audio, dub as a new stream; replace; mix
    original_gain_db: float = -12.0  # level of the original under the dub when mixing
    title: str = "Dubline dub"
    audio_bitrate: str = "192k"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"mux mode {self.mode!r} is not one of {', '.join(MODES)}")


def _has_audio(video: Path) -> bool:
    import av

    with av.open(str(video)) as c:
        return any(s.type == "audio" for s in c.streams)


def mux(video: Path, dub: Path, target: Path, options: MuxOptions = MuxOptions()) -> Path:
    """Write ``target``: ``video``'s picture untouched plus ``dub`` (a WAV or an out/ folder)."""
    import ffmpeg

    video, dub, target = Path(video), Path(dub), Path(target)
    if dub.is_dir():
        dub = dub / "track.wav"
    for f in (video, dub):
        if not f.is_file():
            raise InputError(Problem("no such file", file=f))
    if target.resolve() == video.resolve():
        raise OutputError(f"{target}: would overwrite the input video; choose another name")
    original = _has_audio(video)
    if options.mode == "mix" and not original:
        raise InputError(Problem("has no audio to mix the dub with; use --mode add", file=video))

    def build(tmp: str):
        v = ffmpeg.input(str(video))
        d = ffmpeg.input(str(dub)).audio.filter("apad")
        streams = [v.video]
        meta = {}
        if options.mode == "mix":
            orig = v.audio.filter("volume", f"{options.original_gain_db}dB")
            streams.append(ffmpeg.filter([d, orig], "amix", inputs=2, duration="shortest", normalize=0))
        elif options.mode == "add" and original:
            streams += [v.audio, d]
            meta = {"metadata:s:a:1": f"title={options.title}"}
        else:
            streams.append(d)
            meta = {"metadata:s:a:0": f"title={options.title}"}
        kwargs = {"c:v": "copy", "c:a": "aac", "b:a": options.audio_bitrate, "shortest": None,
                  "map_metadata": 0, **meta}
        if options.mode == "add" and original:
            kwargs["c:a:0"] = "copy"  # keep the original audio as it is
        return ffmpeg.output(*streams, tmp, **kwargs)

    return run_to(build, target)
