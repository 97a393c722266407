"""Dubline for DaVinci Resolve: dub the current timeline's subtitles (or markers) in place.

Install: copy this one file into Resolve's Scripts folder (see plugins/README.md), then run
Workspace > Scripts > Dubline. It needs the Dubline daemon running on this machine
(`dubline serve`) and reads the daemon's token file; it speaks HTTP/JSON to the daemon's
loopback bridge with the Python standard library only (Resolve runs it in your own Python).

What it does: reads the lines (subtitle item text via GetName(), or timeline markers' notes),
sends them as one job, waits for the stems, asks the daemon for the placement plan (frames
computed once, in Dubline), imports the stems into a "Dubline" bin and appends them to an
audio track named after the voice. A re-run first removes the clips an earlier run made
(recognised by their "Dubline " clip name or their "dubline:" marker) and nothing else.
Resolve's AppendToTimeline never overwrites and its returned items cannot be trusted, so the
script reads the tracks back and reports a receipt of what actually landed.

Environment: DUBLINE_BRIDGE (default http://127.0.0.1:50152), DUBLINE_TOKEN_FILE.
"""
import json
import os
import re
import socket
import sys
import urllib.error
import urllib.request

BRIDGE = "http://127.0.0.1:50152"
SERVICE = "/dubline.v1.Dubline/"
BIN_NAME = "Dubline"
CLIP_PREFIX = "Dubline "
TAG_PREFIX = "dubline:"
AUDIO = 2  # AppendToTimeline mediaType: audio only
_DECIMAL_RATES = {"23.976": (24000, 1001), "23.98": (24000, 1001), "29.97": (30000, 1001),
                  "47.952": (48000, 1001), "59.94": (60000, 1001), "119.88": (120000, 1001)}
_SPEAKER = re.compile(r"^\s*([A-Z][A-Z0-9 ._'-]{0,30}):\s+(.+)$", re.S)


class DublineError(Exception):
    """A message for the user. Raised before the timeline is touched unless it says otherwise."""


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


class Bridge:
    """The daemon's HTTP/JSON bridge: POST /dubline.v1.Dubline/<Method> with protobuf JSON."""

    def __init__(self, url, token, timeout=20.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(self, method, body):
        return urllib.request.Request(self.url + SERVICE + method, json.dumps(body).encode("utf-8"),
                                      {"Content-Type": "application/json",
                                       "Authorization": "Bearer " + self.token})

    def _open(self, method, body, timeout):
        try:
            return urllib.request.urlopen(self._request(method, body), timeout=timeout)
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

    def watch(self, job_id, timeout=900.0):
        """The job's events (NDJSON), replayed then followed until jobDone."""
        with self._open("WatchJob", {"jobId": job_id}, timeout) as r:
            for raw in r:
                if raw.strip():
                    yield json.loads(raw.decode("utf-8"))


# -- timeline reading --------------------------------------------------------------------

def parse_rate(text, drop_setting=""):
    """Resolve's rate string ("23.976", "25", "29.97 DF") + drop-frame setting -> FrameRate JSON."""
    raw = str(text or "").strip()
    drop = raw.upper().endswith("DF") or str(drop_setting).strip() in ("1", "True", "true")
    body = re.sub(r"\s*N?DF$", "", raw, flags=re.I).strip()
    if body in _DECIMAL_RATES:
        num, den = _DECIMAL_RATES[body]
    elif re.fullmatch(r"\d+(\.0+)?", body):
        num, den = int(float(body)), 1
    else:
        raise DublineError("Unsupported timeline frame rate %r." % raw)
    if drop and (num, den) not in ((30000, 1001), (60000, 1001)):
        drop = False  # Resolve keeps the setting at rates where it means nothing
    return {"num": num, "den": den, "dropFrame": drop}


def timeline_rate(project, timeline):
    text = timeline.GetSetting("timelineFrameRate") or project.GetSetting("timelineFrameRate")
    drop = timeline.GetSetting("timelineDropFrameTimecode") or project.GetSetting("timelineDropFrameTimecode")
    return parse_rate(text, drop)


def split_speaker(text):
    m = _SPEAKER.match(text)
    return (m.group(1).strip(), m.group(2).strip()) if m else ("", text.strip())


def _item_id(item, prefix, start):
    uid = getattr(item, "GetUniqueId", None)
    value = uid() if uid else None
    return "%s%s" % (prefix, value) if value else "%s%d" % (prefix, start)


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
        lines.append({"id": _item_id(item, "sub-", start), "text": text, "start": start, "end": end,
                      "speaker": speaker})
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
    body = {
        "lines": [{"id": ln["id"], "text": ln["text"], "speaker": ln["speaker"],
                   "range": {"frames": {"startFrame": ln["start"], "endFrame": ln["end"], "rate": rate}}}
                  for ln in lines],
        "defaultVoice": choices.get("voice") or "auto",
        "speakers": dict(choices.get("speakers") or {}),
        "name": choices.get("name") or "Resolve",
    }
    return body


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
    name = item.GetName() or ""
    if name.startswith(CLIP_PREFIX):
        return True
    markers = item.GetMarkers() or {}
    return any(str(m.get("customData", "")).startswith(TAG_PREFIX) for m in markers.values())


def dubline_items(timeline):
    out = []
    for i in range(1, int(timeline.GetTrackCount("audio") or 0) + 1):
        out.extend(item for item in timeline.GetItemListInTrack("audio", i) or [] if is_dubline_item(item))
    return out


def remove_previous(timeline):
    """The conform pass: remove every clip an earlier run placed; nothing else."""
    old = dubline_items(timeline)
    if old:
        timeline.DeleteClips(old, False)
        left = dubline_items(timeline)
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


def read_back(timeline, plan, tracks, media):
    """What is really on the tracks, per placement: the receipt."""
    receipt = []
    for p in plan["placements"]:
        index = tracks[p["track"]]
        record, frames = int(p["recordFrame"]), int(p["endFrame"]) - int(p["startFrame"])
        path = _norm(p["file"])
        hit = None
        for item in timeline.GetItemListInTrack("audio", index) or []:
            mpi = item.GetMediaPoolItem()
            if (int(item.GetStart()) == record and int(item.GetEnd()) == record + frames and mpi
                    and _norm(mpi.GetClipProperty("File Path") or "") == path):
                hit = item
                break
        if hit is not None:
            hit.AddMarker(0, "Purple", "Dubline", p["text"][:200], 1, p["tag"])
        receipt.append({"line": p["lineId"], "track": p["track"], "trackIndex": index, "recordFrame": record,
                        "frames": frames, "landed": hit is not None})
    return receipt


def place(project, timeline, plan):
    """Import, conform, append, read back. Returns (receipt, removed count)."""
    for p in plan["placements"]:
        if not os.path.isfile(p["file"]):
            raise DublineError("Stem %s is not on this machine; the daemon must run where Resolve runs. "
                               "Nothing was placed." % p["file"])
    pool = project.GetMediaPool()
    media = import_stems(pool, [p["file"] for p in plan["placements"]])
    for p in plan["placements"]:
        media[p["file"]].SetClipProperty("Clip Name", p["clipName"])
    removed = remove_previous(timeline)
    tracks = target_tracks(timeline, plan)
    infos = [{"mediaPoolItem": media[p["file"]], "startFrame": int(p["sourceStartFrame"]),
              "endFrame": int(p["sourceEndFrame"]), "recordFrame": int(p["recordFrame"]),
              "trackIndex": tracks[p["track"]], "mediaType": AUDIO} for p in plan["placements"]]
    pool.AppendToTimeline(infos)  # returned items may be invalid: the read-back is the truth
    return read_back(timeline, plan, tracks, media), removed


# -- the whole run -----------------------------------------------------------------------

class ConsoleUI:
    """Messages to the console (Workspace > Console) or a test's list."""

    def __init__(self, out=None):
        self.out = out

    def say(self, message):
        if self.out is not None:
            self.out.append(message)
        else:
            print("[Dubline] " + message)


def run(resolve, choices, ui):
    """Dub and place. ``choices``: source ('subtitle:<n>' | 'markers'), voice, speakers, track_name.

    Returns the receipt. Raises DublineError with a message for the user.
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
    ui.say("Dubbing %d line(s) from %s at %s fps..." % (len(lines), where, _rate_label(rate)))
    job = bridge.call("SubmitJob", job_request(lines, rate, choices))["job"]
    failed = []
    state = ""
    for event in bridge.watch(job["id"]):
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
    for w in plan.get("warnings", []):
        ui.say("  note: " + w)
    receipt, removed = place(project, timeline, plan)
    landed = sum(1 for r in receipt if r["landed"])
    if removed:
        ui.say("Removed %d clip(s) of the previous Dubline run." % removed)
    ui.say("Placed %d of %d stem(s) on %s; %d line(s) failed to dub." % (
        landed, len(receipt), ", ".join(plan["tracks"]), len(failed)))
    for r in receipt:
        if not r["landed"]:
            ui.say("  NOT PLACED: line %s at frame %d on track %d (Resolve dropped it)" % (
                r["line"], r["recordFrame"], r["trackIndex"]))
    return {"receipt": receipt, "failed": failed, "removed": removed, "plan": plan}


def _rate_label(rate):
    base = str(rate["num"]) if rate["den"] == 1 else "%.3f" % (rate["num"] / float(rate["den"]))
    return base + (" DF" if rate["dropFrame"] else "")


# -- entry points ------------------------------------------------------------------------

def _resolve_object():
    g = globals()
    if g.get("resolve"):
        return g["resolve"]
    try:
        import DaVinciResolveScript as dvr  # noqa: external scripting from a terminal
        return dvr.scriptapp("Resolve")
    except ImportError:
        return None


def _speaker_map(text):
    out = {}
    for pair in re.split(r"[,;\n]", text or ""):
        name, sep, voice = pair.partition("=")
        if sep and name.strip() and voice.strip():
            out[name.strip()] = voice.strip()
    return out


def run_window(resolve, fusion, bmd):
    """A small UIManager window: source, voice, speaker voices, Dub, and a log."""
    ui = fusion.UIManager
    disp = bmd.UIDispatcher(ui)
    timeline = resolve.GetProjectManager().GetCurrentProject().GetCurrentTimeline() if resolve else None
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


def main(argv=None):
    resolve = _resolve_object()
    g = globals()
    fusion = g.get("fusion") or g.get("fu") or (resolve.Fusion() if resolve and hasattr(resolve, "Fusion") else None)
    bmd = g.get("bmd")
    if fusion is not None and bmd is not None and getattr(fusion, "UIManager", None):
        run_window(resolve, fusion, bmd)
        return 0
    # Console flow (no UIManager, e.g. Resolve's free external scripting or a terminal).
    args = list(sys.argv[1:] if argv is None else argv)
    choices = {"source": args[0] if args else os.environ.get("DUBLINE_SOURCE", "subtitle:1"),
               "voice": os.environ.get("DUBLINE_VOICE", "auto"),
               "speakers": _speaker_map(os.environ.get("DUBLINE_SPEAKERS", ""))}
    ui = ConsoleUI()
    try:
        run(resolve, choices, ui)
    except DublineError as e:
        ui.say("ERROR: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
