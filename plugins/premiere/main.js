/*
 * Dubline panel for Premiere Pro (UXP): read dialogue (sequence markers or an SRT), send the job
 * to the local Dubline daemon, show per-line progress, then import the stems and overwrite them
 * onto an audio track at the plan's exact tick times, and read back what landed.
 *
 * Host calls go through `env.ppro` (the `premierepro` module), so the same code runs in UXP and,
 * in tests, against a fake of the module in Node.
 */
"use strict";

const logic = require("./dubline.js");

const { DublineError } = logic;
const BIN_NAME = "Dubline";

function tokenPath(env) {
  if (env.tokenFile) return env.tokenFile;
  return `${env.homeDir.replace(/[\\/]+$/, "")}/.config/dubline/token`;
}

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

async function activeSequence(ppro) {
  const project = await ppro.Project.getActiveProject();
  if (!project) throw new DublineError("Open a project first.");
  const sequence = await project.getActiveSequence();
  if (!sequence) throw new DublineError("Open a sequence first: Dubline dubs the active sequence.");
  return { project, sequence };
}

async function readMarkers(ppro, sequence) {
  const markers = await ppro.Markers.getMarkers(sequence);
  const list = (await markers.getMarkers()) || [];
  return list.map((m) => ({
    guid: m.guid ? String(m.guid) : "",
    name: m.getName(),
    comments: m.getComments(),
    startTicks: m.getStart().ticks,
    durationTicks: m.getDuration().ticks,
  }));
}

/** Lines from the chosen source: {source: "markers"} or {source: "srt", srtText}. */
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

async function mediaPath(ppro, projectItem) {
  const clip = ppro.ClipProjectItem.cast(projectItem);
  return clip ? await clip.getMediaFilePath() : "";
}

async function dublineBin(ppro, project) {
  const find = async () => {
    const root = await project.getRootItem();
    const items = (await root.getItems()) || [];
    const bin = items.find((it) => it.name === BIN_NAME && ppro.FolderItem.cast(it));
    return { root, bin: bin ? ppro.FolderItem.cast(bin) : null };
  };
  let { root, bin } = await find();
  if (!bin) {
    project.lockedAccess(() => {
      project.executeTransaction((compound) => compound.addAction(root.createBinAction(BIN_NAME, true)),
        "Dubline: create bin");
    });
    ({ bin } = await find());
  }
  if (!bin) throw new DublineError(`Could not create the "${BIN_NAME}" bin.`);
  return bin;
}

/** Import what is not in the bin yet; return {file: ProjectItem}, found by media path. */
async function importStems(ppro, project, files) {
  const bin = await dublineBin(ppro, project);
  const byPath = async () => {
    const out = new Map();
    for (const item of (await bin.getItems()) || []) {
      const path = await mediaPath(ppro, item);
      if (path) out.set(path.replace(/\\/g, "/"), item);
    }
    return out;
  };
  let have = await byPath();
  const missing = files.filter((f) => !have.has(f.replace(/\\/g, "/")));
  if (missing.length) {
    const ok = await project.importFiles(missing, true, bin, false);
    if (!ok) throw new DublineError(`Premiere did not import the stems (e.g. ${missing[0]}). Nothing was placed.`);
    have = await byPath();
  }
  const found = new Map();
  for (const f of files) {
    const item = have.get(f.replace(/\\/g, "/"));
    if (!item) throw new DublineError(`Premiere did not import ${f}. Nothing was placed.`);
    found.set(f, item);
  }
  return found;
}

/** Clip items on an audio track with their media path and tick times. */
async function trackClips(ppro, sequence, index) {
  const track = await sequence.getAudioTrack(index);
  if (!track) return [];
  const items = (await track.getTrackItems(ppro.Constants.TrackItemType.CLIP, false)) || [];
  const out = [];
  for (const item of items) {
    out.push({
      item,
      name: item.getName(),
      path: await mediaPath(ppro, item.getProjectItem()),
      startTicks: String(item.getStartTime().ticks),
      endTicks: String(item.getEndTime().ticks),
    });
  }
  return out;
}

/** The chosen audio track index (0-based), or for "new" the first empty audio track. */
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

/** Remove earlier Dubline clips on the track, overwrite the stems, in one undoable transaction. */
function applyEdits(ppro, project, sequence, trackIndex, plan, items, previous) {
  let ok = false;
  project.lockedAccess(() => {
    const editor = ppro.SequenceEditor.getEditor(sequence);
    const actions = [];
    if (previous.length) {
      let selection = null;
      ppro.TrackItemSelection.createEmptySelection((s) => { selection = s; });
      for (const clip of previous) selection.addItem(clip.item, true);
      actions.push(editor.createRemoveItemsAction(selection, false, ppro.Constants.MediaType.AUDIO, false));
    }
    for (const p of plan.placements) {
      const item = items.get(p.file);
      actions.push(ppro.ClipProjectItem.cast(item).createSetNameAction(p.clipName));
      const time = ppro.TickTime.createWithTicks(String(p.startTicks));
      actions.push(editor.createOverwriteItemAction(item, time, 0, trackIndex));
    }
    ok = project.executeTransaction((compound) => {
      for (const action of actions) compound.addAction(action);
    }, "Dubline: place stems");
  });
  return ok;
}

/** The whole run. Returns {receipt, failed, removed, plan}; throws DublineError for the user. */
async function dub(env, choices, ui) {
  const { ppro } = env;
  const { project, sequence } = await activeSequence(ppro);
  const { lines, rate, where } = await readLines(env, sequence, choices);
  const bridge = new logic.Bridge({ url: env.bridgeUrl || logic.DEFAULT_BRIDGE, token: await readToken(env),
    fetch: env.fetch, WebSocket: env.WebSocket });
  const info = await bridge.call("GetServerInfo", {});
  const trackIndex = await targetTrack(ppro, sequence, choices.track);
  ui.status(`Dubbing ${lines.length} line(s) from ${where}...`);
  const { job } = await bridge.call("SubmitJob", logic.jobRequest(lines, rate, choices));
  const failed = [];
  let done = 0;
  const end = await bridge.watch(job.id, (event) => {
    if (event.lineDone) ui.line(event.lineDone.result.lineId, "done", ++done, lines.length);
    if (event.lineError) {
      failed.push(event.lineError);
      ui.line(event.lineError.lineId, `failed: ${event.lineError.message}`, ++done, lines.length);
    }
  });
  const state = end.jobDone.job.state;
  if (state !== "JOB_STATE_DONE" && state !== "JOB_STATE_FAILED") {
    throw new DublineError(`The job ended as ${state}; nothing was placed.`);
  }
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

function bootPanel() {
  const ppro = require("premierepro");
  const uxp = require("uxp");
  const os = require("os");
  const fs = require("fs");
  const $ = (id) => document.getElementById(id);
  let srtText = "";
  const log = (text) => {
    const row = document.createElement("div");
    row.textContent = text;
    $("log").appendChild(row);
  };
  const ui = {
    status: (text) => { $("status").textContent = text; log(text); },
    line: (id, what, n, total) => { $("progress").value = Math.round((100 * n) / total); log(`${id}: ${what}`); },
  };
  const env = {
    ppro, fetch, WebSocket, homeDir: os.homedir(),
    // A non-default bridge (development) can be set in localStorage; the manifest must allow it.
    bridgeUrl: (typeof localStorage !== "undefined" && localStorage.getItem("dubline.bridge")) || logic.DEFAULT_BRIDGE,
    // UXP's fs.readFile returns a Promise; Node-style callbacks are accepted too.
    readText: (path) => new Promise((resolve, reject) => {
      const r = fs.readFile(path, { encoding: "utf-8" }, (err, data) => (err ? reject(err) : resolve(data)));
      if (r && typeof r.then === "function") r.then(resolve, reject);
    }),
  };
  $("pickSrt").addEventListener("click", async () => {
    const file = await uxp.storage.localFileSystem.getFileForOpening({ types: ["srt"] });
    if (file) {
      srtText = await file.read();
      $("srtName").textContent = file.name;
      $("source").value = "srt";
    }
  });
  $("dub").addEventListener("click", async () => {
    $("dub").disabled = true;
    $("log").textContent = "";
    try {
      await dub(env, {
        source: $("source").value, srtText, voice: $("voice").value || "auto",
        speakers: logic.speakerMap($("speakers").value), track: $("track").value,
      }, ui);
    } catch (e) {
      ui.status(e instanceof DublineError ? e.message : `Unexpected error: ${e.message}`);
    } finally {
      $("dub").disabled = false;
    }
  });
}

module.exports = { dub, readLines, readToken, targetTrack, importStems, trackClips, applyEdits };

if (typeof document !== "undefined" && typeof window !== "undefined") bootPanel();
