/*
 * The Premiere panel's JavaScript against a fake `premierepro` module, with the real Dubline
 * daemon (started by tests/test_premiere_panel.py; DUBLINE_BRIDGE and DUBLINE_TOKEN_FILE).
 * Run: node --experimental-websocket --test tests/premiere/
 */
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const net = require("net");
const path = require("path");

const PLUGIN = path.resolve(__dirname, "../../plugins/premiere");
const logic = require(path.join(PLUGIN, "dubline.js"));
const panel = require(path.join(PLUGIN, "main.js"));
const { createHost } = require("./fake_premierepro.js");

const BRIDGE = process.env.DUBLINE_BRIDGE;
const TOKEN_FILE = process.env.DUBLINE_TOKEN_FILE;
const live = { skip: !BRIDGE && "no daemon: run through tests/test_premiere_panel.py" };
const TB_2398 = 10594584000n;
const TB_25 = 10160640000n;

function ui() {
  const out = { statuses: [], lines: [] };
  out.status = (t) => out.statuses.push(t);
  out.line = (id, what, n, total) => out.lines.push([id, what, n, total]);
  return out;
}

function env(host, extra = {}) {
  return {
    ppro: host.ppro, fetch, WebSocket, homeDir: "/nonexistent", tokenFile: TOKEN_FILE, bridgeUrl: BRIDGE,
    readText: (p) => fs.promises.readFile(p, "utf-8"), ...extra,
  };
}

function closedPort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---- pure logic ------------------------------------------------------------------------

test("timebases map to exact rates", () => {
  assert.deepEqual(logic.rateFromTimebase("10594584000"), { num: 24000, den: 1001, dropFrame: false });
  assert.deepEqual(logic.rateFromTimebase("10160640000"), { num: 25, den: 1, dropFrame: false });
  assert.deepEqual(logic.rateFromTimebase("8475667200"), { num: 30000, den: 1001, dropFrame: false });
  assert.deepEqual(logic.rateFromTimebase("4237833600"), { num: 60000, den: 1001, dropFrame: false });
});

test("SRT and marker times land on frames, half up", () => {
  const rate = { num: 25, den: 1 };
  assert.equal(logic.msToFrame(2500, rate), 63n); // 62.5 frames
  assert.equal(logic.msToFrame(2499, rate), 62n);
  const cues = logic.parseSrt("\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\nANNA: Hello <i>there</i>.\r\n\r\n2\n00:00:03,000 --> 00:00:04,000\nBye.\n");
  assert.deepEqual(logic.linesFromSrt(cues, rate), [
    { id: "srt-1", text: "Hello there.", speaker: "ANNA", start: 25n, end: 63n },
    { id: "srt-2", text: "Bye.", speaker: "", start: 75n, end: 100n },
  ]);
  assert.throws(() => logic.parseSrt("1\nno timing\nHello"), logic.DublineError);
  const lines = logic.linesFromMarkers([
    { guid: "g2", name: "", comments: "Second.", startTicks: String(80n * TB_2398), durationTicks: String(50n * TB_2398) },
    { guid: "", name: "First.", comments: "", startTicks: String(24n * TB_2398 + 3n), durationTicks: String(48n * TB_2398) },
    { guid: "g3", name: "zero", comments: "", startTicks: "0", durationTicks: "0" },
  ], String(TB_2398));
  assert.deepEqual(lines.map((l) => [l.id, l.text, l.start, l.end]),
    [["marker-24", "First.", 24n, 72n], ["marker-g2", "Second.", 80n, 130n]]);
});

test("the owner key is made once, kept, and sent with the job", () => {
  const kept = new Map();
  const store = { getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => kept.set(k, v) };
  const first = logic.ownerKey(store);
  assert.match(first, /^premiere-[0-9a-f]{16}$/);
  assert.equal(kept.get(logic.OWNER_KEY), first);
  assert.equal(logic.ownerKey(store), first); // the next panel session keeps it
  const other = logic.ownerKey({ getItem: () => null, setItem: () => {} });
  assert.notEqual(other, first); // another panel, another key
  kept.set(logic.OWNER_KEY, "bad key\n");
  assert.match(logic.ownerKey(store), /^premiere-[0-9a-f]{16}$/); // a damaged value is replaced
  const body = logic.jobRequest([{ id: "1", text: "Hi.", speaker: "", start: 0n, end: 24n }],
    { num: 24, den: 1, dropFrame: false }, {}, first);
  assert.equal(body.owner, first);
});

test("bridge connection errors are clear", async () => {
  const port = await closedPort();
  const bridge = new logic.Bridge({ url: `http://127.0.0.1:${port}`, token: "x", fetch, WebSocket });
  await assert.rejects(bridge.call("GetServerInfo", {}), /not running or not reachable/);
});

// ---- the panel against the fake host and the real daemon --------------------------------

async function markersHost(opts = {}) {
  const host = createHost({ timebase: String(TB_2398), ...opts });
  const seq = host.sequence;
  seq.addMarker({ name: "ANNA: Hello there.", start: 24n * TB_2398, duration: 48n * TB_2398, guid: "m1" });
  seq.addMarker({ comments: "How are you today?", start: 80n * TB_2398, duration: 50n * TB_2398, guid: "m2" });
  return host;
}

test("markers -> job -> stems overwritten at exact ticks, read back; a re-run replaces only Dubline clips", live, async () => {
  const host = await markersHost();
  const seq = host.sequence;
  const u = ui();
  const out = await panel.dub(env(host), { source: "markers", track: "new" }, u);
  assert.equal(out.trackIndex, 0);
  assert.deepEqual(out.receipt.map((r) => r.landed), [true, true]);
  const overwrites = host.log.filter((e) => e.op === "overwrite");
  assert.deepEqual(overwrites.map((e) => e.ticks), [String(24n * TB_2398), String(80n * TB_2398)]);
  assert.deepEqual(overwrites.map((e) => e.audioTrackIndex), [0, 0]);
  assert.equal(host.log.filter((e) => e.op === "transaction").length, 2); // the bin, then one edit
  const items = seq.audio[0].getTrackItems(1, false);
  assert.deepEqual(items.map((i) => i.start), [24n * TB_2398, 80n * TB_2398]);
  assert.ok(items.every((i) => i.label.startsWith("Dubline ")));
  for (const [item, p] of items.map((it, k) => [it, out.plan.placements[k]])) {
    // the whole stem, sample-exact: 5292000 ticks a sample at 48 kHz
    assert.equal(item.end - item.start, BigInt(p.endSample - p.startSample) * 5292000n);
  }
  assert.deepEqual(u.lines.map((l) => l[2]), [1, 2]);
  assert.match(u.statuses.at(-1), /Placed 2 of 2 stem\(s\) on A1/);

  // The editor drops a music clip on A1 after the dub, moves a marker, runs again on A1.
  seq.addClip(0, "music.wav", "/media/music.wav", 200n * TB_2398, 260n * TB_2398);
  seq.markers[1].moveTo(100n * TB_2398);
  host.log.length = 0;
  const again = await panel.dub(env(host), { source: "markers", track: "0" }, ui());
  assert.equal(again.removed, 2);
  assert.equal(host.log.find((e) => e.op === "remove").count, 2);
  assert.deepEqual(again.receipt.map((r) => r.landed), [true, true]);
  assert.deepEqual(seq.audio[0].getTrackItems(1, false).map((i) => [i.label.startsWith("Dubline ") ? "dub" : i.label, i.start]),
    [["dub", 24n * TB_2398], ["dub", 100n * TB_2398], ["music.wav", 200n * TB_2398]]);
  assert.equal(again.othersKept, 1);
});

test("an SRT at 25 fps lands on the frame grid in ticks", live, async () => {
  const host = createHost({ timebase: String(TB_25) });
  const srt = "1\n00:00:01,000 --> 00:00:02,500\nGood morning.\n\n2\n00:00:03,020 --> 00:00:04,000\nSee you.\n";
  const out = await panel.dub(env(host), { source: "srt", srtText: srt, track: "1" }, ui());
  assert.deepEqual(host.log.filter((e) => e.op === "overwrite").map((e) => [e.ticks, e.audioTrackIndex]),
    [[String(25n * TB_25), 1], [String(76n * TB_25), 1]]); // 3.020 s = frame 75.5 -> 76
  assert.deepEqual(out.plan.placements.map((p) => p.startTicks), [String(25n * TB_25), String(76n * TB_25)]);
  assert.deepEqual(out.receipt.map((r) => r.landed), [true, true]);
});

test("overwrite onto a track the API cannot address reports success, places nothing: detected", live, async () => {
  const host = await markersHost({ audioTracks: 1, phantomTracks: 1 });
  host.sequence.addClip(0, "dialogue.wav", "/media/dialogue.wav", 0n, 500n * TB_2398);
  const u = ui();
  const out = await panel.dub(env(host), { source: "markers", track: "new" }, u);
  assert.equal(out.trackIndex, 1);
  assert.equal(host.log.filter((e) => e.op === "overwrite").length, 2); // issued, "succeeded"
  assert.deepEqual(out.receipt.map((r) => r.landed), [false, false]);
  assert.match(u.statuses.join("\n"), /Placed 0 of 2[\s\S]*NOT PLACED: marker-m1, marker-m2/);
});

test("errors: clear message, nothing placed", live, async () => {
  const attempt = async (host, extra, choices, pattern) => {
    await assert.rejects(panel.dub(env(host, extra), { source: "markers", track: "new", ...choices }, ui()), (e) => {
      assert.ok(e instanceof logic.DublineError, e.stack);
      assert.match(e.message, pattern);
      return true;
    });
    assert.deepEqual(host.log.filter((e) => e.op !== "bin"), []);
  };
  await attempt(await markersHost(), { tokenFile: "/nonexistent/token" }, {}, /No Dubline token at \/nonexistent\/token/);
  const bad = path.join(require("os").tmpdir(), `dubline-bad-token-${process.pid}`);
  fs.writeFileSync(bad, "wrong\n");
  await attempt(await markersHost(), { tokenFile: bad }, {}, /refused the token/);
  await attempt(await markersHost(), { bridgeUrl: `http://127.0.0.1:${await closedPort()}` }, {}, /not running/);
  await attempt(createHost(), {}, {}, /No dialogue found in the sequence markers/);
  await attempt(createHost(), {}, { source: "srt" }, /Pick an SRT file first/);
  await attempt(await markersHost(), {}, { track: "5" }, /A6 does not exist/);
  await attempt(createHost({ withSequence: false }), {}, {}, /Open a sequence first/);
  const full = await markersHost({ audioTracks: 1 });
  full.sequence.addClip(0, "x.wav", "/media/x.wav", 0n, 10n);
  await attempt(full, {}, {}, /No empty audio track/);
});

test("the bridge is reached at 127.0.0.1 only; localhost is refused with the reason", () => {
  assert.equal(logic.DEFAULT_BRIDGE, "http://127.0.0.1:50152");
  assert.equal(logic.checkBridgeUrl("http://127.0.0.1:50152/"), "http://127.0.0.1:50152");
  for (const bad of ["http://localhost:50152", "http://LOCALHOST:50152", "http://[::1]:50152", "http://10.0.0.2:50152"]) {
    assert.throws(() => new logic.Bridge({ url: bad, token: "t", fetch, WebSocket }),
      (e) => e instanceof logic.DublineError && /must use 127\.0\.0\.1/.test(e.message) && /macOS/.test(e.message));
  }
  assert.throws(() => logic.checkBridgeUrl("127.0.0.1:50152"), /not of the form/);
});
