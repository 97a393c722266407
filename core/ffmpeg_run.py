"""Running the ffmpeg binary shipped in the imageio-ffmpeg wheel through ffmpeg-python.

Outputs go to a temporary file beside the target (same extension, so ffmpeg picks the
container) and are renamed into place only when ffmpeg succeeded: nothing half-written.
"""
from __future__ import annotations

import logging
from pathlib import Path

from .errors import OutputError
from .files import atomic_path

log = logging.getLogger(__name__)


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as e:
        raise OutputError("encoding and muxing need the imageio-ffmpeg package "
                          "(pip install ffmpeg-python imageio-ffmpeg)") from e
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_to(stream_for, target: Path, root: Path | None = None) -> Path:
    """Run ``stream_for(tmp_path)`` (an ffmpeg-python output node) and move it to ``target``;
    ``root``: the folder the write is confined to."""
    try:
        import ffmpeg
    except ImportError as e:
        raise OutputError("encoding and muxing need ffmpeg-python "
                          "(pip install ffmpeg-python imageio-ffmpeg)") from e
    target = Path(target)
    with atomic_path(target, suffix=target.suffix, root=root) as tmp:
        node = stream_for(str(tmp)).global_args("-hide_banner", "-nostdin", "-loglevel", "error")
        log.debug("ffmpeg %s", " ".join(node.get_args()))
        try:
            node.run(cmd=ffmpeg_exe(), overwrite_output=True, capture_stdout=True, capture_stderr=True)
        except ffmpeg.Error as e:
            err = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            raise OutputError(f"{target}: ffmpeg failed: {err[-1] if err else e}") from e
    return target
