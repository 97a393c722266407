// @ts-check
/*
 * Dubline panel logic with no host in it: time math, SRT and marker reading, the job request,
 * the bridge client (fetch + WebSocket) and the receipt. Plain CommonJS so UXP and Node load it.
 *
 * Times are exact: Premiere ticks (254016000000 per second) are BigInt here and strings on the
 * wire; frame rates are integer num/den derived from the sequence timebase (ticks per frame).
 */
"use strict";

const TICKS_PER_SECOND = 254016000000n;
const CLIP_PREFIX = "Dubline ";
const TAG_PREFIX = "dubline:";
// 127.0.0.1, never "localhost": on macOS UXP refuses plain http:// to host names (App Transport
// Security), and the manifest's network permission names this exact origin.
const LOOPBACK = "127.0.0.1";
const DEFAULT_BRIDGE = `http://${LOOPBACK}:50152`;
const SERVICE = "/dubline.v1.Dubline/";

/**
 * @typedef {{num: number, den: number, dropFrame: boolean}} Rate
 * @typedef {{id: string, startMs: number, endMs: number, text: string}} Cue
 * @typedef {{id: string, text: string, speaker: string, start: bigint, end: bigint}} Line
 * @typedef {{guid: string, name: string, comments: string, startTicks: string, durationTicks: string}} MarkerInfo
 * @typedef {{source?: string, srtText?: string, voice?: string, speakers?: Record<string, string>,
 *            track?: string | null, name?: string}} Choices
 * @typedef {{lineId: string, file: string, startTicks: string, endTicks: string, clipName: string,
 *            startSample: number | string, endSample: number | string}} Placement
 * @typedef {{placements: Placement[], warnings?: string[], tracks?: string[]}} Plan
 * @typedef {{path: string, startTicks: string, endTicks: string}} PlacedClip
 * @typedef {{line: string, trackIndex: number, startTicks: string, landed: boolean, endTicks: string | null}} ReceiptRow
 * @typedef {{state: string}} JobState
 * @typedef {{jobId?: string, lineDone?: {result: {lineId: string}}, lineError?: {lineId: string, message: string},
 *            jobDone?: {job: JobState}}} JobEvent
 * @typedef {{getItem: (key: string) => string | null, setItem: (key: string, value: string) => void}} KeyStore
 */

class DublineError extends Error {}

/** @param {bigint} a @param {bigint} b @returns {bigint} */
function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Round a non-negative rational num/den half up, all BigInt. @param {bigint} num @param {bigint} den */
function roundHalfUp(num, den) {
  return (2n * num + den) / (2n * den);
}

/** Sequence timebase (ticks per frame, a string) -> exact frame rate. @param {string} timebase @returns {Rate} */
function rateFromTimebase(timebase) {
  const tpf = BigInt(String(timebase).trim());
  if (tpf <= 0n) throw new DublineError(`bad sequence timebase ${timebase}`);
  const g = gcd(TICKS_PER_SECOND, tpf);
  return { num: Number(TICKS_PER_SECOND / g), den: Number(tpf / g), dropFrame: false };
}

/** @param {string | bigint} ticks @param {string | bigint} timebase */
function ticksToFrame(ticks, timebase) {
  return roundHalfUp(BigInt(ticks), BigInt(timebase));
}

/** @param {number | bigint} frame @param {string | bigint} timebase */
function frameToTicks(frame, timebase) {
  return BigInt(frame) * BigInt(timebase);
}

/** @param {number} ms @param {{num: number, den: number}} rate */
function msToFrame(ms, rate) {
  return roundHalfUp(BigInt(ms) * BigInt(rate.num), 1000n * BigInt(rate.den));
}

const SPEAKER = /^\s*([A-Z][A-Z0-9 ._'-]{0,30}):\s+([\s\S]+)$/;

/** @param {string} text @returns {{speaker: string, text: string}} */
function splitSpeaker(text) {
  const m = SPEAKER.exec(text);
  return m ? { speaker: m[1].trim(), text: m[2].trim() } : { speaker: "", text: text.trim() };
}

const SRT_TIME = /(\d+):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->\s*(\d+):(\d{2}):(\d{2})[,.](\d{1,3})/;

/** @param {string} h @param {string} m @param {string} s @param {string} frac */
function srtMs(h, m, s, frac) {
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(frac.padEnd(3, "0"));
}

/** SRT text -> cues; a block without a timing line is an error naming it. @param {string} text @returns {Cue[]} */
function parseSrt(text) {
  const blocks = String(text).replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n").split(/\n\s*\n/);
  /** @type {Cue[]} */
  const cues = [];
  blocks.forEach((block, i) => {
    const rows = block.split("\n").filter((r) => r.trim() !== "");
    if (!rows.length) return;
    const t = rows.findIndex((r) => SRT_TIME.test(r));
    const m = t < 0 ? null : SRT_TIME.exec(rows[t]);
    if (!m) throw new DublineError(`SRT block ${i + 1} has no "00:00:01,000 --> 00:00:02,000" line`);
    const startMs = srtMs(m[1], m[2], m[3], m[4]);
    const endMs = srtMs(m[5], m[6], m[7], m[8]);
    const id = t > 0 ? rows[0].trim() : String(cues.length + 1);
    const body = rows.slice(t + 1).join("\n").replace(/<[^>]+>/g, "").trim();
    if (body) cues.push({ id, startMs, endMs, text: body });
  });
  return cues;
}

/** SRT cues -> lines on the sequence's frame grid. @param {Cue[]} cues @param {Rate} rate @returns {Line[]} */
function linesFromSrt(cues, rate) {
  return cues.map((c) => {
    const { speaker, text } = splitSpeaker(c.text);
    return { id: `srt-${c.id}`, text, speaker, start: msToFrame(c.startMs, rate), end: msToFrame(c.endMs, rate) };
  }).filter((l) => l.end > l.start);
}

/**
 * Markers -> lines; text from the comments, else the name.
 * @param {MarkerInfo[]} markers @param {string} timebase @returns {Line[]}
 */
function linesFromMarkers(markers, timebase) {
  /** @type {Line[]} */
  const lines = [];
  for (const m of markers) {
    const raw = (m.comments || m.name || "").trim();
    if (!raw || BigInt(m.durationTicks) <= 0n || raw.startsWith(TAG_PREFIX)) continue;
    const start = ticksToFrame(m.startTicks, timebase);
    const end = ticksToFrame(BigInt(m.startTicks) + BigInt(m.durationTicks), timebase);
    if (end <= start) continue;
    const { speaker, text } = splitSpeaker(raw);
    lines.push({ id: m.guid ? `marker-${m.guid}` : `marker-${start}`, text, speaker, start, end });
  }
  return lines.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

const OWNER_KEY = "dubline.owner";

/**
 * This panel's owner key (the daemon's SubmitJob/WatchJob owner): made once, kept in
 * localStorage, so only this panel's own watches can cancel its jobs by going away, whatever
 * else watches them. Not a secret; random so two panels on one machine differ.
 * @param {KeyStore} store @param {() => number} [random] @returns {string}
 */
function ownerKey(store, random = Math.random) {
  const kept = store.getItem(OWNER_KEY);
  if (kept && /^[A-Za-z0-9_-]{1,128}$/.test(kept)) return kept;
  let made = "premiere-";
  for (let i = 0; i < 16; i++) made += Math.floor(random() * 16).toString(16);
  store.setItem(OWNER_KEY, made);
  return made;
}

/**
 * The SubmitJob body. @param {Line[]} lines @param {Rate} rate @param {Choices} [choices]
 * @param {string} [owner] the panel's owner key
 */
function jobRequest(lines, rate, choices = {}, owner = "") {
  return {
    lines: lines.map((l) => ({
      id: l.id, text: l.text, speaker: l.speaker || "",
      range: { frames: { startFrame: String(l.start), endFrame: String(l.end), rate } },
    })),
    defaultVoice: choices.voice || "auto",
    speakers: choices.speakers || {},
    name: choices.name || "Premiere",
    detached: true, // the panel may lose its socket; it follows the job by GetJob then
    owner,
  };
}

/** "ANNA=en-joe, BEN=x" -> {ANNA: "en-joe", BEN: "x"}. @param {string | undefined} text */
function speakerMap(text) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const pair of String(text || "").split(/[,;\n]/)) {
    const i = pair.indexOf("=");
    if (i > 0 && pair.slice(0, i).trim() && pair.slice(i + 1).trim()) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

/**
 * The bridge URL with its host checked: only 127.0.0.1 is allowed (the manifest's network
 * permission and macOS's http:// rule). "localhost" is refused with the reason, not rewritten.
 * @param {string} url @returns {string}
 */
function checkBridgeUrl(url) {
  const m = /^(https?):\/\/([^/:]+|\[[^\]]+\])(:\d+)?\/*$/.exec(String(url).trim());
  if (!m) throw new DublineError(`The bridge address ${url} is not of the form http://127.0.0.1:PORT.`);
  if (m[2] !== LOOPBACK) {
    throw new DublineError(`The bridge address must use ${LOOPBACK}, not ${m[2]}: the panel may only reach ` +
      `${LOOPBACK} (manifest permission), and on macOS UXP blocks http:// to host names such as localhost.`);
  }
  return `${m[1]}://${m[2]}${m[3] || ""}`;
}

/** The daemon's HTTP/JSON bridge and its WebSocket job events. */
class Bridge {
  /** @param {{url?: string, token: string, fetch: typeof fetch, WebSocket: typeof WebSocket, owner?: string}} options */
  constructor({ url = DEFAULT_BRIDGE, token, fetch, WebSocket, owner = "" }) {
    this.url = checkBridgeUrl(url);
    this.token = token;
    this.owner = owner;
    this.fetch = fetch;
    this.WebSocket = WebSocket;
  }

  /** @param {string} method @param {object} body @returns {Promise<any>} */
  async call(method, body) {
    let response;
    try {
      response = await this.fetch(this.url + SERVICE + method, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body || {}),
      });
    } catch (e) {
      const err = /** @type {{cause?: {code?: string}, message?: string}} */ (e);
      throw new DublineError(`The Dubline daemon is not running or not reachable at ${this.url} (${err.cause?.code || err.message}). ` +
        "Start it with `dubline serve` and try again.");
    }
    /** @type {{message?: string}} */
    let data = {};
    try { data = await response.json(); } catch (e) { /* an empty or non-JSON body */ }
    if (response.status === 401) {
      throw new DublineError("The daemon refused the token. Pick the token file of the running daemon (~/.config/dubline/token).");
    }
    if (!response.ok) throw new DublineError(`Dubline ${method} failed (HTTP ${response.status}): ${data.message || response.statusText}`);
    return data;
  }

  /**
   * Resolves with the jobDone event; onEvent sees every event. If the socket drops before
   * jobDone (seen with Node 20's WebSocket when the last frame and the close frame arrive
   * together), the job is followed by polling GetJob instead; submit jobs detached so a
   * dropped socket does not cancel them.
   * @param {string} jobId @param {(event: JobEvent) => void} onEvent @param {number} [pollMs]
   * @returns {Promise<JobEvent>}
   */
  watch(jobId, onEvent, pollMs = 500) {
    const ws = this.url.replace(/^http/, "ws") + SERVICE + "WatchJob?jobId=" + encodeURIComponent(jobId) +
      "&token=" + encodeURIComponent(this.token) + "&owner=" + encodeURIComponent(this.owner);
    return new Promise((resolve, reject) => {
      /** @type {JobEvent | null} */
      let done = null;
      let settled = false;
      /** @param {(value: any) => void} fn @param {any} value */
      const finish = (fn, value) => { if (!settled) { settled = true; fn(value); } };
      const socket = new this.WebSocket(ws);
      socket.onmessage = (msg) => {
        /** @type {JobEvent} */
        const event = JSON.parse(typeof msg.data === "string" ? msg.data : String(msg.data));
        if (onEvent) onEvent(event);
        if (event.jobDone) done = event;
      };
      socket.onerror = () => {};
      socket.onclose = () => {
        if (done) finish(resolve, done);
        else void this.poll(jobId, pollMs).then((event) => finish(resolve, event), (e) => finish(reject, e));
      };
    });
  }

  /** @param {string} jobId @param {number} pollMs @returns {Promise<JobEvent>} */
  async poll(jobId, pollMs) {
    for (;;) {
      /** @type {JobState} */
      const job = await this.call("GetJob", { jobId });
      if (!["JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_UNSPECIFIED"].includes(job.state)) {
        return { jobId, jobDone: { job } };
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}

/** @param {string} a @param {string} b */
function samePath(a, b) {
  /** @param {string} p */
  const norm = (p) => String(p).replace(/\\/g, "/").replace(/\/+/g, "/");
  return norm(a) === norm(b) || norm(a).toLowerCase() === norm(b).toLowerCase() && /^[a-z]:/i.test(norm(a));
}

/**
 * Compare the plan with what is on the track.
 * @param {Plan} plan @param {number} trackIndex @param {PlacedClip[]} placed @returns {ReceiptRow[]}
 */
function receipt(plan, trackIndex, placed) {
  return plan.placements.map((p) => {
    const hit = placed.find((it) => samePath(it.path, p.file) && String(it.startTicks) === String(p.startTicks));
    return { line: p.lineId, trackIndex, startTicks: String(p.startTicks), landed: Boolean(hit),
      endTicks: hit ? String(hit.endTicks) : null };
  });
}

/** @param {string} name @param {string} path @param {string} [outputRoot] */
function isDublineClip(name, path, outputRoot) {
  if (String(name || "").startsWith(CLIP_PREFIX)) return true;
  if (!outputRoot || !path) return false;
  const root = String(outputRoot).replace(/\\/g, "/").replace(/\/+$/, "") + "/";
  return String(path).replace(/\\/g, "/").startsWith(root);
}

module.exports = {
  TICKS_PER_SECOND, CLIP_PREFIX, TAG_PREFIX, LOOPBACK, DEFAULT_BRIDGE, DublineError, Bridge,
  roundHalfUp, rateFromTimebase, ticksToFrame, frameToTicks, msToFrame, splitSpeaker, parseSrt,
  linesFromSrt, linesFromMarkers, jobRequest, speakerMap, receipt, isDublineClip, samePath, checkBridgeUrl,
  ownerKey, OWNER_KEY,
};
