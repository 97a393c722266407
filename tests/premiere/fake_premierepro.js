/*
 * A fake of Premiere Pro's UXP `premierepro` module: only what the Dubline panel calls.
 *
 * It is held to Adobe's published definitions (npm @adobe/premierepro, premierepro.d.ts, the
 * version pinned in tests/node/package.json): tests/node/check_fake.js reads every d.ts member
 * the panel uses and fails unless this fake has it, with an `async` method exactly where the
 * d.ts returns a Promise and a value of the right primitive type where it declares a property.
 * `registry(host)` below maps the d.ts type names to the fake objects for that check.
 *
 * Behaviour beyond the signatures is marked where it is defined:
 *   documented - stated by the d.ts / Adobe's reference (developer.adobe.com/premiere-pro/uxp,
 *                AdobeDocs/uxp-premiere-pro) or done that way in Adobe's own sample panel
 *                (AdobeDocs/uxp-premiere-pro-samples, sample-panels/3psample-panel);
 *   assumed    - not stated anywhere we could read; listed in ASSUMED, and each one is an item
 *                of plugins/premiere/CHECKLIST.md for a person with Premiere to confirm.
 *
 * Every action committed is appended to `host.log` so tests can check exact ticks.
 */
"use strict";

const fs = require("fs");

const TPS = 254016000000n;

/** What this fake does that no Adobe source states. Ids appear in plugins/premiere/CHECKLIST.md. */
const ASSUMED = {
  "selection-callback-sync": "TrackItemSelection.createEmptySelection calls its callback before it returns.",
  "import-bin-projectitem": "importFiles refuses a FolderItem as target bin; it takes the ProjectItem.cast of it.",
  "overwrite-audio-only": "createOverwriteItemAction(item, time, 0, audioIndex) with an audio-only WAV places audio only, on that track.",
  "overwrite-cuts-under": "overwrite cuts whatever lies under the new clip on that track and keeps the rest.",
  "overwrite-missing-track": "overwrite onto an audio track index the sequence cannot address reports success and places nothing.",
  "clip-length-exact": "a placed WAV clip lasts exactly its samples (ticks = samples x 254016000000 / rate), not whole frames.",
  "name-follows-project-item": "the track item's name follows its project item renamed by createSetNameAction in the same transaction.",
  "locked-access-required": "actions are created and committed only inside project.lockedAccess (as Adobe's samples do).",
  "marker-guid": "Marker.guid is present on sequence markers and stable while the project is open (line ids for conform).",
};

/* ---- documented: TickTime, 254016000000 ticks per second, ticks as a string ---- */

class TickTime {
  constructor(ticks) { this._t = BigInt(ticks); }
  static createWithTicks(ticks) {
    if (typeof ticks !== "string") throw new TypeError("TickTime.createWithTicks takes ticks as a string");
    return new TickTime(ticks);
  }
  get ticks() { return this._t.toString(); }
  get ticksNumber() { return Number(this._t); }
  get seconds() { return Number(this._t) / Number(TPS); }
}

class Guid {
  constructor(text) { this._text = String(text); }
  toString() { return this._text; }
}

function wavTicks(path) {
  const b = fs.readFileSync(path);
  let off = 12;
  let rate = 0; let blockAlign = 0;
  while (off + 8 <= b.length) {
    const id = b.toString("ascii", off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === "fmt ") { rate = b.readUInt32LE(off + 12); blockAlign = b.readUInt16LE(off + 20); }
    if (id === "data") return (BigInt(size / blockAlign) * TPS) / BigInt(rate); // assumed: clip-length-exact
    off += 8 + size + (size % 2);
  }
  throw new Error(`no data chunk in ${path}`);
}

/* ---- project items: ProjectItem is what bins hold; FolderItem / ClipProjectItem are casts of it ---- */

const TYPE_CLIP = 1;
const TYPE_BIN = 2;
const TYPE_ROOT = 3;

class Action {
  constructor(host, label, run) { this._host = host; this._label = label; this._run = run; }
}

class ProjectItem {
  constructor(host, name, type, path = "", durationTicks = 0n) {
    this._host = host; this._name = name; this._type = type; this._path = path; this._duration = durationTicks;
    this._children = []; this._id = `item-${++host.ids}`;
  }
  get name() { return this._name; }
  get type() { return this._type; }
  getId() { return this._id; }
  createSetNameAction(name) {
    this._host.requireLock("ProjectItem.createSetNameAction");
    return new Action(this._host, "name", () => { this._name = name; });
  }
}

class FolderItem {
  constructor(item) { this._item = item; }
  async getItems() { return [...this._item._children]; }
  createBinAction(name, makeUnique) {
    const host = this._item._host;
    host.requireLock("FolderItem.createBinAction");
    return new Action(host, "bin", () => {
      this._item._children.push(new ProjectItem(host, name, TYPE_BIN));
      host.log.push({ op: "bin", name });
    });
  }
}

class ClipProjectItem {
  constructor(item) { this._item = item; }
  async getMediaFilePath() { return this._item._path; }
  createSetNameAction(name) {
    const host = this._item._host;
    host.requireLock("ClipProjectItem.createSetNameAction");
    return new Action(host, "name", () => {
      this._item._name = name;
      host.log.push({ op: "name", path: this._item._path, name });
    });
  }
}

/* ---- the timeline ---- */

class AudioClipTrackItem {
  constructor(projectItem, start, end, trackIndex) {
    this._projectItem = projectItem; this._start = start; this._end = end; this._track = trackIndex;
  }
  // assumed: name-follows-project-item
  async getName() { return this._projectItem._name; }
  async getStartTime() { return new TickTime(this._start); }
  async getEndTime() { return new TickTime(this._end); }
  async getDuration() { return new TickTime(this._end - this._start); }
  async getProjectItem() { return this._projectItem; }
  async getTrackIndex() { return this._track; }
  // test helpers (not API)
  get start() { return this._start; }
  get end() { return this._end; }
  get path() { return this._projectItem._path; }
  get label() { return this._projectItem._name; }
}

class AudioTrack {
  constructor(name, index) { this._name = name; this._index = index; this.items = []; }
  get name() { return this._name; }
  get id() { return this._index; }
  getTrackItems(trackItemType, includeEmptyTrackItems) {
    return [...this.items].sort((a, b) => (a._start < b._start ? -1 : 1));
  }
}

class Marker {
  constructor({ name = "", comments = "", start, duration, guid }) {
    this._n = name; this._c = comments; this._s = BigInt(start); this._d = BigInt(duration);
    this._guid = guid ? new Guid(guid) : null; // assumed: marker-guid
  }
  get guid() { return this._guid; }
  getName() { return this._n; }
  getComments() { return this._c; }
  getStart() { return new TickTime(this._s); }
  getDuration() { return new TickTime(this._d); }
  // test helper
  moveTo(ticks) { this._s = BigInt(ticks); }
}

class Markers {
  constructor(owner) { this._owner = owner; }
  getMarkers(filters) { return [...this._owner._markers]; }
}

class Sequence {
  constructor(host, { timebase, audioTracks = 2 }) {
    this._host = host; this._timebase = String(timebase); this._name = "Sequence 01";
    this._guid = new Guid(`seq-${++host.ids}`);
    this.audio = Array.from({ length: audioTracks }, (_, i) => new AudioTrack(`Audio ${i + 1}`, i));
    this._markers = [];
  }
  get name() { return this._name; }
  get guid() { return this._guid; }
  async getTimebase() { return this._timebase; }
  async getAudioTrackCount() { return this.audio.length; }
  async getAudioTrack(trackIndex) { return this.audio[trackIndex] || null; }
  // test helpers (not API)
  get markers() { return this._markers; }
  addMarker(m) { this._markers.push(new Marker(m)); }
  addClip(trackIndex, name, path, start, end) {
    const item = new ProjectItem(this._host, name, TYPE_CLIP, path, BigInt(end) - BigInt(start));
    const clip = new AudioClipTrackItem(item, BigInt(start), BigInt(end), trackIndex);
    this.audio[trackIndex].items.push(clip);
    return clip;
  }
}

class SequenceEditor {
  constructor(sequence) { this._sequence = sequence; }

  createOverwriteItemAction(projectItem, time, videoTrackIndex, audioTrackIndex) {
    const host = this._sequence._host;
    host.requireLock("SequenceEditor.createOverwriteItemAction");
    if (!(projectItem instanceof ProjectItem)) throw new TypeError("createOverwriteItemAction takes a ProjectItem");
    if (!(time instanceof TickTime)) throw new TypeError("createOverwriteItemAction takes a TickTime");
    const seq = this._sequence;
    return new Action(host, "overwrite", () => {
      host.log.push({ op: "overwrite", path: projectItem._path, ticks: time.ticks, videoTrackIndex, audioTrackIndex });
      // assumed: overwrite-audio-only (the video index is ignored for a WAV)
      const track = seq.audio[audioTrackIndex];
      if (!track) return; // assumed: overwrite-missing-track
      const start = time._t;
      const end = start + projectItem._duration;
      const kept = [];
      for (const it of track.items) { // assumed: overwrite-cuts-under
        if (it._end <= start || it._start >= end) { kept.push(it); continue; }
        if (it._start < start) kept.push(new AudioClipTrackItem(it._projectItem, it._start, start, it._track));
        if (it._end > end) kept.push(new AudioClipTrackItem(it._projectItem, end, it._end, it._track));
      }
      track.items = [...kept, new AudioClipTrackItem(projectItem, start, end, audioTrackIndex)];
    });
  }

  createRemoveItemsAction(trackItemSelection, ripple, mediaType, shiftOverLapping) {
    const host = this._sequence._host;
    host.requireLock("SequenceEditor.createRemoveItemsAction");
    const doomed = new Set(trackItemSelection._items);
    return new Action(host, "remove", () => {
      host.log.push({ op: "remove", count: doomed.size, ripple });
      for (const t of this._sequence.audio) t.items = t.items.filter((it) => !doomed.has(it));
    });
  }
}

class TrackItemSelection {
  constructor() { this._items = []; }
  addItem(trackItem, skipDuplicateCheck) {
    if (!skipDuplicateCheck && this._items.includes(trackItem)) return false;
    this._items.push(trackItem);
    return true;
  }
  async getTrackItems() { return [...this._items]; }
}

class CompoundAction {
  constructor() { this._actions = []; }
  addAction(action) {
    if (!(action instanceof Action)) throw new TypeError("addAction takes an Action");
    this._actions.push(action);
    return true;
  }
}

function requireSync(result, what) {
  // documented: the d.ts types both callbacks as returning void; work after an await would run
  // outside the lock / transaction.
  if (result && typeof result.then === "function") throw new TypeError(`${what} callback must be synchronous`);
}

class Project {
  constructor(host) {
    this._host = host; this._name = "Fake project"; this._guid = new Guid("project-1");
    this._root = new ProjectItem(host, "root", TYPE_ROOT); this._sequence = null;
  }
  get name() { return this._name; }
  get path() { return "/projects/fake.prproj"; }
  get guid() { return this._guid; }
  async getActiveSequence() { return this._sequence; }
  async getRootItem() { return new FolderItem(this._root); }
  async importFiles(filePaths, suppressUI, targetBin, asNumberedStills) {
    if (targetBin !== undefined && targetBin !== null && !(targetBin instanceof ProjectItem)) {
      throw new TypeError("importFiles: targetBin must be a ProjectItem"); // assumed: import-bin-projectitem
    }
    const bin = targetBin || this._root;
    for (const p of filePaths) {
      if (!fs.existsSync(p)) return false;
      bin._children.push(new ProjectItem(this._host, p.split(/[\\/]/).pop(), TYPE_CLIP, p, wavTicks(p)));
      this._host.log.push({ op: "import", path: p, bin: bin._name });
    }
    return true;
  }
  lockedAccess(callback) {
    this._host.locked += 1;
    try { requireSync(callback(), "lockedAccess"); } finally { this._host.locked -= 1; }
  }
  executeTransaction(callback, undoString) {
    this._host.requireLock("Project.executeTransaction");
    const compound = new CompoundAction();
    requireSync(callback(compound), "executeTransaction");
    this._host.log.push({ op: "transaction", undoString, actions: compound._actions.length });
    for (const a of compound._actions) a._run();
    return true;
  }
}

function createHost({ timebase = "10594584000", audioTracks = 2, withSequence = true, phantomTracks = 0 } = {}) {
  const host = { log: [], locked: 0, ids: 0 };
  // assumed: locked-access-required
  host.requireLock = (what) => { if (!host.locked) throw new Error(`${what} outside project.lockedAccess`); };
  const project = new Project(host);
  if (withSequence) project._sequence = new Sequence(host, { timebase, audioTracks });
  if (withSequence && phantomTracks) {
    // A track the count includes but the API cannot address: overwrite onto it places nothing.
    const seq = project._sequence;
    seq.getAudioTrackCount = async () => seq.audio.length + phantomTracks;
  }
  host.project = project;
  host.sequence = project._sequence;
  host.ppro = {
    Project: { getActiveProject: async () => project },
    Markers: { getMarkers: async (markerOwnerObject) => new Markers(markerOwnerObject) },
    // documented (Adobe's sample, projectPanel.ts): cast answers a falsy value for another kind of item.
    ProjectItem: {
      cast: (item) => (item instanceof FolderItem || item instanceof ClipProjectItem ? item._item : null),
      TYPE_CLIP, TYPE_BIN, TYPE_ROOT,
    },
    ClipProjectItem: {
      cast: (projectItem) => (projectItem instanceof ProjectItem && projectItem._type === TYPE_CLIP
        ? new ClipProjectItem(projectItem) : null),
    },
    FolderItem: {
      cast: (projectItem) => (projectItem instanceof ProjectItem && projectItem._type !== TYPE_CLIP
        ? new FolderItem(projectItem) : null),
    },
    SequenceEditor: { getEditor: (sequenceObject) => new SequenceEditor(sequenceObject) },
    TrackItemSelection: {
      // assumed: selection-callback-sync
      createEmptySelection: (callback) => { callback(new TrackItemSelection()); return true; },
    },
    TickTime: { createWithTicks: TickTime.createWithTicks },
    // documented: the d.ts enums, numbered in declaration order.
    Constants: {
      TrackItemType: { EMPTY: 0, CLIP: 1, TRANSITION: 2, PREVIEW: 3, FEEDBACK: 4 },
      MediaType: { ANY: 0, DATA: 1, VIDEO: 2, AUDIO: 3 },
    },
  };
  return host;
}

/**
 * d.ts type name -> the fake object whose members stand for it, for tests/node/check_fake.js.
 * Instances come from a small host with one marker, one clip and one imported stem.
 */
function registry(wavPath) {
  const host = createHost();
  const seq = host.sequence;
  seq.addMarker({ name: "m", comments: "c", start: 0n, duration: 10n, guid: "g1" });
  const clip = seq.addClip(0, "x.wav", wavPath, 0n, 10n);
  const item = clip._projectItem;
  let selection = null;
  host.ppro.TrackItemSelection.createEmptySelection((s) => { selection = s; });
  return {
    premierepro: host.ppro,
    ProjectStatic: host.ppro.Project,
    MarkersStatic: host.ppro.Markers,
    ProjectItemStatic: host.ppro.ProjectItem,
    ClipProjectItemStatic: host.ppro.ClipProjectItem,
    FolderItemStatic: host.ppro.FolderItem,
    SequenceEditorStatic: host.ppro.SequenceEditor,
    TrackItemSelectionStatic: host.ppro.TrackItemSelection,
    TickTimeStatic: host.ppro.TickTime,
    Constants: host.ppro.Constants,
    "Constants.TrackItemType": host.ppro.Constants.TrackItemType,
    "Constants.MediaType": host.ppro.Constants.MediaType,
    Project: host.project,
    Sequence: seq,
    AudioTrack: seq.audio[0],
    AudioClipTrackItem: clip,
    Markers: new Markers(seq),
    Marker: seq.markers[0],
    Guid: new Guid("g"),
    ProjectItem: item,
    ClipProjectItem: new ClipProjectItem(item),
    FolderItem: new FolderItem(host.project._root),
    TickTime: new TickTime("0"),
    TrackItemSelection: selection,
    SequenceEditor: new SequenceEditor(seq),
    CompoundAction: new CompoundAction(),
  };
}

module.exports = { createHost, registry, ASSUMED, TickTime, wavTicks, TPS };
