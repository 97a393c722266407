"""A fake of DaVinci Resolve's scripting API, for running plugins/resolve/Dubline.py in tests.

Only the calls the plugin makes, with the documented behaviour and the quirks that bite:

- ``timeline.GetSetting('timelineFrameRate')`` is a string ("23.976", "25", "29.97", or
  "29.97 DF" on some versions); drop frame is also ``timelineDropFrameTimecode`` = "1".
- Subtitle text is ``GetName()`` of the items of ``GetItemListInTrack('subtitle', i)``.
- ``timeline.GetMarkers()`` -> ``{frameId (float, relative to the timeline start): {...}}``.
- ``MediaPool.AppendToTimeline([clipInfo])``: ``recordFrame`` is absolute (timeline start
  frame + offset), ``endFrame`` exclusive, ``trackIndex`` 1-based, ``mediaType`` 2 = audio.
  It never overwrites: a clip overlapping anything on its track is silently dropped, as is
  one on a missing track or reaching past its media. Returned items can be invalid
  (``invalid_every``) even when the clip landed, so the only truth is reading the track back.
- ``ImportMedia`` of a path already in the pool returns nothing for it.

Frames of audio media are counted at the timeline rate, rounded up.
"""
from __future__ import annotations

import math
import wave
from fractions import Fraction

_RATES = {"23.976": Fraction(24000, 1001), "29.97": Fraction(30000, 1001), "59.94": Fraction(60000, 1001),
          "47.952": Fraction(48000, 1001), "119.88": Fraction(120000, 1001)}


class MediaPoolItem:
    def __init__(self, path: str, frames: int, samples: int, sample_rate: int):
        self.path = path
        self.frames = frames
        self.samples = samples
        self.sample_rate = sample_rate
        self.props = {"File Path": path, "Clip Name": path.replace("\\", "/").rsplit("/", 1)[-1],
                      "Frames": str(frames), "Type": "Audio"}

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


class Folder:
    def __init__(self, name: str):
        self.name = name
        self.clips: list[MediaPoolItem] = []
        self.subfolders: list[Folder] = []

    def GetName(self):
        return self.name

    def GetClipList(self):
        return list(self.clips)

    def GetSubFolderList(self):
        return list(self.subfolders)


class TimelineItem:
    def __init__(self, timeline, kind: str, track: int, start: int, end: int, name: str,
                 media: MediaPoolItem | None = None, source_start: int = 0):
        self.timeline = timeline
        self.kind = kind
        self.track = track
        self.start = start  # absolute frames
        self.end = end  # exclusive
        self.name = name
        self.media = media
        self.source_start = source_start
        self.markers: dict[int, dict] = {}
        self.uid = f"item-{next(timeline.resolve.ids)}"

    def GetName(self):
        return self.name

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
    """What AppendToTimeline sometimes hands back: an object whose calls all return None."""

    def __getattr__(self, name):
        return lambda *a, **k: None


class Timeline:
    def __init__(self, resolve, name: str, rate: str, drop_frame: bool, start_frame: int):
        self.resolve = resolve
        self.name = name
        self.settings = {"timelineFrameRate": rate, "timelineDropFrameTimecode": "1" if drop_frame else "0"}
        self.start_frame = start_frame
        self.tracks: dict[str, list[dict]] = {"audio": [], "video": [{"name": "Video 1", "items": []}],
                                              "subtitle": []}
        self.markers: dict[float, dict] = {}
        self.add_track("audio", "Audio 1")

    # -- helpers for tests ------------------------------------------------------------

    @property
    def fps(self) -> Fraction:
        raw = self.settings["timelineFrameRate"].replace("DF", "").strip()
        return _RATES.get(raw, Fraction(raw))

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
        media = MediaPoolItem(f"/media/{name}.wav", end - start, 0, 48000)
        item = TimelineItem(self, "audio", track, self.start_frame + start, self.start_frame + end, name, media)
        self.tracks["audio"][track - 1]["items"].append(item)
        return item

    def audio_items(self, track: int) -> list[TimelineItem]:
        return sorted(self.tracks["audio"][track - 1]["items"], key=lambda i: i.start)

    # -- API --------------------------------------------------------------------------

    def GetName(self):
        return self.name

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
        n = len(self.tracks[kind]) + 1
        self.add_track(kind, f"{kind.capitalize()} {n}")
        return True

    def GetItemListInTrack(self, kind, index):
        tracks = self.tracks.get(kind, [])
        if not 1 <= index <= len(tracks):
            return None
        return sorted(tracks[index - 1]["items"], key=lambda i: i.start)

    def DeleteClips(self, items, ripple=False):
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


class MediaPool:
    def __init__(self, resolve):
        self.resolve = resolve
        self.root = Folder("Master")
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
        folder = Folder(name)
        parent.subfolders.append(folder)
        return folder

    def ImportMedia(self, paths):
        known = {c.path for c in self._all()}
        items = []
        for path in paths:
            if path in known:
                continue
            try:
                with wave.open(path, "rb") as w:
                    samples, sr = w.getnframes(), w.getframerate()
            except (OSError, wave.Error, EOFError):
                continue
            tl = self.resolve.project.timeline
            item = MediaPoolItem(path, math.ceil(Fraction(samples) * tl.fps / sr), samples, sr)
            self.current.clips.append(item)
            items.append(item)
            self.resolve.log.append(("import", path))
        return items

    def AppendToTimeline(self, clip_infos):
        tl = self.resolve.project.timeline
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
        if not 0 <= start < end <= media.frames:
            return None
        kind = "audio" if int(info.get("mediaType", 2)) == 2 else "video"
        track = int(info.get("trackIndex", 1))
        if not 1 <= track <= len(tl.tracks[kind]):
            return None
        record = int(info.get("recordFrame", tl.GetEndFrame()))
        rec_end = record + (end - start)
        if any(i.start < rec_end and record < i.end for i in tl.tracks[kind][track - 1]["items"]):
            return None  # never overwrites: silently dropped
        item = TimelineItem(tl, kind, track, record, rec_end, media.GetName(), media, start)
        tl.tracks[kind][track - 1]["items"].append(item)
        return item


class Project:
    def __init__(self, resolve, timeline: Timeline):
        self.resolve = resolve
        self.timeline = timeline
        self.pool = MediaPool(resolve)

    def GetName(self):
        return "Fake project"

    def GetCurrentTimeline(self):
        return self.timeline

    def GetMediaPool(self):
        return self.pool

    def GetSetting(self, key=None):
        return self.timeline.GetSetting(key)


class ProjectManager:
    def __init__(self, project):
        self.project = project

    def GetCurrentProject(self):
        return self.project


class FakeResolve:
    """``resolve`` as a script sees it. ``timeline=None`` models "no timeline open"."""

    def __init__(self, rate: str = "24", drop_frame: bool = False, start_frame: int = 86400,
                 invalid_every: int = 0, with_timeline: bool = True):
        import itertools

        self.ids = itertools.count(1)
        self.log: list[tuple] = []
        self.appends = 0
        self.invalid_every = invalid_every
        self.timeline = Timeline(self, "Timeline 1", rate, drop_frame, start_frame)
        self.project = Project(self, self.timeline)
        if not with_timeline:
            self.project.timeline = None
        self.manager = ProjectManager(self.project)

    def GetProjectManager(self):
        return self.manager

    def GetVersionString(self):
        return "19.1.0.0-fake"


# -- UIManager (Fusion UI) -----------------------------------------------------------------

class _Element:
    def __init__(self, kind, props=None, children=None):
        self.kind = kind
        self.props = dict(props or {})
        self.children = children or []
        self.ID = self.props.get("ID")
        self.Text = self.props.get("Text", "")
        self.CurrentIndex = 0
        self.entries: list[str] = []
        self.lines: list[str] = []

    def AddItem(self, text):
        self.entries.append(text)

    def Append(self, text):
        self.lines.append(text)


class FakeUIManager:
    """Builds element trees the way ``fusion.UIManager`` does: ui.VGroup([...]), ui.Button({...})."""

    def __getattr__(self, kind):
        def make(props=None, children=None):
            if isinstance(props, list):
                props, children = None, props
            return _Element(kind, props, children)
        return make


class _Handlers:
    def __init__(self):
        self._by_id = {}

    def __getattr__(self, element_id):
        if element_id.startswith("_"):
            raise AttributeError(element_id)
        return self._by_id.setdefault(element_id, type("On", (), {})())


class FakeWindow:
    def __init__(self, props, root):
        self.props = props
        self.root = root
        self.On = _Handlers()
        self.shown = False

    def GetItems(self):
        out, stack = {}, [self.root]
        while stack:
            el = stack.pop()
            if isinstance(el, list):
                stack.extend(el)
                continue
            if el.ID:
                out[el.ID] = el
            stack.extend(el.children)
        return out

    def Show(self):
        self.shown = True

    def Hide(self):
        self.shown = False


class FakeDispatcher:
    """RunLoop plays a script of user actions: ('set', id, attr, value) | ('click', id)."""

    def __init__(self, script):
        self.script = script
        self.window = None
        self.exited = False

    def AddWindow(self, props, children):
        self.window = FakeWindow(props, children)
        return self.window

    def ExitLoop(self):
        self.exited = True

    def RunLoop(self):
        items = self.window.GetItems()
        for step in self.script:
            if step[0] == "set":
                setattr(items[step[1]], step[2], step[3])
            else:
                getattr(self.window.On, step[1]).Clicked({"who": step[1]})
            if self.exited:
                return


class FakeFusion:
    def __init__(self):
        self.UIManager = FakeUIManager()


class FakeBmd:
    def __init__(self, script):
        self.dispatcher = FakeDispatcher(script)

    def UIDispatcher(self, ui):
        return self.dispatcher
