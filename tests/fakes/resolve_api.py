"""A fake of DaVinci Resolve's scripting API, for running plugins/resolve/Dubline.py in tests.

The fake is a set of host *profiles* (edition and version) and *quirks* (behaviour that varies
or bites). Each carries its source; what no source states is marked *assumed* and is an item of
plugins/resolve/CHECKLIST.md. Sources:

  [README]   Blackmagic's scripting README ("Last Updated: 24 Jul 2026"), as mirrored in
             samuelgursky/davinci-resolve-mcp docs/reference/resolve_scripting_api.txt
  [LIMITS]   the same repository's docs/reference/api-limitations.md (measured on live Resolve,
             Studio 19.1.3.7 - 21.0.4.5 and free 21.0.3.7)
  [LOOP]     the same repository's docs/guides/headless-edit-loop.md
  [MCP#203]  samuelgursky/davinci-resolve-mcp issue 203 (free 21.1: Python scripts never list;
             Blackmagic's 21.1 notes: "Advanced scripting now requires DaVinci Resolve Studio")
  [ASC#3]    YourAverageMo/auto-silence-cut issue 3 (19.1 removed script GUIs from the free edition)

Calls are recorded in ``resolve.calls`` ("Object.Method") so tests can check the order (the
product and version are asked first) and that UIManager is never touched where it must not be.
"""
from __future__ import annotations

import itertools
import math
import wave
from dataclasses import dataclass
from fractions import Fraction

from .resolve_ui import FakeUIManager

_RATES = {"23.976": Fraction(24000, 1001), "29.97": Fraction(30000, 1001), "59.94": Fraction(60000, 1001),
          "47.952": Fraction(48000, 1001), "119.88": Fraction(120000, 1001)}


@dataclass(frozen=True)
class HostProfile:
    """An edition and version of Resolve as a script sees it."""

    key: str
    product: str  # GetProductName() [README]; "DaVinci Resolve" on free, "... Studio" on Studio [LIMITS]
    version: tuple[int, int, int, int]
    ui_manager: bool  # fusion.UIManager usable
    python_scripts: bool  # Workspace > Scripts lists .py files
    external: bool  # DaVinciResolveScript.scriptapp("Resolve") from outside Resolve answers
    source: str


PROFILES: dict[str, HostProfile] = {p.key: p for p in (
    HostProfile("studio-19", "DaVinci Resolve Studio", (19, 1, 3, 7), True, True, True,
                "[README] full API; version measured in [LIMITS]"),
    HostProfile("studio-20", "DaVinci Resolve Studio", (20, 2, 3, 0), True, True, True,
                "[README]; 20.x builds appear in [LIMITS] (issue #141, 20.2)"),
    HostProfile("studio-21", "DaVinci Resolve Studio", (21, 0, 4, 5), True, True, True,
                "[README]; 21.0.4.5 measured in [LIMITS]"),
    HostProfile("free-19.1", "DaVinci Resolve", (19, 1, 3, 7), False, True, False,
                "[ASC#3] no script UI on free from 19.1; external scripting Studio-only (assumed: external-studio-only)"),
    HostProfile("free-21.0", "DaVinci Resolve", (21, 0, 3, 7), False, True, False,
                "[LIMITS] free 21.0.3.7 runs the in-app bridge (Python) but no UIManager [ASC#3]"),
    HostProfile("free-21.1", "DaVinci Resolve", (21, 1, 0, 14), False, False, False,
                "[MCP#203] free 21.1 lists no Python scripts; Lua still lists"),
)}

# What the fake does that no source states. Ids appear in plugins/resolve/CHECKLIST.md.
ASSUMED = {
    "uimanager-upsell": "On free from 19.1, reading fusion.UIManager returns None AND raises the Studio upsell "
                        "dialog that blocks later calls ([ASC#3] says the UI is gone; the blocking modal is what "
                        "[LIMITS] measured for other Studio-gated calls).",
    "external-studio-only": "DaVinciResolveScript from a terminal answers on Studio only.",
    "audio-frames-ceil": "A WAV's frame count ('Frames') is its length at the media's FPS rounded up.",
    "append-past-media": "A clip whose endFrame reaches past its media is dropped, not clamped.",
    "append-any-page": "AppendToTimeline works on any page (only DeleteClips is known to need Edit).",
    "delete-color-fusion": "DeleteClips also does nothing on the Color and Fusion pages (measured on Fairlight).",
    "subtitle-uid-stable": "GetUniqueId() of subtitle items is stable across sessions (line ids for conform).",
    "clip-name-follows": "TimelineItem.GetName() returns the clip name set with SetClipProperty('Clip Name').",
    "append-returns-bogus": "AppendToTimeline's returned items can be invalid even where the clip landed.",
}


class Blocked(Exception):
    pass


class _Api:
    """API methods (CamelCase names) are recorded; while a modal dialog is up they return None."""

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if name[:1].isupper() and callable(value):
            resolve = object.__getattribute__(self, "_resolve")
            resolve.calls.append(f"{type(self).__name__}.{name}")
            if resolve.modal:
                return lambda *a, **k: None
        return value


class MediaPoolItem(_Api):
    def __init__(self, resolve, path: str, frames: int, samples: int, sample_rate: int, fps: Fraction, label: str):
        self._resolve = resolve
        self.path = path
        self.frames = frames  # in the media's own frames (fps)
        self.samples = samples
        self.sample_rate = sample_rate
        self.fps = fps
        self.props = {"File Path": path, "Clip Name": path.replace("\\", "/").rsplit("/", 1)[-1],
                      "Frames": str(frames), "FPS": label, "Type": "Audio"}

    def GetName(self):
        return self.props["Clip Name"]

    def GetClipProperty(self, key=None):
        return dict(self.props) if key is None else self.props.get(key, "")

    def SetClipProperty(self, key, value):
        if key not in ("Clip Name", "Comments", "Description", "Keywords"):
            return False
        self.props[key] = str(value)
        return True

    def GetMediaId(self):
        return f"media-{id(self)}"


class Folder(_Api):
    def __init__(self, resolve, name: str):
        self._resolve = resolve
        self.name = name
        self.clips: list[MediaPoolItem] = []
        self.subfolders: list[Folder] = []

    def GetName(self):
        return self.name

    def GetClipList(self):
        return list(self.clips)

    def GetSubFolderList(self):
        return list(self.subfolders)


class TimelineItem(_Api):
    def __init__(self, timeline, kind: str, track: int, start: int, end: int, name: str,
                 media: MediaPoolItem | None = None, source_start: int = 0):
        self._resolve = timeline.resolve
        self.timeline = timeline
        self.kind = kind
        self.track = track
        self.start = start  # absolute frames
        self.end = end  # exclusive
        self.name = name
        self.media = media
        self.source_start = source_start
        self.markers: dict[int, dict] = {}
        self.uid = f"item-{next(timeline.resolve.ids)}"  # assumed: subtitle-uid-stable

    def GetName(self):
        # assumed: clip-name-follows
        return self.media.GetName() if self.media is not None else self.name

    def GetStart(self):
        return self.start

    def GetEnd(self):
        return self.end

    def GetDuration(self):
        return self.end - self.start

    def GetLeftOffset(self):
        return self.source_start

    def GetMediaPoolItem(self):
        return self.media

    def GetUniqueId(self):
        return self.uid

    def AddMarker(self, frameId, color, name, note, duration, customData=""):
        frame = int(frameId)
        if frame in self.markers or not 0 <= frame < self.end - self.start:
            return False
        self.markers[frame] = {"color": color, "name": name, "note": note, "duration": duration,
                               "customData": customData}
        return True

    def GetMarkers(self):
        return {float(k): dict(v) for k, v in self.markers.items()}


class InvalidItem:
    """What AppendToTimeline sometimes hands back [LIMITS]: an object whose calls all return None."""

    def __getattr__(self, name):
        return lambda *a, **k: None


class Timeline(_Api):
    def __init__(self, resolve, name: str, rate: str, drop_frame: bool, start_frame: int):
        self._resolve = resolve
        self.resolve = resolve
        self.name = name
        self.settings = {"timelineFrameRate": rate, "timelineDropFrameTimecode": "1" if drop_frame else "0"}
        self.start_frame = start_frame
        self.tracks: dict[str, list[dict]] = {"audio": [], "video": [{"name": "Video 1", "items": []}],
                                              "subtitle": []}
        self.markers: dict[float, dict] = {}
        self.uid = f"timeline-{next(resolve.ids)}"
        self.add_track("audio", "Audio 1")

    # -- helpers for tests ------------------------------------------------------------

    @property
    def fps(self) -> Fraction:
        return rate_of(self.settings["timelineFrameRate"])

    def add_track(self, kind: str, name: str) -> int:
        self.tracks[kind].append({"name": name, "items": []})
        return len(self.tracks[kind])

    def add_subtitle(self, track: int, start: int, end: int, text: str) -> TimelineItem:
        """``start``/``end`` relative to the timeline start, like a person reading the ruler from 0."""
        while len(self.tracks["subtitle"]) < track:
            self.add_track("subtitle", f"Subtitle {len(self.tracks['subtitle']) + 1}")
        item = TimelineItem(self, "subtitle", track, self.start_frame + start, self.start_frame + end, text)
        self.tracks["subtitle"][track - 1]["items"].append(item)
        return item

    def add_audio_clip(self, track: int, start: int, end: int, name: str) -> TimelineItem:
        media = MediaPoolItem(self.resolve, f"/media/{name}.wav", end - start, 0, 48000, self.fps, "x")
        media.props["Clip Name"] = name
        item = TimelineItem(self, "audio", track, self.start_frame + start, self.start_frame + end, name, media)
        self.tracks["audio"][track - 1]["items"].append(item)
        return item

    def audio_items(self, track: int) -> list[TimelineItem]:
        return sorted(self.tracks["audio"][track - 1]["items"], key=lambda i: i.start)

    # -- API [README] -----------------------------------------------------------------

    def GetName(self):
        return self.name

    def GetUniqueId(self):
        return self.uid

    def GetSetting(self, key=None):
        return dict(self.settings) if key is None else self.settings.get(key, "")

    def GetStartFrame(self):
        return self.start_frame

    def GetEndFrame(self):
        ends = [i.end for t in self.tracks.values() for tr in t for i in tr["items"]]
        return max(ends, default=self.start_frame)

    def GetTrackCount(self, kind):
        return len(self.tracks.get(kind, []))

    def GetTrackName(self, kind, index):
        tracks = self.tracks.get(kind, [])
        return tracks[index - 1]["name"] if 1 <= index <= len(tracks) else None

    def SetTrackName(self, kind, index, name):
        tracks = self.tracks.get(kind, [])
        if not 1 <= index <= len(tracks):
            return False
        tracks[index - 1]["name"] = name
        return True

    def AddTrack(self, kind, sub_type=None):
        if kind not in ("audio", "video", "subtitle"):
            return False
        self.add_track(kind, f"{kind.capitalize()} {len(self.tracks[kind]) + 1}")
        return True

    def GetItemListInTrack(self, kind, index):
        tracks = self.tracks.get(kind, [])
        if not 1 <= index <= len(tracks):
            return None
        return sorted(tracks[index - 1]["items"], key=lambda i: i.start)

    def DeleteClips(self, items, ripple=False):
        # [LIMITS] "Timeline.DeleteClips (requires the Edit page; flaky first attempt)": on another
        # page it returns False and deletes nothing (measured on Fairlight; assumed: delete-color-fusion).
        if self.resolve.page != "edit":
            return False
        if self.resolve.flaky_delete:
            self.resolve.flaky_delete = False
            return False
        ids = {id(i) for i in items}
        found = False
        for tracks in self.tracks.values():
            for tr in tracks:
                before = len(tr["items"])
                tr["items"] = [i for i in tr["items"] if id(i) not in ids]
                found |= len(tr["items"]) != before
        return found

    def GetMarkers(self):
        return {float(k): dict(v) for k, v in self.markers.items()}

    def AddMarker(self, frameId, color, name, note, duration, customData=""):
        self.markers[float(frameId)] = {"color": color, "name": name, "note": note, "duration": duration,
                                        "customData": customData}
        return True


def rate_of(label: str) -> Fraction:
    raw = str(label).upper().replace("NDF", "").replace("DF", "").strip()
    return _RATES.get(raw, Fraction(raw))


class MediaPool(_Api):
    def __init__(self, resolve):
        self._resolve = resolve
        self.resolve = resolve
        self.root = Folder(resolve, "Master")
        self.current = self.root

    def _all(self, folder=None):
        folder = folder or self.root
        yield from folder.clips
        for sub in folder.subfolders:
            yield from self._all(sub)

    def GetRootFolder(self):
        return self.root

    def GetCurrentFolder(self):
        return self.current

    def SetCurrentFolder(self, folder):
        self.current = folder
        return True

    def AddSubFolder(self, parent, name):
        folder = Folder(self.resolve, name)
        parent.subfolders.append(folder)
        return folder

    def ImportMedia(self, paths):
        """[LIMITS] "a WAV takes the PROJECT's timelineFrameRate AT IMPORT and freezes it"."""
        known = {c.path for c in self._all()}
        label = self.resolve.project.settings["timelineFrameRate"]
        fps = rate_of(label)
        items = []
        for path in paths:
            if path in known:
                continue  # ImportMedia of a path already in the pool returns nothing for it
            try:
                with wave.open(path, "rb") as w:
                    samples, sr = w.getnframes(), w.getframerate()
            except (OSError, wave.Error, EOFError):
                continue
            frames = math.ceil(Fraction(samples) * fps / sr)  # assumed: audio-frames-ceil
            item = MediaPoolItem(self.resolve, path, frames, samples, sr, fps, label)
            self.current.clips.append(item)
            items.append(item)
            self.resolve.log.append(("import", path))
        return items

    def AppendToTimeline(self, clip_infos):
        """[README] appends to the *current* timeline. [LIMITS]: recordFrame absolute, trackIndex
        1-based, mediaType 2 = audio; start/endFrame in the media's own frames, converted to
        timeline frames by flooring; never overwrites (an overlapping clip is dropped silently);
        returned items can be invalid (``invalid_every``; assumed: append-returns-bogus)."""
        tl = self.resolve.project.current  # on whatever page is open (assumed: append-any-page)
        out = []
        for info in clip_infos:
            self.resolve.appends += 1
            placed = self._append_one(tl, info)
            invalid = self.resolve.invalid_every and self.resolve.appends % self.resolve.invalid_every == 0
            if placed is not None or invalid:
                out.append(InvalidItem() if invalid else placed)
        return out

    def _append_one(self, tl: Timeline, info: dict):
        media = info.get("mediaPoolItem")
        if not isinstance(media, MediaPoolItem):
            return None
        start, end = int(info.get("startFrame", 0)), int(info.get("endFrame", media.frames))
        if self.resolve.end_frame == "inclusive":
            end += 1  # [LOOP] "endFrame is inclusive-of-the-last-frame here"
        if not 0 <= start < end or end > media.frames:
            return None  # assumed: append-past-media
        kind = "audio" if int(info.get("mediaType", 2)) == 2 else "video"
        track = int(info.get("trackIndex", 1))
        if not 1 <= track <= len(tl.tracks[kind]):
            return None
        length = end - start if media.fps == tl.fps else math.floor((end - start) * tl.fps / media.fps)
        record = int(info.get("recordFrame", tl.GetEndFrame()))
        rec_end = record + length
        if length <= 0 or any(i.start < rec_end and record < i.end for i in tl.tracks[kind][track - 1]["items"]):
            return None
        item = TimelineItem(tl, kind, track, record, rec_end, media.GetName(), media, start)
        tl.tracks[kind][track - 1]["items"].append(item)
        return item


class Project(_Api):
    def __init__(self, resolve, timeline: Timeline | None, project_rate: str | None):
        self._resolve = resolve
        self.resolve = resolve
        self.timelines = [timeline] if timeline is not None else []
        self.current = timeline
        rate = project_rate or (timeline.settings["timelineFrameRate"] if timeline else "24")
        self.settings = {"timelineFrameRate": rate, "timelineDropFrameTimecode": "0"}
        self.pool = MediaPool(resolve)

    def GetName(self):
        return "Fake project"

    def GetCurrentTimeline(self):
        return self.current

    def SetCurrentTimeline(self, timeline):
        if timeline not in self.timelines:
            return False
        self.current = timeline
        return True

    def GetMediaPool(self):
        return self.pool

    def GetSetting(self, key=None):
        return dict(self.settings) if key is None else self.settings.get(key, "")


class ProjectManager(_Api):
    def __init__(self, resolve, project):
        self._resolve = resolve
        self.project = project

    def GetCurrentProject(self):
        return self.project


class FakeResolve(_Api):
    """``resolve`` as a script sees it, for one host profile and a set of quirks.

    profile: a key of PROFILES. end_frame: "exclusive" (measured on Studio 21.0.4.5 [LIMITS]:
    "endFrame EXCLUSIVE (verified at 1, 119 and 120 frames)") or "inclusive" ([LOOP]). page: the
    page the user is on (GetCurrentPage [README]). project_rate: the project's rate, which a WAV
    takes at import when it differs from the timeline's [LIMITS]. flaky_delete: the first
    DeleteClips fails once [LIMITS]. ``timeline=None`` models "no timeline open".
    """

    def __init__(self, rate: str = "24", drop_frame: bool = False, start_frame: int = 86400,
                 invalid_every: int = 0, with_timeline: bool = True, profile: str = "studio-21",
                 end_frame: str = "exclusive", page: str = "edit", project_rate: str | None = None,
                 flaky_delete: bool = False):
        self._resolve = self
        self.calls: list[str] = []
        self.modal = False
        self.profile = PROFILES[profile]
        self.ids = itertools.count(1)
        self.log: list[tuple] = []
        self.appends = 0
        self.invalid_every = invalid_every
        self.end_frame = end_frame
        self.page = page
        self.pages: list[str] = [page]
        self.flaky_delete = flaky_delete
        self.timeline = Timeline(self, "Timeline 1", rate, drop_frame, start_frame)
        self.project = Project(self, self.timeline if with_timeline else None, project_rate)
        self.manager = ProjectManager(self, self.project)
        self.fusion = FakeFusion(self)

    # -- helpers for tests ------------------------------------------------------------

    def user_switches_timeline(self, name: str = "Timeline 2") -> Timeline:
        """The user opens another timeline (e.g. while the job runs)."""
        other = Timeline(self, name, self.timeline.settings["timelineFrameRate"], False, self.timeline.start_frame)
        self.project.timelines.append(other)
        self.project.current = other
        return other

    # -- API [README] -----------------------------------------------------------------

    def GetProjectManager(self):
        return self.manager

    def GetProductName(self):
        return self.profile.product

    def GetVersion(self):
        return [*self.profile.version[:4], ""]

    def GetVersionString(self):
        major, minor, patch, build = self.profile.version
        return f"{major}.{minor}.{patch}.{build}"

    def GetCurrentPage(self):
        return self.page

    def OpenPage(self, name):
        if name not in ("media", "cut", "edit", "fusion", "color", "fairlight", "deliver"):
            return False
        self.page = name
        self.pages.append(name)
        return True

    def Fusion(self):
        return self.fusion


# -- the ways a script reaches ``resolve`` ----------------------------------------------------

class FakeApp:
    """Fusion's ``app`` global in a Resolve script: app.GetResolve()."""

    def __init__(self, resolve):
        self.resolve = resolve

    def GetResolve(self):
        return self.resolve


class FakeScriptModule:
    """DaVinciResolveScript: scriptapp("Resolve") from outside Resolve (assumed: external-studio-only)."""

    def __init__(self, resolve):
        self.resolve = resolve

    def scriptapp(self, name):
        return self.resolve if name == "Resolve" and self.resolve.profile.external else None


class FakeFusion:
    """``fusion`` / ``resolve.Fusion()``. On a profile without UI Manager, reading UIManager
    returns None and puts up the upsell modal that blocks every later API call
    (assumed: uimanager-upsell)."""

    def __init__(self, resolve):
        self._resolve = resolve
        self._ui = FakeUIManager()

    @property
    def UIManager(self):
        self._resolve.calls.append("Fusion.UIManager")
        if self._resolve.profile.ui_manager:
            return self._ui
        self._resolve.modal = True
        return None
