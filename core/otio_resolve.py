"""dub.otio in the shape DaVinci Resolve writes, so Resolve's File > Import > Timeline takes it.

Resolve imports only OTIO documents shaped like its own exports and rejects others by creating
no timeline, with no message (measured on Resolve 19.1.3 by the davinci-resolve-mcp project,
docs/reference/api-limitations.md, "MediaPool.ImportTimelineFromFile (.otio document shape)").
What decided it there: clip source ranges counted on the media's own timecode (Dubline's dub
track already does this: a stem's source range starts at its Broadcast WAV TimeReference).
Resolve's exports also carry, and this adds:

- ``Resolve_OTIO`` metadata on the timeline (meta version) and on each track (lock state, and
  for audio tracks the channel layout; Dubline's stems are mono), and the channel map on each
  audio clip;
- media as a bare file-system path in ``target_url``, not a ``file://`` URL.

OpenTimelineIO reads the result like any other .otio (Clip.2 with a ``media_references`` map,
``enabled`` and ``available_range`` are already how OTIO >= 0.15 writes every document).
"""
from __future__ import annotations

import copy
from urllib.parse import unquote, urlparse

RESOLVE_KEY = "Resolve_OTIO"
META_VERSION = "1.0"
MONO = [{"Source Channel ID": 0, "Source Track ID": 0}]


def bare_path(url: str) -> str:
    """A ``file://`` URL as the OS path it names; anything else unchanged."""
    # urllib.request pulls in http, email and ssl: a tenth of every command's start-up.
    from urllib.request import url2pathname

    parsed = urlparse(url)
    if parsed.scheme != "file":
        return url
    host = parsed.netloc if parsed.netloc not in ("", "localhost") else ""
    path = url2pathname(unquote(parsed.path))
    return f"//{host}{path}" if host else path


def resolve_shaped(timeline):
    """A copy of ``timeline`` (an OTIO Timeline) with the metadata and paths Resolve expects."""
    import opentimelineio as otio

    shaped = copy.deepcopy(timeline)
    shaped.metadata.setdefault(RESOLVE_KEY, {"Resolve OTIO Meta Version": META_VERSION})
    for track in shaped.tracks:
        audio = track.kind == otio.schema.TrackKind.Audio
        md = dict(track.metadata.get(RESOLVE_KEY) or {})
        md.setdefault("Locked", False)
        if audio:
            md.setdefault("Audio Type", "Mono")
            md.setdefault("SoloOn", False)
        track.metadata[RESOLVE_KEY] = md
        for clip in track.find_clips(shallow_search=True):
            ref = clip.media_reference
            if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
                ref.target_url = bare_path(ref.target_url)
            if audio and RESOLVE_KEY not in clip.metadata:
                clip.metadata[RESOLVE_KEY] = {"Channels": copy.deepcopy(MONO)}
    return shaped
