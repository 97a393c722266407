"""Dubline for DaVinci Resolve: dub the current timeline's subtitles (or markers) in place.

One file, Python standard library only (install and use: plugins/README.md). It says which
Resolve it runs in first, reads the lines, has the local daemon (`dubline serve`, loopback
HTTP/JSON bridge, token file) dub them, then carries out the daemon's placement plan on the
timeline it read from: stems into a "Dubline" bin, onto an audio track named after the voice,
earlier Dubline clips replaced, and the tracks read back into a receipt of what landed.
Studio gets a window; the free edition from 19.1 (no UI Manager) a console flow; the free
edition from 21.1 runs no Python scripts, so there the file route of plugins/README.md applies.

Environment: DUBLINE_BRIDGE (default http://127.0.0.1:50152), DUBLINE_TOKEN_FILE, DUBLINE_OWNER
(the owner key the jobs are submitted under; default a hash of user@host), and for the console
flow DUBLINE_SOURCE (subtitle:1 | markers), DUBLINE_VOICE, DUBLINE_SPEAKERS.
"""
import getpass
import hashlib
import json
import math
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from fractions import Fraction

BRIDGE = "http://127.0.0.1:50152"
SERVICE = "/dubline.v1.Dubline/"
BIN_NAME = "Dubline"
CLIP_PREFIX = "Dubline "
TAG_PREFIX = "dubline:"
AUDIO = 2  # AppendToTimeline mediaType: audio only
FREE_WITHOUT_UI = (19, 1)  # free edition: no UI Manager from 19.1
FREE_WITHOUT_PYTHON = (21, 1)  # free edition: no Python scripts from 21.1
ROUTE = ("Use the files Dubline writes instead: `dubline srt EPISODE.srt -o OUT --fps <timeline rate> "
         "--start <timeline start timecode> --timeline otio,fcp7`, then in Resolve File > Import > Timeline... "
         "and pick OUT/dub.otio (or OUT/dub.xml). See plugins/README.md.")
_DECIMAL_RATES = {"23.976": (24000, 1001), "23.98": (24000, 1001), "29.97": (30000, 1001),
                  "47.952": (48000, 1001), "59.94": (60000, 1001), "119.88": (120000, 1001)}
_SPEAKER = re.compile(r"^\s*([A-Z][A-Z0-9 ._'-]{0,30}):\s+(.+)$", re.S)


class DublineError(Exception):
    """A message for the user. Raised before the timeline is touched unless it says otherwise."""


# -- the host ----------------------------------------------------------------------------

def find_resolve(scope):
    """(resolve, how): the injected global, app.GetResolve(), bmd.scriptapp("Resolve"), then
    DaVinciResolveScript (external scripting, Studio only); (None, "") when none answers."""
    if scope.get("resolve"):
        return scope["resolve"], "resolve"
    for how, name, call in (("app.GetResolve()", "app", lambda o: o.GetResolve()),
                            ('bmd.scriptapp("Resolve")', "bmd", lambda o: o.scriptapp("Resolve"))):
        if scope.get(name) is not None:
            try:
                found = call(scope[name])
            except (AttributeError, TypeError):
                found = None
            if found:
                return found, how
    try:
        import DaVinciResolveScript as dvr  # noqa: external scripting from a terminal
        found = dvr.scriptapp("Resolve")
    except (ImportError, AttributeError):
        found = None
    return (found, "DaVinciResolveScript") if found else (None, "")


class Host(object):
    """What Resolve said it is; read before any other call, decides window vs console."""

    def __init__(self, product, version):
        self.product = product or "DaVinci Resolve"
        self.version = tuple(version) or (0,)
        self.studio = "studio" in self.product.lower()

    @classmethod
    def of(cls, resolve):
        product = resolve.GetProductName() or ""
        fields = resolve.GetVersion() or []
        numbers = [int(f) for f in fields[:3] if isinstance(f, int) or str(f).isdigit()]
        if not numbers:
            numbers = [int(n) for n in re.findall(r"\d+", str(resolve.GetVersionString() or ""))[:3]]
        return cls(product, numbers)

    @property
    def label(self):
        return "%s %s" % (self.product, ".".join(str(n) for n in self.version))

    @property
    def runs_python(self):
        return self.studio or self.version[:2] < FREE_WITHOUT_PYTHON

    @property
    def has_ui_manager(self):
        return self.studio or self.version[:2] < FREE_WITHOUT_UI


# -- daemon ------------------------------------------------------------------------------

def token_path():
    if os.environ.get("DUBLINE_TOKEN_FILE"):
        return os.environ["DUBLINE_TOKEN_FILE"]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "dubline", "token")


def read_token(path=None):
    path = path or token_path()
    try:
        with open(path, encoding="utf-8") as f:
            token = f.read().strip()
    except OSError:
        raise DublineError("No Dubline token at %s. Start the daemon once (`dubline serve`) to create it, "
                           "or set DUBLINE_TOKEN_FILE." % path)
    if not token:
        raise DublineError("The Dubline token file %s is empty. Delete it and restart `dubline serve`." % path)
    return token


def owner_key():
    """The owner key this script's jobs carry: only a watch with the same key cancels a job by
    going away, so another tool watching the job cannot end it. DUBLINE_OWNER, else a hash of
    user@host (stable across runs, so a re-run of the script still holds its job)."""
    if os.environ.get("DUBLINE_OWNER"):
        return os.environ["DUBLINE_OWNER"].strip()[:128]
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name in this environment
        user = ""
    who = "%s@%s" % (user, socket.gethostname())
    return "resolve-" + hashlib.sha256(who.encode("utf-8")).hexdigest()[:16]


class Bridge(object):
    """The daemon's HTTP/JSON bridge: POST /dubline.v1.Dubline/<Method> with protobuf JSON."""

    def __init__(self, url, token, timeout=20.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _open(self, method, body, timeout):
        request = urllib.request.Request(self.url + SERVICE + method, json.dumps(body).encode("utf-8"),
                                         {"Content-Type": "application/json", "Authorization": "Bearer " + self.token})
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read().decode("utf-8")).get("message", "")
            except ValueError:
                message = ""
            if e.code == 401:
                raise DublineError("The daemon refused the token (%s). The token file may belong to another "
                                   "daemon: restart `dubline serve` or set DUBLINE_TOKEN_FILE." % message)
            raise DublineError("Dubline %s failed (HTTP %d): %s" % (method, e.code, message or e.reason))
        except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, ConnectionRefusedError) or "refused" in str(reason).lower():
                raise DublineError("The Dubline daemon is not running at %s. Start it with `dubline serve` "
                                   "and run the script again." % self.url)
            raise DublineError("Cannot reach the Dubline daemon at %s: %s" % (self.url, reason))

    def call(self, method, body):
        with self._open(method, body, self.timeout) as r:
            return json.loads(r.read().decode("utf-8"))

    def watch(self, job_id, owner, timeout=900.0):
        """The job's events (NDJSON), replayed then followed until jobDone."""
        with self._open("WatchJob", {"jobId": job_id, "owner": owner}, timeout) as r:
            for raw in r:
                if raw.strip():
                    yield json.loads(raw.decode("utf-8"))


# -- timeline reading --------------------------------------------------------------------

def parse_rate(text, drop_setting=""):
    """Resolve's rate string ("23.976", "25", "29.97 DF") + drop-frame setting -> FrameRate JSON."""
    raw = str(text or "").strip()
    drop = raw.upper().endswith("DF") and not raw.upper().endswith("NDF") or str(drop_setting).strip() in (
        "1", "True", "true")
    body = re.sub(r"\s*N?DF$", "", raw, flags=re.I).strip()
    if body in _DECIMAL_RATES:
        num, den = _DECIMAL_RATES[body]
    elif re.fullmatch(r"\d+(\.0+)?", body):
        num, den = int(float(body)), 1
    else:
        raise DublineError("Unsupported frame rate %r." % raw)
    if drop and (num, den) not in ((30000, 1001), (60000, 1001)):
        drop = False  # Resolve keeps the setting at rates where it means nothing
    return {"num": num, "den": den, "dropFrame": drop}


def fps_of(rate):
    return Fraction(rate["num"], rate["den"])


def timeline_rate(project, timeline):
    text = timeline.GetSetting("timelineFrameRate") or project.GetSetting("timelineFrameRate")
    drop = timeline.GetSetting("timelineDropFrameTimecode") or project.GetSetting("timelineDropFrameTimecode")
    return parse_rate(text, drop)


def split_speaker(text):
    m = _SPEAKER.match(text)
    return (m.group(1).strip(), m.group(2).strip()) if m else ("", text.strip())


def subtitle_tracks(timeline):
    """[(index, name, number of items)] of the subtitle tracks."""
    out = []
    for i in range(1, int(timeline.GetTrackCount("subtitle") or 0) + 1):
        items = timeline.GetItemListInTrack("subtitle", i) or []
        out.append((i, timeline.GetTrackName("subtitle", i) or "Subtitle %d" % i, len(items)))
    return out


def read_subtitles(timeline, index):
    start0 = int(timeline.GetStartFrame())
    lines = []
    for item in timeline.GetItemListInTrack("subtitle", index) or []:
        text = (item.GetName() or "").strip()
        if not text:
            continue
        start, end = int(item.GetStart()) - start0, int(item.GetEnd()) - start0
        speaker, text = split_speaker(text)
        uid = item.GetUniqueId()
        lines.append({"id": "sub-%s" % (uid or start), "text": text, "start": start, "end": end, "speaker": speaker})
    return lines


def read_markers(timeline):
    """Timeline markers with text in their note (or name): each spans its duration."""
    lines = []
    for frame, m in sorted((timeline.GetMarkers() or {}).items()):
        text = (m.get("note") or m.get("name") or "").strip()
        duration = int(m.get("duration") or 0)
        if not text or duration <= 0 or str(m.get("customData", "")).startswith(TAG_PREFIX):
            continue
        start = int(round(float(frame)))
        speaker, text = split_speaker(text)
        lines.append({"id": "marker-%d" % start, "text": text, "start": start, "end": start + duration,
                      "speaker": speaker})
    return lines


def job_request(lines, rate, choices):
    return {
        "lines": [{"id": ln["id"], "text": ln["text"], "speaker": ln["speaker"],
                   "range": {"frames": {"startFrame": ln["start"], "endFrame": ln["end"], "rate": rate}}}
                  for ln in lines],
        "defaultVoice": choices.get("voice") or "auto",
        "speakers": dict(choices.get("speakers") or {}),
        "name": choices.get("name") or "Resolve",
        "owner": choices.get("owner") or owner_key(),
    }


# -- where to place ----------------------------------------------------------------------

def same_timeline(a, b):
    """Resolve hands out a new object per call: compare unique ids (names where ids are missing)."""
    if a is None or b is None:
        return False
    ida, idb = a.GetUniqueId(), b.GetUniqueId()
    return ida == idb if ida and idb else a.GetName() == b.GetName()


def ensure_current(project, timeline, ui):
    """AppendToTimeline appends to the *current* timeline: make the one we read current again."""
    if same_timeline(project.GetCurrentTimeline(), timeline):
        return
    name = timeline.GetName()
    if not project.SetCurrentTimeline(timeline) or not same_timeline(project.GetCurrentTimeline(), timeline):
        raise DublineError("The timeline %r is no longer current and Resolve would not switch back to it. Open it "
                           "and run Dubline again. Nothing was placed." % name)
    ui.say("Switched back to timeline %r: the dub belongs to it." % name)


class EditPage(object):
    """Open the Edit page for the edit (DeleteClips does nothing elsewhere), restore the page after."""

    def __init__(self, resolve, ui):
        self.resolve, self.ui, self.page = resolve, ui, None

    def __enter__(self):
        self.page = self.resolve.GetCurrentPage()
        if self.page and self.page != "edit" and not self.resolve.OpenPage("edit"):
            raise DublineError("Resolve would not open the Edit page; nothing was changed.")
        return self

    def __exit__(self, *exc):
        if self.page and self.page != "edit":
            self.resolve.OpenPage(self.page)
        return False


# -- placing -----------------------------------------------------------------------------

def dubline_bin(pool):
    root = pool.GetRootFolder()
    for folder in root.GetSubFolderList() or []:
        if folder.GetName() == BIN_NAME:
            return folder
    folder = pool.AddSubFolder(root, BIN_NAME)
    if not folder:
        raise DublineError("Could not create the %r bin in the media pool." % BIN_NAME)
    return folder


def _norm(path):
    return os.path.normcase(os.path.normpath(path))


def import_stems(pool, paths):
    """{path: MediaPoolItem}, found by file path in the Dubline bin after importing what is new."""
    folder = dubline_bin(pool)
    previous = pool.GetCurrentFolder()
    pool.SetCurrentFolder(folder)
    try:
        have = {_norm(c.GetClipProperty("File Path") or ""): c for c in folder.GetClipList() or []}
        missing = [p for p in paths if _norm(p) not in have]
        if missing:
            pool.ImportMedia(missing)
        have = {_norm(c.GetClipProperty("File Path") or ""): c for c in folder.GetClipList() or []}
    finally:
        if previous:
            pool.SetCurrentFolder(previous)
    found = {p: have[_norm(p)] for p in paths if _norm(p) in have}
    lost = [p for p in paths if p not in found]
    if lost:
        raise DublineError("Resolve did not import %d stem(s), e.g. %s. Nothing was placed." % (len(lost), lost[0]))
    return found


def is_dubline_item(item):
    if (item.GetName() or "").startswith(CLIP_PREFIX):
        return True
    markers = item.GetMarkers() or {}
    return any(str(m.get("customData", "")).startswith(TAG_PREFIX) for m in markers.values())


def dubline_items(timeline):
    out = []
    for i in range(1, int(timeline.GetTrackCount("audio") or 0) + 1):
        out.extend(item for item in timeline.GetItemListInTrack("audio", i) or [] if is_dubline_item(item))
    return out


def remove_previous(timeline):
    """The conform pass: remove every clip an earlier run placed; nothing else. Edit page open."""
    old = dubline_items(timeline)
    left = old
    for _ in range(2 if old else 0):  # a first DeleteClips has been seen to fail once, then succeed
        timeline.DeleteClips(left, False)
        left = dubline_items(timeline)
        if not left:
            break
    if left:
        raise DublineError("Resolve kept %d earlier Dubline clip(s); delete them by hand and run again. "
                           "Nothing new was placed." % len(left))
    return len(old)


def _free(timeline, index, ranges):
    items = timeline.GetItemListInTrack("audio", index) or []
    return not any(int(i.GetStart()) < end and start < int(i.GetEnd()) for i in items for start, end in ranges)


def target_tracks(timeline, plan):
    """{track name: audio track index}: the named track if the plan's ranges are free there, else a new one."""
    out = {}
    for name in plan["tracks"]:
        ranges = [(int(p["recordFrame"]), int(p["recordFrame"]) + int(p["endFrame"]) - int(p["startFrame"]))
                  for p in plan["placements"] if p["track"] == name]
        count = int(timeline.GetTrackCount("audio") or 0)
        index = next((i for i in range(1, count + 1)
                      if timeline.GetTrackName("audio", i) == name and _free(timeline, i, ranges)), None)
        if index is None:
            if not timeline.AddTrack("audio", "mono"):
                raise DublineError("Resolve would not add an audio track for voice %r." % name)
            index = int(timeline.GetTrackCount("audio"))
            timeline.SetTrackName("audio", index, name)
        out[name] = index
    return out


class Clip(object):
    """One placement with its media's own frame rate: source frames count at the rate the WAV
    took at import (the project's rate then), not necessarily the timeline's."""

    def __init__(self, p, media, track_index, timeline_fps, notes):
        self.p, self.media, self.track = p, media, track_index
        self.record = int(p["recordFrame"])
        self.frames = int(p["endFrame"]) - int(p["startFrame"])  # timeline frames wanted
        try:
            self.fps = fps_of(parse_rate(media.GetClipProperty("FPS")))
        except DublineError:
            self.fps = timeline_fps
            notes.append("stem %s has no readable FPS; its frames were counted at the timeline rate" % p["file"])
        self.timeline_fps = timeline_fps
        # The most media frames that do not run past the slot once Resolve floors them to
        # timeline frames: exactly the slot, or one frame short where no count fits exactly.
        source = int(math.ceil(self.frames * self.fps / timeline_fps))
        while source > 1 and self.record_frames(source) > self.frames:
            source -= 1
        limit = str(media.GetClipProperty("Frames") or "")
        self.source = min(source, int(limit)) if limit.isdigit() and int(limit) > 0 else source

    def record_frames(self, source):
        """Timeline frames Resolve gives ``source`` media frames (it floors a rate conversion)."""
        if self.fps == self.timeline_fps:
            return source
        return int(math.floor(source * self.timeline_fps / self.fps))

    def info(self, inclusive):
        return {"mediaPoolItem": self.media, "startFrame": 0, "endFrame": self.source - (1 if inclusive else 0),
                "recordFrame": self.record, "trackIndex": self.track, "mediaType": AUDIO}

    def find(self, timeline):
        path = _norm(self.p["file"])
        for item in timeline.GetItemListInTrack("audio", self.track) or []:
            mpi = item.GetMediaPoolItem()
            if int(item.GetStart()) == self.record and mpi and _norm(mpi.GetClipProperty("File Path") or "") == path:
                return item
        return None


def append(pool, timeline, clips, ui):
    """Append every clip; the endFrame convention is measured on the first and used for the rest.

    Returns "exclusive", "inclusive" or "unknown" (first clip missing or of another length).
    """
    first, rest = clips[0], clips[1:]
    pool.AppendToTimeline([first.info(False)])
    item = first.find(timeline)
    got = int(item.GetEnd()) - int(item.GetStart()) if item is not None else None
    convention = "unknown"
    if got == first.record_frames(first.source):
        convention = "exclusive"
    elif got == first.record_frames(first.source + 1):
        convention = "inclusive"  # one frame too long: put it back at its length before the rest
        timeline.DeleteClips([item], False)
        pool.AppendToTimeline([first.info(True)])
    elif item is None:
        # Inclusive and sent up to the media's last frame + 1: Resolve refuses the whole clip.
        pool.AppendToTimeline([first.info(True)])
        item = first.find(timeline)
        got = int(item.GetEnd()) - int(item.GetStart()) if item is not None else None
        if got == first.record_frames(first.source):
            convention = "inclusive"
    ui.say("AppendToTimeline endFrame measured %s on the first clip (%s frames for %d sent)." % (
        convention, got, first.source))
    if rest:
        pool.AppendToTimeline([c.info(convention == "inclusive") for c in rest])
    return convention


def read_back(timeline, clips, ui):
    """What is really on the tracks, per placement: the receipt. One frame of difference in the
    length is accepted (with a warning): the endFrame convention leaves that ambiguity."""
    receipt = []
    for c in clips:
        item = c.find(timeline)
        length = int(item.GetEnd()) - int(item.GetStart()) if item is not None else None
        off = length - c.frames if length is not None else None
        landed = off is not None and abs(off) <= 1
        if landed and off:
            ui.say("  warning: line %s landed %d frame %s than planned (%d instead of %d)" % (
                c.p["lineId"], abs(off), "longer" if off > 0 else "shorter", length, c.frames))
        if landed:
            item.AddMarker(0, "Purple", "Dubline", c.p["text"][:200], 1, c.p["tag"])
        receipt.append({"line": c.p["lineId"], "track": c.p["track"], "trackIndex": c.track, "recordFrame": c.record,
                        "frames": c.frames, "landed": landed, "offFrames": off if landed else None})
    return receipt


def place(resolve, project, timeline, plan, ui):
    """Import, conform, append, read back on ``timeline``. Returns (receipt, removed, convention)."""
    for p in plan["placements"]:
        if not os.path.isfile(p["file"]):
            raise DublineError("Stem %s is not on this machine; the daemon must run where Resolve runs. "
                               "Nothing was placed." % p["file"])
    ensure_current(project, timeline, ui)
    pool = project.GetMediaPool()
    media = import_stems(pool, [p["file"] for p in plan["placements"]])
    for p in plan["placements"]:
        media[p["file"]].SetClipProperty("Clip Name", p["clipName"])
    with EditPage(resolve, ui):
        removed = remove_previous(timeline)
        tracks = target_tracks(timeline, plan)
        notes = []
        fps = fps_of(plan["rate"]) if "rate" in plan else fps_of(timeline_rate(project, timeline))
        clips = [Clip(p, media[p["file"]], tracks[p["track"]], fps, notes) for p in plan["placements"]]
        for n in notes:
            ui.say("  note: " + n)
        convention = append(pool, timeline, clips, ui)  # returned items may be invalid: the read-back is the truth
        receipt = read_back(timeline, clips, ui)
    return receipt, removed, convention


# -- the whole run -----------------------------------------------------------------------

class ConsoleUI(object):
    """Messages to the console (Workspace > Console) or a test's list."""

    def __init__(self, out=None):
        self.out = out

    def say(self, message):
        if self.out is not None:
            self.out.append(message)
        else:
            print("[Dubline] " + message)


def _plan_rate(plan, rate):
    r = plan.get("rate") or {}
    return {"num": int(r.get("num", rate["num"])), "den": int(r.get("den", rate["den"])),
            "dropFrame": bool(r.get("dropFrame", rate["dropFrame"]))}


def run(resolve, choices, ui):
    """Dub and place. ``choices``: source ('subtitle:<n>' | 'markers'), voice, speakers, track_name.

    Returns {"receipt", "failed", "removed", "plan", "endFrame"}. Raises DublineError for the user.
    """
    project = resolve.GetProjectManager().GetCurrentProject() if resolve else None
    if not project:
        raise DublineError("Open a project in Resolve first.")
    timeline = project.GetCurrentTimeline()
    if not timeline:
        raise DublineError("Open a timeline first: Dubline dubs the current timeline.")
    rate = timeline_rate(project, timeline)
    source = choices.get("source") or "subtitle:1"
    if source == "markers":
        lines, where = read_markers(timeline), "the timeline markers (text in the note, with a duration)"
    else:
        index = int(source.split(":", 1)[1]) if ":" in source else 1
        lines, where = read_subtitles(timeline, index), "subtitle track %d" % index
    if not lines:
        raise DublineError("No dialogue found in %s. Pick another source or add subtitles." % where)
    bridge = Bridge(choices.get("bridge") or os.environ.get("DUBLINE_BRIDGE") or BRIDGE,
                    read_token(choices.get("token_file")))
    bridge.call("GetServerInfo", {})
    ui.say("Dubbing %d line(s) from %s of timeline %r at %s fps..." % (
        len(lines), where, timeline.GetName(), _rate_label(rate)))
    request = job_request(lines, rate, choices)
    job = bridge.call("SubmitJob", request)["job"]
    failed = []
    state = ""
    for event in bridge.watch(job["id"], request["owner"]):
        if "lineDone" in event:
            r = event["lineDone"].get("result", {})
            ui.say("  done %s (%s)" % (r.get("lineId"), r.get("method", "")))
        elif "lineError" in event:
            failed.append(event["lineError"])
            ui.say("  FAILED %s: %s" % (event["lineError"].get("lineId"), event["lineError"].get("message")))
        elif "jobDone" in event:
            state = event["jobDone"].get("job", {}).get("state", "")
    if state not in ("JOB_STATE_DONE", "JOB_STATE_FAILED"):
        raise DublineError("The job ended as %s; nothing was placed." % (state or "unknown"))
    plan = bridge.call("GetPlan", {"jobId": job["id"], "rate": rate,
                                   "timelineStartFrame": int(timeline.GetStartFrame()),
                                   "trackName": choices.get("track_name") or ""})
    plan["rate"] = _plan_rate(plan, rate)
    for w in plan.get("warnings", []):
        ui.say("  note: " + w)
    receipt, removed, convention = place(resolve, project, timeline, plan, ui)
    landed = sum(1 for r in receipt if r["landed"])
    if removed:
        ui.say("Removed %d clip(s) of the previous Dubline run." % removed)
    ui.say("Placed %d of %d stem(s) on %s; %d line(s) failed to dub." % (
        landed, len(receipt), ", ".join(plan["tracks"]), len(failed)))
    for r in receipt:
        if not r["landed"]:
            ui.say("  NOT PLACED: line %s at frame %d on track %d (Resolve dropped it)" % (
                r["line"], r["recordFrame"], r["trackIndex"]))
    return {"receipt": receipt, "failed": failed, "removed": removed, "plan": plan, "endFrame": convention}


def _rate_label(rate):
    base = str(rate["num"]) if rate["den"] == 1 else "%.3f" % (rate["num"] / float(rate["den"]))
    return base + (" DF" if rate["dropFrame"] else "")


# -- entry points ------------------------------------------------------------------------

def _speaker_map(text):
    out = {}
    for pair in re.split(r"[,;\n]", text or ""):
        name, sep, voice = pair.partition("=")
        if sep and name.strip() and voice.strip():
            out[name.strip()] = voice.strip()
    return out


def run_window(resolve, fusion, bmd):
    """A small UIManager window: source, voice, speaker voices, Dub, and a log. Studio (and free before 19.1)."""
    ui = fusion.UIManager
    disp = bmd.UIDispatcher(ui)
    project = resolve.GetProjectManager().GetCurrentProject()
    timeline = project.GetCurrentTimeline() if project else None
    sources = [("subtitle:%d" % i, "%s (%d lines)" % (name, n)) for i, name, n in
               (subtitle_tracks(timeline) if timeline else [])] + [("markers", "Timeline markers")]
    win = disp.AddWindow({"ID": "Dubline", "WindowTitle": "Dubline", "Geometry": [200, 200, 520, 420]}, [
        ui.VGroup([
            ui.HGroup({"Weight": 0}, [ui.Label({"Text": "Dialogue from"}), ui.ComboBox({"ID": "Source"})]),
            ui.HGroup({"Weight": 0}, [ui.Label({"Text": "Voice"}), ui.LineEdit({"ID": "Voice", "Text": "auto"})]),
            ui.HGroup({"Weight": 0}, [ui.Label({"Text": "Speakers"}),
                                      ui.LineEdit({"ID": "Speakers", "PlaceholderText": "ANNA=en-joe, BEN=..."})]),
            ui.HGroup({"Weight": 0}, [ui.Button({"ID": "Dub", "Text": "Dub"}),
                                      ui.Button({"ID": "Close", "Text": "Close"})]),
            ui.TextEdit({"ID": "Log", "ReadOnly": True}),
        ])])
    items = win.GetItems()
    for _, label in sources:
        items["Source"].AddItem(label)

    class WindowUI(object):
        def say(self, message):
            items["Log"].Append(message)

    def on_dub(ev):
        choices = {"source": sources[items["Source"].CurrentIndex][0], "voice": items["Voice"].Text,
                   "speakers": _speaker_map(items["Speakers"].Text)}
        try:
            run(resolve, choices, WindowUI())
        except DublineError as e:
            items["Log"].Append("ERROR: %s" % e)

    win.On.Dub.Clicked = on_dub
    win.On.Close.Clicked = lambda ev: disp.ExitLoop()
    win.On.Dubline.Close = lambda ev: disp.ExitLoop()
    win.Show()
    disp.RunLoop()
    win.Hide()


def main(argv=None, scope=None):
    """The menu entry: find Resolve, say what it is, then the window (Studio) or the console flow."""
    scope = globals() if scope is None else scope
    ui = ConsoleUI()
    resolve, how = find_resolve(scope)
    if resolve is None:
        ui.say("ERROR: DaVinci Resolve's scripting object is not available. Run Dubline from Workspace > Scripts "
               "inside Resolve (scripting from a terminal needs Resolve Studio).")
        return 1
    host = Host.of(resolve)
    ui.say("%s (found via %s)." % (host.label, how))
    if not host.runs_python:
        ui.say("ERROR: %s does not run Python scripts (from 21.1 Blackmagic moved scripting to Studio). %s" % (
            host.label, ROUTE))
        return 1
    if host.has_ui_manager and scope.get("bmd") is not None:
        # Only here is UIManager touched: on the free edition from 19.1 asking for it raises a
        # Studio upsell dialog that blocks the API calls after it.
        fusion = scope.get("fusion") or scope.get("fu") or resolve.Fusion()
        if fusion is not None and fusion.UIManager:
            run_window(resolve, fusion, scope["bmd"])
            return 0
    args = list(sys.argv[1:] if argv is None else argv)
    choices = {"source": args[0] if args else os.environ.get("DUBLINE_SOURCE", "subtitle:1"),
               "voice": os.environ.get("DUBLINE_VOICE", "auto"),
               "speakers": _speaker_map(os.environ.get("DUBLINE_SPEAKERS", ""))}
    try:
        run(resolve, choices, ui)
    except DublineError as e:
        ui.say("ERROR: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
