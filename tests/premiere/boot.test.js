/*
 * The panel's UXP wiring (bootPanel): index.html's elements, the SRT picker and the Dub button,
 * with fake `premierepro` and `uxp` modules and a minimal DOM, against the real daemon.
 */
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const os = require("os");
const path = require("path");
const Module = require("module");

const { createHost } = require("./fake_premierepro.js");

const PLUGIN = path.resolve(__dirname, "../../plugins/premiere");
const live = { skip: !process.env.DUBLINE_BRIDGE && "no daemon: run through tests/test_premiere_panel.py" };

function fakeDocument(html) {
  const ids = [...html.matchAll(/id="([^"]+)"/g)].map((m) => m[1]);
  const elements = {};
  for (const id of ids) {
    elements[id] = {
      id, value: "", textContent: "", disabled: false, children: [], handlers: {},
      addEventListener(type, fn) { this.handlers[type] = fn; },
      appendChild(child) { this.children.push(child); },
    };
  }
  elements.source.value = "markers";
  elements.track.value = "new";
  elements.voice.value = "auto";
  return {
    elements,
    getElementById: (id) => elements[id] || null,
    createElement: () => ({ textContent: "" }),
  };
}

test("index.html + main.js: pick an SRT, press Dub, the status reports the receipt", live, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "dubline-home-"));
  fs.mkdirSync(path.join(home, ".config", "dubline"), { recursive: true });
  fs.copyFileSync(process.env.DUBLINE_TOKEN_FILE, path.join(home, ".config", "dubline", "token"));

  const host = createHost({ timebase: "10160640000" }); // 25 fps
  const srt = "1\n00:00:02,000 --> 00:00:03,600\nFrom the panel.\n";
  const uxp = { storage: { localFileSystem: { getFileForOpening: async () => ({ name: "ep.srt", read: async () => srt }) } } };
  // UXP's own fs and os (Adobe's UXP reference): readFile without a callback returns a Promise.
  const uxpFs = { readFile: (p, options) => fs.promises.readFile(p, options && options.encoding) };
  const uxpOs = { homedir: () => home };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === "premierepro") return host.ppro;
    if (request === "uxp") return uxp;
    if (parent && parent.filename === path.join(PLUGIN, "main.js") && request === "fs") return uxpFs;
    if (parent && parent.filename === path.join(PLUGIN, "main.js") && request === "os") return uxpOs;
    return load.apply(this, arguments);
  };
  const doc = fakeDocument(fs.readFileSync(path.join(PLUGIN, "index.html"), "utf-8"));
  global.document = doc;
  global.window = {};
  const stored = new Map([["dubline.bridge", process.env.DUBLINE_BRIDGE]]);
  global.localStorage = { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, String(v)) };
  // What the panel sends: SubmitJob bodies and WebSocket URLs (the owner key rides on both).
  const realFetch = global.fetch;
  const RealWebSocket = global.WebSocket;
  const submitted = [];
  const sockets = [];
  global.fetch = (url, init) => {
    if (String(url).endsWith("/SubmitJob")) submitted.push(JSON.parse(init.body));
    return realFetch(url, init);
  };
  global.WebSocket = class extends RealWebSocket {
    constructor(url, ...rest) { super(url, ...rest); sockets.push(new URL(url)); }
  };
  try {
    delete require.cache[require.resolve(path.join(PLUGIN, "main.js"))];
    require(path.join(PLUGIN, "main.js"));
    const el = doc.elements;
    await el.pickSrt.handlers.click();
    assert.equal(el.source.value, "srt");
    assert.equal(el.srtName.textContent, "ep.srt");
    await el.dub.handlers.click();
    assert.match(el.status.textContent, /^Placed 1 of 1 stem\(s\) on A1\.$/);
    assert.equal(el.progress.value, 100);
    assert.equal(el.dub.disabled, false);
    assert.deepEqual(host.log.filter((e) => e.op === "overwrite").map((e) => e.ticks), [String(50n * 10160640000n)]);
    const owner = stored.get("dubline.owner");
    assert.match(owner, /^premiere-[0-9a-f]{16}$/); // made at boot, kept in localStorage
    assert.deepEqual(submitted.map((b) => b.owner), [owner]);
    assert.deepEqual(sockets.map((u) => u.searchParams.get("owner")), [owner]);

    el.voice.value = "no-such-voice";
    await el.dub.handlers.click();
    assert.match(el.status.textContent, /SubmitJob failed \(HTTP 404\)/);
  } finally {
    Module._load = load;
    global.fetch = realFetch;
    global.WebSocket = RealWebSocket;
    delete global.document;
    delete global.window;
    delete global.localStorage;
  }
});
