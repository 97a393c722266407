// @ts-check
/*
 * Dubline panel for Premiere Pro (UXP): read dialogue (sequence markers or an SRT), send the job
 * to the local Dubline daemon, show per-line progress, then import the stems and overwrite them
 * onto an audio track at the plan's exact tick times, and read back what landed.
 *
 * Host calls go through `env.ppro` (the `premierepro` module), so the same code runs in UXP and,
 * in tests, against a fake of the module in Node. The file is type-checked against Adobe's
 * published definitions (npm @adobe/premierepro, pinned in tests/node/package.json): every call
 * the d.ts types as a Promise is awaited; actions are created and committed inside
 * project.lockedAccess + executeTransaction, whose callbacks are synchronous.
 */
"use strict";

/**
 * @import { premierepro, Project, Sequence, ProjectItem, FolderItem, AudioClipTrackItem, TrackItemSelection }
 *   from "@adobe/premierepro"
 * @import { Choices, Plan, Rate, Line } from "./dubline.js"
 */

const logic = require("./dubline.js");

const { DublineError } = logic;
const BIN_NAME = "Dubline";

/**
 * What the panel needs from its surroundings; tests pass a fake `ppro` and Node's fetch.
 * @typedef {{ppro: premierepro, fetch: typeof fetch, WebSocket: typeof WebSocket, homeDir: string,
 *            tokenFile?: string, bridgeUrl?: string, owner?: string, readText: (path: string) => Promise<string>}} Env
 * @typedef {{status: (text: string) => void, line: (id: string, what: string, n: number, total: number) => void}} UI
 * @typedef {{item: AudioClipTrackItem, name: string, path: string, startTicks: string, endTicks: string}} TrackClip
 */

/** @param {Env} env */
function tokenPath(env) {
  if (env.tokenFile) return env.tokenFile;
  return `${env.homeDir.replace(/[\\/]+$/, "")}/.config/dubline/token`;
}

/** @param {Env} env @returns {Promise<string>} */
async function readToken(env) {
  const path = tokenPath(env);
  let text;
  try {
    text = await env.readText(path);
  } catch (e) {
    throw new DublineError(`No Dubline token at ${path}. Start the daemon once (\`dubline serve\`) to create it.`);
  }
  const token = String(text || "").trim();
  if (!token) throw new DublineError(`The Dubline token file ${path} is empty. Delete it and restart \`dubline serve\`.`);
  return token;
}

/** @param {premierepro} ppro @returns {Promise<{project: Project, sequence: Sequence}>} */
async function activeSequence(ppro) {
  const project = await ppro.Project.getActiveProject();
  if (!project) throw new DublineError("Open a project first.");
  const sequence = await project.getActiveSequence();
  if (!sequence) throw new DublineError("Open a sequence first: Dubline dubs the active sequence.");
  return { project, sequence };
}

/** Sequence markers: Markers.getMarkers is a Promise, the Markers object's own calls are not. */
/** @param {premierepro} ppro @param {Sequence} sequence @returns {Promise<import("./dubline.js").MarkerInfo[]>} */
async function readMarkers(ppro, sequence) {
  const markers = await ppro.Markers.getMarkers(sequence);
  return (markers.getMarkers() || []).map((m) => ({
    guid: m.guid ? m.guid.toString() : "",
    name: m.getName(),
    comments: m.getComments(),
    startTicks: m.getStart().ticks,
    durationTicks: m.getDuration().ticks,
  }));
}

/**
 * Lines from the chosen source: {source: "markers"} or {source: "srt", srtText}.
 * @param {Env} env @param {Sequence} sequence @param {Choices} choices
 * @returns {Promise<{lines: Line[], rate: Rate, timebase: string, where: string}>}
 */
async function readLines(env, sequence, choices) {
  const timebase = await sequence.getTimebase();
  const rate = logic.rateFromTimebase(timebase);
  let lines;
  let where;
  if (choices.source === "srt") {
    if (!choices.srtText) throw new DublineError("Pick an SRT file first.");
    lines = logic.linesFromSrt(logic.parseSrt(choices.srtText), rate);
    where = "the SRT file";
  } else {
    lines = logic.linesFromMarkers(await readMarkers(env.ppro, sequence), timebase);
    where = "the sequence markers (text in the name or comments, with a duration)";
  }
  if (!lines.length) throw new DublineError(`No dialogue found in ${where}.`);
  return { lines, rate, timebase, where };
}

/** The media file of a clip item, "" for bins and other items. @param {premierepro} ppro @param {ProjectItem} projectItem */
async function mediaPath(ppro, projectItem) {
  // cast answers a falsy value for an item that is not a clip (Adobe's sample relies on it).
  const clip = projectItem ? ppro.ClipProjectItem.cast(projectItem) : null;
  return clip ? await clip.getMediaFilePath() : "";
}

/** The "Dubline" bin at the project root, created on first use. @param {premierepro} ppro @param {Project} project */
async function dublineBin(ppro, project) {
  const find = async () => {
    const root = await project.getRootItem();
    const items = (await root.getItems()) || [];
    const match = items.find((it) => it.name === BIN_NAME && ppro.FolderItem.cast(it));
    return { root, bin: match ? ppro.FolderItem.cast(match) : null };
  };
  let { root, bin } = await find();
  if (!bin) {
    const folder = root;
    project.lockedAccess(() => {
      project.executeTransaction((compound) => {
        compound.addAction(folder.createBinAction(BIN_NAME, true));
      }, "Dubline: create bin");
    });
    ({ bin } = await find());
  }
  if (!bin) throw new DublineError(`Could not create the "${BIN_NAME}" bin.`);
  return bin;
}

/**
 * Import what is not in the bin yet; return {file: ProjectItem}, found by media path.
 * @param {premierepro} ppro @param {Project} project @param {string[]} files
 * @returns {Promise<Map<string, ProjectItem>>}
 */
async function importStems(ppro, project, files) {
  const bin = await dublineBin(ppro, project);
  /** @param {string} p */
  const key = (p) => p.replace(/\\/g, "/");
  const byPath = async () => {
    /** @type {Map<string, ProjectItem>} */
    const out = new Map();
    for (const item of (await bin.getItems()) || []) {
      const path = await mediaPath(ppro, item);
      if (path) out.set(key(path), item);
    }
    return out;
  };
  let have = await byPath();
  const missing = files.filter((f) => !have.has(key(f)));
  if (missing.length) {
    // importFiles' target bin is typed ProjectItem: cast the FolderItem (Adobe's sample does the same).
    const ok = await project.importFiles(missing, true, ppro.ProjectItem.cast(bin), false);
    if (!ok) throw new DublineError(`Premiere did not import the stems (e.g. ${missing[0]}). Nothing was placed.`);
    have = await byPath();
  }
  /** @type {Map<string, ProjectItem>} */
  const found = new Map();
  for (const f of files) {
    const item = have.get(key(f));
    if (!item) throw new DublineError(`Premiere did not import ${f}. Nothing was placed.`);
    found.set(f, item);
  }
  return found;
}

/**
 * Clip items on an audio track with their name, media path and tick times.
 * @param {premierepro} ppro @param {Sequence} sequence @param {number} index @returns {Promise<TrackClip[]>}
 */
async function trackClips(ppro, sequence, index) {
  const track = await sequence.getAudioTrack(index);
  if (!track) return [];
  const items = track.getTrackItems(ppro.Constants.TrackItemType.CLIP, false) || [];
  /** @type {TrackClip[]} */
  const out = [];
  for (const item of items) {
    const name = await item.getName();
    const path = await mediaPath(ppro, await item.getProjectItem());
    const start = await item.getStartTime();
    const end = await item.getEndTime();
    out.push({ item, name, path, startTicks: String(start.ticks), endTicks: String(end.ticks) });
  }
  return out;
}

/**
 * The chosen audio track index (0-based), or for "new" the first empty audio track.
 * @param {premierepro} ppro @param {Sequence} sequence @param {string | null | undefined} choice
 */
async function targetTrack(ppro, sequence, choice) {
  const count = await sequence.getAudioTrackCount();
  if (choice !== undefined && choice !== null && choice !== "new") {
    const index = Number(choice);
    if (!(index >= 0 && index < count)) {
      throw new DublineError(`Audio track A${index + 1} does not exist (the sequence has ${count}). Nothing was placed.`);
    }
    return index;
  }
  for (let i = 0; i < count; i++) {
    if ((await trackClips(ppro, sequence, i)).length === 0) return i;
  }
  throw new DublineError("No empty audio track: add one (Sequence > Add Tracks...) or choose a track. Nothing was placed.");
}

/**
 * A selection holding the earlier Dubline clips, or null when there are none.
 * @param {premierepro} ppro @param {TrackClip[]} previous @returns {TrackItemSelection | null}
 */
function selectionOf(ppro, previous) {
  if (!previous.length) return null;
  /** @type {{selection: TrackItemSelection | null}} */
  const made = { selection: null };
  // Assumed (not stated by the docs): the callback runs before createEmptySelection returns.
  ppro.TrackItemSelection.createEmptySelection((s) => { made.selection = s; });
  const selection = made.selection;
  if (!selection) throw new DublineError("Premiere did not create a track item selection; nothing was changed.");
  for (const clip of previous) selection.addItem(clip.item, true);
  return selection;
}

/**
 * Remove earlier Dubline clips on the track, overwrite the stems, in one undoable transaction.
 * Everything async (the selection's items, the project items) is read before: the lockedAccess
 * and executeTransaction callbacks are synchronous in the d.ts.
 * @param {premierepro} ppro @param {Project} project @param {Sequence} sequence @param {number} trackIndex
 * @param {Plan} plan @param {Map<string, ProjectItem>} items @param {TrackClip[]} previous @returns {boolean}
 */
function applyEdits(ppro, project, sequence, trackIndex, plan, items, previous) {
  const selection = selectionOf(ppro, previous);
  const editor = ppro.SequenceEditor.getEditor(sequence);
  const placements = plan.placements.map((p) => {
    const item = items.get(p.file);
    if (!item) throw new DublineError(`Stem ${p.file} is not in the project; nothing was changed.`);
    return { p, item, clip: ppro.ClipProjectItem.cast(item) };
  });
  const result = { ok: false };
  project.lockedAccess(() => {
    result.ok = project.executeTransaction((compound) => {
      if (selection) {
        compound.addAction(editor.createRemoveItemsAction(selection, false, ppro.Constants.MediaType.AUDIO, false));
      }
      for (const { p, item, clip } of placements) {
        compound.addAction(clip.createSetNameAction(p.clipName));
        const time = ppro.TickTime.createWithTicks(String(p.startTicks));
        compound.addAction(editor.createOverwriteItemAction(item, time, 0, trackIndex));
      }
    }, "Dubline: place stems");
  });
  return result.ok;
}

/**
 * The whole run. Throws DublineError with a message for the user.
 * @param {Env} env @param {Choices} choices @param {UI} ui
 */
async function dub(env, choices, ui) {
  const { ppro } = env;
  const { project, sequence } = await activeSequence(ppro);
  const { lines, rate, where } = await readLines(env, sequence, choices);
  const bridge = new logic.Bridge({ url: env.bridgeUrl || logic.DEFAULT_BRIDGE, token: await readToken(env),
    fetch: env.fetch, WebSocket: env.WebSocket, owner: env.owner || "" });
  /** @type {{outputRoot?: string}} */
  const info = await bridge.call("GetServerInfo", {});
  const trackIndex = await targetTrack(ppro, sequence, choices.track);
  ui.status(`Dubbing ${lines.length} line(s) from ${where}...`);
  const { job } = await bridge.call("SubmitJob", logic.jobRequest(lines, rate, choices, bridge.owner));
  /** @type {{lineId: string, message: string}[]} */
  const failed = [];
  let done = 0;
  const end = await bridge.watch(job.id, (event) => {
    if (event.lineDone) ui.line(event.lineDone.result.lineId, "done", ++done, lines.length);
    if (event.lineError) {
      failed.push(event.lineError);
      ui.line(event.lineError.lineId, `failed: ${event.lineError.message}`, ++done, lines.length);
    }
  });
  const state = end.jobDone ? end.jobDone.job.state : "unknown";
  if (state !== "JOB_STATE_DONE" && state !== "JOB_STATE_FAILED") {
    throw new DublineError(`The job ended as ${state}; nothing was placed.`);
  }
  /** @type {Plan} */
  const plan = await bridge.call("GetPlan", { jobId: job.id, rate, timelineStartFrame: "0", trackName: "Dubline" });
  const items = await importStems(ppro, project, plan.placements.map((p) => p.file));
  const before = await trackClips(ppro, sequence, trackIndex);
  const previous = before.filter((c) => logic.isDublineClip(c.name, c.path, info.outputRoot));
  const others = before.filter((c) => !previous.includes(c));
  if (!applyEdits(ppro, project, sequence, trackIndex, plan, items, previous)) {
    throw new DublineError("Premiere refused the edit transaction; nothing was placed.");
  }
  const after = await trackClips(ppro, sequence, trackIndex);
  const result = logic.receipt(plan, trackIndex, after);
  const kept = others.filter((o) => after.some((a) => a.path === o.path && a.startTicks === o.startTicks));
  const landed = result.filter((r) => r.landed).length;
  ui.status(`Placed ${landed} of ${result.length} stem(s) on A${trackIndex + 1}` +
    (previous.length ? `, replacing ${previous.length} earlier Dubline clip(s)` : "") +
    (failed.length ? `; ${failed.length} line(s) failed to dub` : "") + ".");
  if (landed < result.length) {
    ui.status(`NOT PLACED: ${result.filter((r) => !r.landed).map((r) => r.line).join(", ")} ` +
      "(Premiere reported success but the track does not show them).");
  }
  return { receipt: result, failed, removed: previous.length, plan, trackIndex, othersKept: kept.length,
    othersBefore: others.length };
}

/* ---- UXP panel wiring (only in Premiere: there is a document and the host modules) ---- */

/** @param {string} id @returns {HTMLElement} */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no #${id}`);
  return found;
}

function bootPanel() {
  const ppro = require("premierepro");
  const uxp = require("uxp");
  const os = require("os");
  const fs = require("fs");
  const source = /** @type {HTMLSelectElement} */ (element("source"));
  const track = /** @type {HTMLSelectElement} */ (element("track"));
  const voice = /** @type {HTMLInputElement} */ (element("voice"));
  const speakers = /** @type {HTMLInputElement} */ (element("speakers"));
  const dubButton = /** @type {HTMLButtonElement} */ (element("dub"));
  const progress = /** @type {HTMLProgressElement} */ (element("progress"));
  const status = element("status");
  const logBox = element("log");
  let srtText = "";
  /** @param {string} text */
  const log = (text) => {
    const row = document.createElement("div");
    row.textContent = text;
    logBox.appendChild(row);
  };
  /** @type {UI} */
  const ui = {
    status: (text) => { status.textContent = text; log(text); },
    line: (id, what, n, total) => { progress.value = Math.round((100 * n) / total); log(`${id}: ${what}`); },
  };
  /** @type {Env} */
  const env = {
    ppro, fetch, WebSocket, homeDir: os.homedir(),
    // A non-default bridge port (development) can be set in localStorage; its host must stay
    // 127.0.0.1 and the manifest must allow the port.
    bridgeUrl: (typeof localStorage !== "undefined" && localStorage.getItem("dubline.bridge")) || logic.DEFAULT_BRIDGE,
    owner: typeof localStorage !== "undefined" ? logic.ownerKey(localStorage) : "",
    readText: async (path) => String(await fs.readFile(path, { encoding: "utf-8" })),
  };
  element("pickSrt").addEventListener("click", async () => {
    const file = await uxp.storage.localFileSystem.getFileForOpening({ types: ["srt"] });
    const picked = Array.isArray(file) ? file[0] : file;
    if (picked) {
      srtText = String(await picked.read());
      element("srtName").textContent = picked.name;
      source.value = "srt";
    }
  });
  dubButton.addEventListener("click", async () => {
    dubButton.disabled = true;
    logBox.textContent = "";
    try {
      await dub(env, {
        source: source.value, srtText, voice: voice.value || "auto",
        speakers: logic.speakerMap(speakers.value), track: track.value,
      }, ui);
    } catch (e) {
      ui.status(e instanceof DublineError ? e.message : `Unexpected error: ${e instanceof Error ? e.message : e}`);
    } finally {
      dubButton.disabled = false;
    }
  });
}

module.exports = { dub, readLines, readToken, targetTrack, importStems, trackClips, applyEdits };

if (typeof document !== "undefined" && typeof window !== "undefined") bootPanel();
