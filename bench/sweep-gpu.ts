// Sweep on a GPU pool (issue 17 Performance): a 64-trial `matrix` sweep of one-GPU steps of known,
// varying durations on a simulated pool of 2 hosts × 16 GPUs (two GPU workers — allocator, slot
// supplier, allocation interceptor — in this process, one inventory each). Jobs go through
// JobService.submitJob (the submit-time sweep expansion) and the real job workflow. Each trial's
// step sleeps its `ms` param and records when it ran on which host; from those times:
//   - GPU busy / GPU time available while trials remain: the window from the first trial's start
//     until fewer trials than GPUs are unfinished (after that an idle GPU has nothing it could run);
//   - the same over the whole span (first start → last end), tail included;
//   - the refill gap: a trial's end on a full host → the next trial's start there.
// The baseline, from the same run: the same measured durations list-scheduled in trial order on
// the same GPUs with no dispatch gap (what a perfect dispatcher gets). Two variants, interleaved
// (A B B A): every trial queued at once (no maxParallel), and `maxParallel: 32` (the workflow
// releases a trial as another ends).
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import type { StepInput, StepOutput } from '../src/domain/step-io';
import { simulatedInventory } from '../src/gpu/discovery';
import { jobServiceConfigFrom } from '../src/job-service/config';
import { JobService } from '../src/job-service/job-service';
import { createGpuWorkers, type GpuWorkers } from '../workers/gpu-workers';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { latency, median, nowMs, round, spread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers, type BenchWorkers } from './lib/temporal';
import { noopStep } from './noop-activities';

const TARGET = 0.9;

interface Run {
  trial: string;
  host: number;
  start: number;
  end: number;
}

/** Trial i's duration: spread evenly over [minMs, maxMs] in a scrambled order (37 is prime to 64). */
export function trialDurations(n: number, minMs: number, maxMs: number): number[] {
  return Array.from({ length: n }, (_, i) =>
    Math.round(minMs + (((i * 37) % n) / Math.max(1, n - 1)) * (maxMs - minMs)),
  );
}

/**
 * A 64-trial sweep below a CPU root (a multi-node DAG has no orphans): one GPU each, `ms` as a param.
 * A submission body: the sweep is expanded by submitJob.
 */
function sweepSpec(durations: number[], maxParallel: number | undefined): Record<string, unknown> {
  return {
    name: 'bench-sweep-gpu',
    parallelism: durations.length,
    recoveryWindow: 0,
    nodes: [
      { id: 'root', type: 'command', config: { command: ['true'] } },
      {
        id: 'trial',
        type: 'command',
        dependsOn: ['root'],
        config: { command: ['true'] },
        resources: { gpus: 1 },
        retry: { maxAttempts: 1 },
        matrix: { ms: durations },
        ...(maxParallel && { maxParallel }),
      },
    ],
  };
}

/** GPU-busy fractions of the recorded runs on `gpus` GPUs. */
export function utilisation(runs: readonly Run[], gpus: number) {
  const first = Math.min(...runs.map((r) => r.start));
  const last = Math.max(...runs.map((r) => r.end));
  const ends = runs.map((r) => r.end).sort((a, b) => a - b);
  // Unfinished ≥ gpus until the (n − gpus + 1)-th end.
  const remainUntil = ends[Math.max(0, runs.length - gpus)]!;
  const busyWithin = (from: number, to: number) =>
    runs.reduce((a, r) => a + Math.max(0, Math.min(r.end, to) - Math.max(r.start, from)), 0);
  return {
    whileRemain: busyWithin(first, remainUntil) / (gpus * (remainUntil - first)),
    span: busyWithin(first, last) / (gpus * (last - first)),
    windowMs: remainUntil - first,
    spanMs: last - first,
  };
}

/** The same durations list-scheduled in trial order on `gpus` GPUs, no gaps: the perfect dispatcher's runs. */
export function idealRuns(durations: readonly number[], gpus: number): Run[] {
  const free = Array.from({ length: gpus }, () => 0);
  return durations.map((d, i) => {
    let g = 0;
    for (let k = 1; k < gpus; k++) if (free[k]! < free[g]!) g = k;
    const start = free[g]!;
    free[g] = start + d;
    return { trial: String(i), host: Math.floor(g / (gpus / 2)), start, end: start + d };
  });
}

/** Per host: the k-th start beyond its capacity minus the k-th end there (a freed GPU taking the next trial). */
function refillGaps(runs: readonly Run[], perHost: number): number[] {
  const gaps: number[] = [];
  for (const h of new Set(runs.map((r) => r.host))) {
    const mine = runs.filter((r) => r.host === h);
    const starts = mine.map((r) => r.start).sort((a, b) => a - b);
    const ends = mine.map((r) => r.end).sort((a, b) => a - b);
    for (let k = perHost; k < starts.length; k++) gaps.push(starts[k]! - ends[k - perHost]!);
  }
  return gaps;
}

interface Sample {
  variant: string;
  wallMs: number;
  whileRemain: number;
  span: number;
  idealWhileRemain: number;
  idealSpan: number;
  windowMs: number;
  spanMs: number;
  /** Submission → first trial start (the root step, the workflow, the first dispatch). */
  firstStartMs: number;
  refillGapMs: ReturnType<typeof latency>;
  peakConcurrent: number;
  /** First trial start → every GPU busy (the first wave's dispatch, one poll per queue per host). */
  rampMs: number;
}

/** Most trials running at once, and how long after the first start every GPU first was busy (NaN: never). */
function peak(runs: readonly Run[], gpus: number): { peak: number; rampMs: number } {
  const edges = runs.flatMap((r) => [
    [r.start, 1],
    [r.end, -1],
  ]) as [number, number][];
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  let full = NaN;
  for (const [at, d] of edges) {
    max = Math.max(max, (now += d));
    if (now >= gpus && Number.isNaN(full)) full = at - edges[0]![0];
  }
  return { peak: max, rampMs: full };
}

export async function sweepGpu(opts: BenchOptions): Promise<Record<string, unknown>> {
  const hosts = 2;
  const perHost = opts.quick ? 4 : 16;
  const gpus = hosts * perHost;
  const trials = opts.quick ? 16 : 64;
  const [minMs, maxMs] = opts.quick ? [500, 1500] : [2000, 6000];
  const durations = trialDurations(trials, minMs, maxMs);
  const variants = [
    { name: 'all queued', maxParallel: undefined },
    { name: `maxParallel ${gpus}`, maxParallel: gpus },
  ];
  const order = opts.quick ? [0, 1] : [0, 1, 1, 0];

  const t = await startBenchTemporal();
  const prefix = `sweepgpu-${randomUUID().slice(0, 6)}`;
  const config = loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: `${perHost}x16`,
    TRAINYARD_GPU_POOLS: `default:${perHost}x16`,
    TRAINYARD_ALLOWED_COMMANDS: 'true',
    TRAINYARD_LOG_LEVEL: 'silent',
  });
  fs.mkdirSync(config.artifactRoot, { recursive: true });
  const service = new JobService(t.client, jobServiceConfigFrom(config));
  let runs: Run[] = [];
  const pools: GpuWorkers[] = [];
  const connections: NativeConnection[] = [];
  const samples: Sample[] = [];
  let gpuRunning: Promise<unknown> = Promise.resolve();
  let cpu: BenchWorkers | undefined;
  try {
    cpu = await startBenchWorkers(t, { command: noopStep }, { prefix });
    for (let h = 0; h < hosts; h++) {
      connections.push(await NativeConnection.connect({ address: t.server.address }));
      // The simulated trial: holds its GPU (the allocation interceptor gave it one) for its `ms`.
      const command = async (input: StepInput): Promise<StepOutput> => {
        const start = nowMs();
        await new Promise((r) => setTimeout(r, Number(input.params?.ms ?? 0)));
        runs.push({ trial: input.nodeId, host: h, start, end: nowMs() });
        return { summary: {}, artifacts: [] };
      };
      pools.push(
        await createGpuWorkers({
          // One connection per host: the SDK refuses two Workers of one queue on one connection.
          connection: connections[h]!,
          config,
          namespace: t.server.namespace,
          activities: { command },
          inventory: simulatedInventory(`${perHost}x16`),
          identity: `bench-host-${h}`,
          rediscoverMs: 0,
          log: () => undefined,
        }),
      );
    }
    gpuRunning = Promise.all(pools.flat().map((w) => w.run()));
    for (const v of order.map((i) => variants[i]!)) {
      runs = [];
      const t0 = nowMs();
      const job = await service.submitJob(sweepSpec(durations, v.maxParallel), { owner: 'bench' });
      const progress = await t.client.workflow.getHandle(job.id).result();
      const wallMs = nowMs() - t0;
      if (progress.status !== 'completed') throw new Error(`sweep-gpu: job ended ${progress.status}`);
      if (runs.length !== trials) throw new Error(`sweep-gpu: ${runs.length} trial runs recorded, expected ${trials}`);
      const u = utilisation(runs, gpus);
      // The baseline: the durations as they ran here, in trial order, on a gapless dispatcher.
      const byTrial = new Map(runs.map((r) => [r.trial, r.end - r.start]));
      const measured = [...byTrial.keys()].sort().map((k) => byTrial.get(k)!);
      const ideal = utilisation(idealRuns(measured, gpus), gpus);
      const s: Sample = {
        variant: v.name,
        wallMs: round(wallMs, 0),
        whileRemain: round(u.whileRemain, 4),
        span: round(u.span, 4),
        idealWhileRemain: round(ideal.whileRemain, 4),
        idealSpan: round(ideal.span, 4),
        windowMs: round(u.windowMs, 0),
        spanMs: round(u.spanMs, 0),
        firstStartMs: round(Math.min(...runs.map((r) => r.start)) - t0, 0),
        refillGapMs: latency(refillGaps(runs, perHost), 1),
        peakConcurrent: peak(runs, gpus).peak,
        rampMs: round(peak(runs, gpus).rampMs, 0),
      };
      opts.log(`sweep-gpu (${v.name}): ${JSON.stringify(s)}`);
      samples.push(s);
    }
  } finally {
    for (const w of pools.flat()) if (w.getState() === 'RUNNING') w.shutdown();
    await gpuRunning;
    for (const c of connections) await c.close();
    await cpu?.stop();
    await t.teardown();
  }
  const summary = variants.map((v) => {
    const ss = samples.filter((s) => s.variant === v.name);
    return {
      variant: v.name,
      whileRemain: spread(ss.map((s) => s.whileRemain)),
      span: spread(ss.map((s) => s.span)),
      idealWhileRemain: median(ss.map((s) => s.idealWhileRemain)),
      idealSpan: median(ss.map((s) => s.idealSpan)),
      vsIdeal: round(median(ss.map((s) => s.whileRemain / s.idealWhileRemain)), 4),
      refillGapP50Ms: median(ss.map((s) => s.refillGapMs.p50)),
      refillGapMaxMs: Math.max(...ss.map((s) => s.refillGapMs.max)),
      firstStartMs: median(ss.map((s) => s.firstStartMs)),
      peakConcurrent: Math.max(...ss.map((s) => s.peakConcurrent)),
      rampMs: median(ss.map((s) => s.rampMs)),
    };
  });
  const main = summary[0]!;
  const target = {
    rule: `GPU busy / GPU time available while trials remain ≥ ${TARGET} (all trials queued, no maxParallel)`,
    value: main.whileRemain.median,
    met: main.whileRemain.median >= TARGET,
  };
  const f = (x: number) => round(x, 3);
  printTable(
    `Sweep on GPUs: ${trials} one-GPU trials of ${minMs}–${maxMs} ms on ${hosts} hosts × ${perHost} simulated GPUs; median (min–max) of ${samples.length / variants.length} interleaved run(s) each — target ${target.met ? 'met' : 'MISSED'} (${f(target.value)})`,
    [
      '',
      'busy / available while trials remain',
      'gapless baseline',
      '× baseline',
      'busy / available, whole span',
      'gapless, whole span',
      'refill gap p50 / max ms',
      'submit → first trial ms',
      'first start → all GPUs busy ms',
      'peak running',
    ],
    summary.map((s) => [
      s.variant,
      `${f(s.whileRemain.median)} (${f(s.whileRemain.min)}–${f(s.whileRemain.max)})`,
      f(s.idealWhileRemain),
      s.vsIdeal,
      `${f(s.span.median)} (${f(s.span.min)}–${f(s.span.max)})`,
      f(s.idealSpan),
      `${round(s.refillGapP50Ms, 1)} / ${round(s.refillGapMaxMs, 1)}`,
      round(s.firstStartMs, 0),
      round(s.rampMs, 0),
      s.peakConcurrent,
    ]),
  );
  const file = writeResult(
    'sweep-gpu',
    { hosts, gpusPerHost: perHost, trials, durationsMs: durations, order, target, summary, samples },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return { target, summary };
}
