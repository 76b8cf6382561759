// Worker thread that owns one onnxruntime-node session. Inference runs here, off the activity's event
// loop (heartbeats and cancellation keep flowing), and in a plain Node realm: onnxruntime-common
// checks `data instanceof Float32Array`, which fails for arrays from another realm (e.g. a Jest VM).
'use strict';
const { parentPort } = require('node:worker_threads');
const ort = require('onnxruntime-node');

let session;
let provider;

async function open(msg) {
  let fallbackReason;
  const make = (eps) =>
    ort.InferenceSession.create(msg.path ?? msg.bytes, {
      executionProviders: eps,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  if (msg.cuda) {
    try {
      session = await make(['cuda']);
      provider = 'cuda';
    } catch (err) {
      fallbackReason = err && err.message ? err.message : String(err);
    }
  }
  if (!session) {
    session = await make(['cpu']);
    provider = 'cpu';
  }
  return { provider, fallbackReason, inputNames: session.inputNames, outputNames: session.outputNames };
}

function feeds(data, rows, cols) {
  return { [session.inputNames[0]]: new ort.Tensor('float32', data, [rows, cols]) };
}

async function run(msg) {
  const res = await session.run(feeds(msg.data, msg.rows, msg.cols));
  const out = {};
  for (const [k, t] of Object.entries(res)) out[k] = { type: t.type, data: t.data, dims: Array.from(t.dims) };
  return out;
}

async function latency(msg) {
  const { batch, runs, cols } = msg;
  const src = msg.data;
  const rows = src.length / cols;
  const data = new Float32Array(batch * cols);
  for (let r = 0; r < batch; r++) data.set(src.subarray((r % rows) * cols, (r % rows) * cols + cols), r * cols);
  const f = feeds(data, batch, cols);
  for (let i = 0; i < Math.min(5, runs); i++) await session.run(f);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(f);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

const OPS = { open, run, latency };

parentPort.on('message', async (msg) => {
  try {
    const result = await OPS[msg.op](msg);
    parentPort.postMessage({ id: msg.id, ok: true, result });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: err && err.message ? err.message : String(err) });
  }
});
