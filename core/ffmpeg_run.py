"""Running the ffmpeg binary shipped in the imageio-ffmpeg wheel through ffmpeg-python.

Outputs go to a temporary file beside the target (same extension, so ffmpeg picks the
container) and are renamed into place only when ffmpeg succeeded: nothing half-written.
"""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from .errors import OutputError

log = logging.getLogger(__name__)


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError as e:
        raise OutputError("encoding and muxing need the imageio-ffmpeg package "
                          "(pip install 'dubline[delivery]')") from e
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_to(stream_for, target: Path) -> Path:
    """Run ``stream_for(tmp_path)`` (an ffmpeg-python output node) and move it to ``target``."""
    try:
        import ffmpeg
    except ImportError as e:
        raise OutputError("encoding and muxing need ffmpeg-python "
                          "(pip install 'dubline[delivery]')") from e
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        node = stream_for(tmp).global_args("-hide_banner", "-nostdin", "-loglevel", "error")
        log.debug("ffmpeg %s", " ".join(node.get_args()))
        node.run(cmd=ffmpeg_exe(), overwrite_output=True, capture_stdout=True, capture_stderr=True)
        os.replace(tmp, target)
    except ffmpeg.Error as e:
        Path(tmp).unlink(missing_ok=True)
        err = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise OutputError(f"{target}: ffmpeg failed: {err[-1] if err else e}") from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
