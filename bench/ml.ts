// 5) ML steps: the demo pipeline (examples/pipeline.yaml) end to end on the whole local stack
// (startStack: dev server, CPU + simulated-GPU workers, API), time per step; then ONNX inference
// latency (onnxruntime, in its worker thread) vs the trained JS model's own forward pass
// (preprocessing + predict) on the same raw rows and batch sizes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REFS } from '../activities/ml/io';
import { predict } from '../activities/ml/models';
import { openSession } from '../activities/ml/onnx/runtime';
import { encodeRaw, transformRaw, type Matrix, type PreprocessorParams } from '../activities/ml/preprocess';
import type { Dataset } from '../activities/ml/table';
import type { ModelArtifact } from '../activities/train';
import { startStack } from '../dev/stack';
import { freePort } from '../src/temporal/dev-server';
import type { ArtifactRef } from '../src/domain/step-io';
import { runDemoJob, type DemoJobView } from './lib/demo-pipeline';
import { benchConfig } from './lib/api';
import { demoPipeline } from './lib/specs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { latency, median, nowMs, round, spread } from './lib/stats';

export async function ml(opts: BenchOptions): Promise<Record<string, unknown>> {
  const runs = opts.quick ? 1 : 3;
  const latencyRuns = opts.quick ? 200 : 1000;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-ml-'));
  fs.chmodSync(home, 0o711); // the step sandbox's user must reach the stack's work folder
  const config = benchConfig(home, 'mlbench', {
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    TRAINYARD_GPUS: '1x16',
    TRAINYARD_API_KEYS: 'bench:bench-key-0123456789abcdef0123456789:admin',
  });
  const key = 'bench-key-0123456789abcdef0123456789';
  const spec = demoPipeline();
  const stack = await startStack(config, { log: (l) => opts.log(`stack: ${l}`) });
  const perRun: { wallMs: number; steps: Record<string, number>; gaps: Record<string, number> }[] = [];
  let last: DemoJobView | undefined;
  try {
    for (let r = 0; r < runs; r++) {
      const { wallMs, steps, gaps, view } = await runDemoJob(stack.apiUrl, key, spec);
      perRun.push({ wallMs, steps, gaps });
      last = view;
      opts.log(
        `ml run ${r + 1}/${runs}: ${round(wallMs / 1000, 2)} s; ${Object.entries(steps)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}`,
      );
    }
  } finally {
    // Read the artifacts before the stack goes (the store is local files; they stay until rm).
    await stack.stop();
  }

  // ONNX vs the JS forward pass on the last run's model.
  const byId = new Map(last!.nodes.map((n) => [n.id, n]));
  const trainRefs = byId.get('train')!.output!.refs!;
  const exportOut = byId.get('export')!.output!;
  const read = <T>(ref: ArtifactRef): T =>
    JSON.parse(fs.readFileSync(path.join(config.artifactRoot, ref.path), 'utf8')) as T;
  const { model } = read<ModelArtifact>(trainRefs[REFS.model]!);
  const pre = read<PreprocessorParams>(trainRefs[REFS.preprocessor]!);
  const test = read<Dataset>(trainRefs[REFS.testData]!);
  const raw = encodeRaw(test, pre);
  const onnxFile = path.join(
    config.artifactRoot,
    (exportOut.refs ?? {})[REFS.onnx]?.path ?? (exportOut.summary.onnx as string),
  );
  const session = await openSession(onnxFile);
  const inference: Record<string, unknown>[] = [];
  try {
    for (const batch of [1, 32, 256]) {
      const onnx = await session.latency(raw, batch, latencyRuns);
      const js = jsLatency(model, pre, raw, batch, latencyRuns);
      inference.push({
        batch,
        runs: latencyRuns,
        onnx: { p50Ms: onnx.p50Ms, p99Ms: onnx.p99Ms, meanMs: onnx.meanMs },
        js: { p50Ms: js.p50, p99Ms: js.p99, meanMs: js.mean },
        speedupP50: round(js.p50 / onnx.p50Ms, 3),
      });
    }
  } finally {
    await session.close();
    fs.rmSync(home, { recursive: true, force: true });
  }

  const stepIds = Object.keys(perRun[0]!.steps);
  const stepRows = stepIds.map((id) => {
    const s = spread(perRun.map((p) => p.steps[id]!));
    const g = perRun.map((p) => p.gaps[id]).filter((x): x is number => x !== undefined);
    // durationMs is the workflow's view: scheduled → completion seen, so it includes dispatch.
    return { id, type: byId.get(id)?.type, durationMs: s, gapAfterParentMs: g.length ? median(g) : null };
  });
  printTable(
    `ML: demo pipeline (examples/pipeline.yaml, breast_cancer, MLP 100 epochs with epochDelayMs 20) end to end, ${runs} run(s): wall ${round(median(perRun.map((p) => p.wallMs)) / 1000, 2)} s (median)`,
    ['step', 'type', 'duration ms (median (min–max))'],
    stepRows.map((s) => [
      s.id,
      s.type ?? '',
      `${round(s.durationMs.median, 0)} (${round(s.durationMs.min, 0)}–${round(s.durationMs.max, 0)})`,
    ]),
  );
  printTable(
    `ML: inference latency on the test rows (${test.rowIds.length} rows), ${latencyRuns} runs per batch size`,
    ['batch', 'ONNX p50 ms', 'ONNX p99 ms', 'JS forward p50 ms', 'JS forward p99 ms', 'JS/ONNX (p50)'],
    inference.map((i) => {
      const o = i.onnx as { p50Ms: number; p99Ms: number };
      const j = i.js as { p50Ms: number; p99Ms: number };
      return [i.batch as number, o.p50Ms, o.p99Ms, j.p50Ms, j.p99Ms, i.speedupP50 as number];
    }),
  );
  const result = {
    runs,
    wallMs: spread(perRun.map((p) => p.wallMs)),
    steps: stepRows,
    perRun,
    exportSummaryLatency: exportOut.summary.latency,
    inference,
    note: 'ONNX latency is measured inside the onnxruntime worker thread (session.run only); the JS forward pass includes the same preprocessing the ONNX graph folds in (transformRaw + predict).',
  };
  const file = writeResult('ml', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}

function jsLatency(model: ModelArtifact['model'], pre: PreprocessorParams, raw: Matrix, batch: number, runs: number) {
  const data = new Float64Array(batch * raw.cols);
  for (let r = 0; r < batch; r++)
    for (let j = 0; j < raw.cols; j++) data[r * raw.cols + j] = raw.data[(r % raw.rows) * raw.cols + j]!;
  const x: Matrix = { ...raw, rows: batch, data } as Matrix;
  for (let i = 0; i < Math.min(20, runs); i++) predict(model, transformRaw(x, pre));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    predict(model, transformRaw(x, pre));
    times.push(nowMs() - t0);
  }
  return latency(times, 4);
}
