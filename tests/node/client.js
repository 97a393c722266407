// A stock gRPC client: loads proto/ at run time (no generated code), calls the daemon with
// the token, submits a one-line job and follows its event stream. Prints one JSON summary.
// usage: node client.js ADDRESS TOKEN PROTO_ROOT
"use strict";
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");

const [address, token, protoRoot] = process.argv.slice(2);
const def = loader.loadSync("dubline/v1/dubline.proto", {
  includeDirs: [protoRoot], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
});
const { Dubline } = grpc.loadPackageDefinition(def).dubline.v1;
const client = new Dubline(address, grpc.credentials.createInsecure());
const auth = new grpc.Metadata();
auth.set("authorization", `Bearer ${token}`);

function unary(method, req, md = auth) {
  return new Promise((resolve, reject) =>
    client[method](req, md, (err, reply) => (err ? reject(err) : resolve(reply))));
}

(async () => {
  const out = {};
  try {
    await unary("ListJobs", {}, new grpc.Metadata());
  } catch (err) {
    out.noTokenCode = grpc.status[err.code];
  }
  const info = await unary("GetServerInfo", {});
  out.api = info.api;
  out.engines = info.engines.map((e) => e.name);
  const submitted = await unary("SubmitJob", {
    lines: [{ id: "n1", text: "Hello from node.",
              range: { frames: { startFrame: 24, endFrame: 72, rate: { num: 25, den: 1 } } } }],
    output: { sampleRate: 48000, outputDir: "node" },
  });
  out.jobId = submitted.job.id;
  out.events = [];
  const stream = client.WatchJob({ jobId: submitted.job.id }, auth);
  stream.on("data", (ev) => {
    out.events.push(ev.event);
    if (ev.lineDone) out.result = ev.lineDone.result;
    if (ev.jobDone) out.state = ev.jobDone.job.state;
  });
  stream.on("error", (err) => { console.error(err); process.exit(2); });
  stream.on("end", () => { console.log(JSON.stringify(out)); client.close(); });
})().catch((err) => { console.error(err); process.exit(1); });
