/*
 * A fake of Premiere Pro's UXP `premierepro` module: only what the Dubline panel calls, with
 * the documented behaviour it must cope with:
 *
 * - getters that return Promises (getActiveProject, getActiveSequence, getTimebase, ...);
 * - Actions may only be created inside project.lockedAccess (enforced since 26.3), and run
 *   only when committed through project.executeTransaction's CompoundAction;
 * - createOverwriteItemAction onto an audio track index that does not exist reports success
 *   and places nothing;
 * - overwrite replaces whatever lies under the new clip on that track (cuts, never drops);
 * - times are TickTime (254016000000 ticks per second), created from tick strings.
 *
 * Every action issued is appended to `host.log` so tests can check exact ticks.
 */
"use strict";

const fs = require("fs");

const TPS = 254016000000n;

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

function wavTicks(path) {
  const b = fs.readFileSync(path);
  let off = 12;
  let rate = 0; let blockAlign = 0;
  while (off + 8 <= b.length) {
    const id = b.toString("ascii", off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === "fmt ") { rate = b.readUInt32LE(off + 12); blockAlign = b.readUInt16LE(off + 20); }
    if (id === "data") return (BigInt(size / blockAlign) * TPS) / BigInt(rate);
    off += 8 + size + (size % 2);
  }
  throw new Error(`no data chunk in ${path}`);
}

class ProjectItem {
  constructor(name, path, durationTicks) { this.name = name; this.path = path; this.durationTicks = durationTicks; this.type = 1; }
}

class FolderItem {
  constructor(host, name) { this.host = host; this.name = name; this.items = []; this.type = 2; }
  async getItems() { return [...this.items]; }
  createBinAction(name, makeUnique) {
    this.host.requireLock("createBinAction");
    return { run: () => { this.items.push(new FolderItem(this.host, name)); this.host.log.push({ op: "bin", name }); } };
  }
}

class ClipTrackItem {
  constructor(projectItem, start, end, trackIndex) {
    this.projectItem = projectItem; this.start = start; this.end = end; this.trackIndex = trackIndex;
    this.name = projectItem.name;
  }
  getName() { return this.name; }
  getStartTime() { return new TickTime(this.start); }
  getEndTime() { return new TickTime(this.end); }
  getDuration() { return new TickTime(this.end - this.start); }
  getProjectItem() { return this.projectItem; }
  getTrackIndex() { return this.trackIndex; }
}

class AudioTrack {
  constructor(name) { this.name = name; this.items = []; }
  getTrackItems(type, includeEmpty) {
    return [...this.items].sort((a, b) => (a.start < b.start ? -1 : 1));
  }
}

class Marker {
  constructor({ name = "", comments = "", start, duration, guid }) {
    this.n = name; this.c = comments; this.s = BigInt(start); this.d = BigInt(duration);
    if (guid) this.guid = guid;
  }
  getName() { return this.n; }
  getComments() { return this.c; }
  getStart() { return new TickTime(this.s); }
  getDuration() { return new TickTime(this.d); }
}

class Sequence {
  constructor(host, { timebase, audioTracks = 2 }) {
    this.host = host; this.timebase = String(timebase); this.name = "Sequence 01";
    this.audio = Array.from({ length: audioTracks }, (_, i) => new AudioTrack(`Audio ${i + 1}`));
    this.markers = [];
  }
  async getTimebase() { return this.timebase; }
  async getAudioTrackCount() { return this.audio.length; }
  async getAudioTrack(i) { return this.audio[i] || null; }
  // test helpers
  addMarker(m) { this.markers.push(new Marker(m)); }
  addClip(trackIndex, name, path, start, end) {
    const it = new ClipTrackItem(new ProjectItem(name, path, BigInt(end) - BigInt(start)), BigInt(start), BigInt(end), trackIndex);
    this.audio[trackIndex].items.push(it);
    return it;
  }
}

class SequenceEditor {
  constructor(host, sequence) { this.host = host; this.sequence = sequence; }
  static getEditor(sequence) { return new SequenceEditor(sequence.host, sequence); }

  createOverwriteItemAction(projectItem, time, videoTrackIndex, audioTrackIndex) {
    this.host.requireLock("createOverwriteItemAction");
    if (!(time instanceof TickTime)) throw new TypeError("time must be a TickTime");
    const seq = this.sequence;
    return {
      run: () => {
        this.host.log.push({ op: "overwrite", path: projectItem.path, ticks: time.ticks, videoTrackIndex, audioTrackIndex });
        const track = seq.audio[audioTrackIndex];
        if (!track) return; // documented: reports success, places nothing
        const start = time._t; const end = start + projectItem.durationTicks;
        const kept = [];
        for (const it of track.items) {
          if (it.end <= start || it.start >= end) { kept.push(it); continue; }
          if (it.start < start) kept.push(new ClipTrackItem(it.projectItem, it.start, start, it.trackIndex));
          if (it.end > end) kept.push(new ClipTrackItem(it.projectItem, end, it.end, it.trackIndex));
        }
        const placed = new ClipTrackItem(projectItem, start, end, audioTrackIndex);
        track.items = [...kept, placed];
      },
    };
  }

  createRemoveItemsAction(selection, ripple, mediaType, shiftOverlapping) {
    this.host.requireLock("createRemoveItemsAction");
    const doomed = new Set(selection.getTrackItems());
    return {
      run: () => {
        this.host.log.push({ op: "remove", count: doomed.size, ripple });
        for (const t of this.sequence.audio) t.items = t.items.filter((it) => !doomed.has(it));
      },
    };
  }
}

class TrackItemSelection {
  constructor() { this.items = []; }
  static createEmptySelection(cb) { cb(new TrackItemSelection()); return true; }
  addItem(item) { if (!this.items.includes(item)) this.items.push(item); return true; }
  getTrackItems() { return [...this.items]; }
}

class Project {
  constructor(host) {
    this.host = host; this.name = "Fake project"; this.root = new FolderItem(host, "root"); this.sequence = null;
  }
  async getActiveSequence() { return this.sequence; }
  async getRootItem() { return this.root; }
  async importFiles(paths, suppressUI, targetBin, asNumberedStills) {
    const bin = targetBin || this.root;
    for (const p of paths) {
      if (!fs.existsSync(p)) return false;
      bin.items.push(new ProjectItem(p.split(/[\\/]/).pop(), p, wavTicks(p)));
      this.host.log.push({ op: "import", path: p, bin: bin.name });
    }
    return true;
  }
  lockedAccess(cb) {
    this.host.locked += 1;
    try { cb(); } finally { this.host.locked -= 1; }
  }
  executeTransaction(cb, undoString) {
    this.host.requireLock("executeTransaction");
    const actions = [];
    cb({ addAction: (a) => { if (!a || typeof a.run !== "function") throw new TypeError("not an Action"); actions.push(a); return true; } });
    this.host.log.push({ op: "transaction", undoString, actions: actions.length });
    for (const a of actions) a.run();
    return true;
  }
}

function createHost({ timebase = "10594584000", audioTracks = 2, withSequence = true, phantomTracks = 0 } = {}) {
  const host = { log: [], locked: 0 };
  host.requireLock = (what) => { if (!host.locked) throw new Error(`${what} outside project.lockedAccess`); };
  const project = new Project(host);
  if (withSequence) project.sequence = new Sequence(host, { timebase, audioTracks });
  if (withSequence && phantomTracks) {
    // A track the count includes but the API cannot address: overwrite onto it places nothing.
    const seq = project.sequence;
    seq.getAudioTrackCount = async () => seq.audio.length + phantomTracks;
  }
  host.project = project;
  host.ppro = {
    Project: { getActiveProject: async () => project },
    Markers: {
      getMarkers: async (seq) => ({ getMarkers: () => [...seq.markers] }),
    },
    ClipProjectItem: {
      cast: (item) => (item instanceof ProjectItem ? Object.assign(item, {
        getMediaFilePath: async () => item.path,
        createSetNameAction: (name) => {
          host.requireLock("createSetNameAction");
          return { run: () => { item.name = name; host.log.push({ op: "name", path: item.path, name }); } };
        },
      }) : null),
    },
    FolderItem: { cast: (item) => (item instanceof FolderItem ? item : null) },
    SequenceEditor,
    TrackItemSelection,
    TickTime,
    Constants: { TrackItemType: { CLIP: 1, TRANSITION: 2 }, MediaType: { VIDEO: "video", AUDIO: "audio" } },
  };
  return host;
}

module.exports = { createHost, TickTime, wavTicks, TPS };
