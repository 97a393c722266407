"""Put the dub into a video: a new audio stream, or replacing or mixed with the original.

The picture is copied, never re-encoded (``-c:v copy``); the dub is encoded to AAC for MP4
and MOV (what every player reads). The dub track starts at the video's first frame, the
timeline origin; it is padded with silence or cut to the picture's exact length, so every
video packet is kept (no ``-shortest``: the picture is never cut to the audio).
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


@dataclass(frozen=True)
class _Probe:
    """What mux needs to know of an input: its streams and its picture's length."""

    has_video: bool
    has_audio: bool
    video_seconds: float | None  # end of the last picture frame, from the first


def _probe(path: Path, role: str) -> _Probe:
    """Open ``path`` with PyAV; a file that is no media at all is refused naming its role."""
    import av

    try:
        with av.open(str(path)) as c:
            video = next((s for s in c.streams if s.type == "video"), None)
            audio = any(s.type == "audio" for s in c.streams)
            seconds = None
            if video is not None:
                if video.duration is not None and video.time_base is not None:
                    seconds = float(video.duration * video.time_base)
                else:  # no stream duration (some MKV/TS): the end of the last packet
                    end = 0
                    for pkt in c.demux(video):
                        if pkt.pts is not None:
                            end = max(end, pkt.pts + (pkt.duration or 0))
                    seconds = float(end * video.time_base) if video.time_base else None
    except (av.error.InvalidDataError, av.error.FFmpegError) as e:
        raise InputError(Problem(f"not a {role} file ffmpeg can read ({e.strerror or e})", file=path)) from None
    return _Probe(video is not None, audio, seconds)


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
    picture = _probe(video, "video")
    if not picture.has_video:
        raise InputError(Problem("has no picture: give the video first (dubline mux VIDEO DUB -o OUT)", file=video))
    sound = _probe(dub, "audio")
    if not sound.has_audio:
        raise InputError(Problem("has no audio: give the dub's output folder or its track.wav", file=dub))
    original = picture.has_audio
    if options.mode == "mix" and not original:
        raise InputError(Problem("has no audio to mix the dub with; use --mode add", file=video))

    def build(tmp: str):
        v = ffmpeg.input(str(video))
        d = ffmpeg.input(str(dub)).audio
        if picture.video_seconds:  # exactly the picture's length: padded with silence or cut
            d = d.filter("apad", whole_dur=f"{picture.video_seconds:.6f}").filter(
                "atrim", end=f"{picture.video_seconds:.6f}")
        else:
            d = d.filter("apad")
        streams = [v.video]
        meta = {}
        if options.mode == "mix":
            orig = v.audio.filter("volume", f"{options.original_gain_db}dB")
            # duration=first: the padded dub, so the mix is as long as the picture
            streams.append(ffmpeg.filter([d, orig], "amix", inputs=2, duration="first", normalize=0))
        elif options.mode == "add" and original:
            streams += [v.audio, d]
            meta = {"metadata:s:a:1": f"title={options.title}"}
        else:
            streams.append(d)
            meta = {"metadata:s:a:0": f"title={options.title}"}
        kwargs = {"c:v": "copy", "c:a": "aac", "b:a": options.audio_bitrate, "map_metadata": 0, **meta}
        if not picture.video_seconds:
            kwargs["shortest"] = None  # an endless pad needs an end; only when the length is unknown
        if options.mode == "add" and original:
            kwargs["c:a:0"] = "copy"  # keep the original audio as it is
        return ffmpeg.output(*streams, tmp, **kwargs)

    return run_to(build, target)
