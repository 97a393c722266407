// The fake `premierepro` (tests/premiere/fake_premierepro.js) held to Adobe's premierepro.d.ts:
// every d.ts member the panel uses (read from the panel's code with the TypeScript compiler)
// must exist in the fake; a method must be `async` exactly where the d.ts returns a Promise;
// a property the d.ts types as string/number/boolean must hold that type in the fake.
// usage: node tests/node/check_fake.js [--fake path/to/fake.js] [--wav any.wav]   exit 1 on a finding
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { createProgram, hostMembersUsed } = require("./panel_program.js");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function tinyWav() {
  // 10 samples of silence at 48 kHz: enough for the fake's importer to read a length.
  const data = Buffer.alloc(20);
  const header = Buffer.alloc(44);
  header.write("RIFF", 0); header.writeUInt32LE(36 + data.length, 4); header.write("WAVE", 8);
  header.write("fmt ", 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(48000, 24); header.writeUInt32LE(96000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write("data", 36); header.writeUInt32LE(data.length, 40);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dubline-fake-")), "x.wav");
  fs.writeFileSync(file, Buffer.concat([header, data]));
  return file;
}

const DEFAULT_FAKE = path.join(__dirname, "../premiere/fake_premierepro.js");

/** [used members, findings] of the fake at fakePath against the panel program `built`. */
function fakeFindings(built, fakePath = DEFAULT_FAKE, wav = null) {
  const fake = require(path.resolve(fakePath));
  const objects = fake.registry(wav || tinyWav());
  const used = hostMembersUsed(built);
  const findings = [];
  for (const m of used) {
    const label = `${m.owner}.${m.name}`;
    const obj = objects[m.owner];
    if (obj === undefined || obj === null) {
      findings.push(`${label} (used at ${m.where}): the fake has no ${m.owner} in registry()`);
      continue;
    }
    if (!(m.name in Object(obj))) {
      findings.push(`${label} (used at ${m.where}): missing from the fake`);
      continue;
    }
    const value = obj[m.name];
    if (m.kind === "method") {
      if (typeof value !== "function") {
        findings.push(`${label}: a method in the d.ts, not a function in the fake`);
        continue;
      }
      const isAsync = value.constructor && value.constructor.name === "AsyncFunction";
      if (m.promise !== isAsync) {
        findings.push(`${label}: the d.ts says it ${m.promise ? "returns a Promise" : "is synchronous"}, ` +
          `the fake's is ${isAsync ? "async" : "synchronous"}`);
      }
    } else if (typeof value === "function" && !(m.owner === "premierepro")) {
      findings.push(`${label}: a property in the d.ts, a function in the fake`);
    } else if (m.primitive && typeof value !== m.primitive) {
      findings.push(`${label}: the d.ts types it ${m.primitive}, the fake holds ${typeof value}`);
    }
  }
  return [used, findings];
}

function main() {
  const fakePath = path.resolve(arg("--fake", DEFAULT_FAKE));
  const [used, findings] = fakeFindings(createProgram(), fakePath, arg("--wav", null));
  for (const f of findings) process.stdout.write(`${f}\n`);
  process.stdout.write(`checked ${used.length} premierepro member(s) the panel uses against ${path.basename(fakePath)}: ` +
    `${findings.length} mismatch(es)\n`);
  if (process.argv.includes("--list")) {
    for (const m of used) process.stdout.write(`  ${m.owner}.${m.name} ${m.kind}${m.promise ? " Promise" : ""}\n`);
  }
  process.exit(findings.length ? 1 : 0);
}

module.exports = { fakeFindings };

if (require.main === module) main();
