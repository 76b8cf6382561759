// 3) Scale: layered DAGs of 1,000 / 10,000 / 50,000 no-op nodes through the job workflow: wall time
// per node, history events and bytes per run, continue-as-new count, worker RSS, workflow-task
// latency. Snapshots over 256 KiB go by reference (stored in a local object store, the plan loaded
// by hash each run), as the API starts them; the 50,000-node job runs once (it takes minutes).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSnapshotActivities } from '../src/snapshots/snapshot-loader';
import { LocalObjectStore } from '../src/storage/local-object-store';
import { runJob, runsOf } from './lib/jobs';
import { SizeList, knob } from './lib/knobs';
import { mergeTimings, taskTimings } from './lib/history';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { layered, specOf } from './lib/specs';
import { latency, median, nowMs, round, spread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import type { JobProgress } from '../src/domain/progress';
import { noopStep } from './noop-activities';

const WIDTH = 100;
const PARALLELISM = 100;

export async function scale(opts: BenchOptions): Promise<Record<string, unknown>> {
  // SCALE_SIZES=1000,50000 runs those sizes instead (the first is the one the others are compared with).
  const sizes = knob('SCALE_SIZES', SizeList, opts.quick ? [1000, 2000] : [1000, 10_000, 50_000]);
  const reps = 2;
  // Interleaved: small, …, large, large, …, small — but the largest once, in the middle.
  const largest = sizes[sizes.length - 1]!;
  const order = [...sizes, ...[...sizes].reverse()].filter((n, k) => n !== largest || k < sizes.length);
  const t = await startBenchTemporal();
  const prefix = `scale-${randomUUID().slice(0, 8)}`;
  const storeRoot = mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-scale-'));
  const snapshots = new LocalObjectStore(storeRoot);
  const w = await startBenchWorkers(
    t,
    { command: noopStep, ...createSnapshotActivities({ objects: snapshots }) },
    { prefix, activityConcurrency: PARALLELISM },
  );
  const samples = new Map<number, Record<string, unknown>[]>();
  const failures: { nodes: number; error: string }[] = [];
  try {
    opts.log('scale: warm-up');
    await runJob(
      t.client,
      `scale-warm-${randomUUID()}`,
      specOf(layered(200, WIDTH), PARALLELISM, {}, { retryOnce: false }),
      prefix,
    );
    for (const n of order) {
      const id = `scale-${n}-${randomUUID()}`;
      const spec = specOf(layered(n, WIDTH), PARALLELISM, {}, { retryOnce: false });
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
      const t0 = nowMs();
      // A job that fails is reported with its cause and the run goes on with the other sizes, so one
      // failure costs its own figure, not the whole run's (and its error is printed before any teardown).
      const progress = await runJob(t.client, id, spec, prefix, { snapshots }).catch((err: unknown) => err);
      const wall = nowMs() - t0;
      clearInterval(sampler);
      const error = jobError(progress);
      if (error) {
        opts.log(`scale ${n}: FAILED after ${round(wall / 1000, 1)} s (job ${id}): ${error}`);
        failures.push({ nodes: n, error });
        continue;
      }
      const runs = await runsOf(t.client, id);
      const timings = mergeTimings(await Promise.all(runs.map((r) => taskTimings(t.client, id, r.runId))));
      const sample = {
        nodes: n,
        wallMs: round(wall),
        perNodeMs: round(wall / n, 3),
        runs: runs.length,
        continueAsNew: runs.length - 1,
        historyEventsPerRun: runs.map((r) => r.historyLength),
        maxHistoryEvents: Math.max(...runs.map((r) => r.historyLength)),
        maxHistoryKiB: round(Math.max(...runs.map((r) => r.historySize)) / 1024, 0),
        byReference: JSON.stringify(spec).length > 256 * 1024,
        rssBeforeMiB: round(rssBefore / 2 ** 20, 0),
        rssPeakMiB: round(rssPeak / 2 ** 20, 0),
        wftLatencyMs: latency(timings.wftLatencyMs),
        wftProcessingMs: latency(timings.wftProcessingMs),
        workflowTasks: timings.wftLatencyMs.length,
      };
      opts.log(
        `scale ${n}: ${round(wall / 1000, 1)} s, ${sample.perNodeMs} ms/node, ${runs.length} run(s), peak RSS ${sample.rssPeakMiB} MiB, WFT p50 ${sample.wftLatencyMs.p50} ms p99 ${sample.wftLatencyMs.p99} ms`,
      );
      samples.set(n, [...(samples.get(n) ?? []), sample]);
    }
  } finally {
    await w.stop();
    await t.teardown();
    rmSync(storeRoot, { recursive: true, force: true });
  }
  const per1k = median((samples.get(sizes[0]!) ?? []).map((s) => s.perNodeMs as number));
  const rows: (string | number)[][] = [];
  const summary = sizes
    .filter((n) => samples.has(n))
    .map((n) => {
      const ss = samples.get(n) ?? [];
      const per = spread(ss.map((s) => s.perNodeMs as number));
      const last = ss[ss.length - 1]!;
      const wft = ss.map((s) => s.wftLatencyMs as ReturnType<typeof latency>);
      const row = {
        nodes: n,
        perNodeMs: per,
        vsSmallest: round(per.median / per1k, 3),
        continueAsNew: last.continueAsNew as number,
        historyEventsPerRun: last.historyEventsPerRun,
        maxHistoryEvents: last.maxHistoryEvents as number,
        maxHistoryKiB: last.maxHistoryKiB as number,
        byReference: last.byReference as boolean,
        rssPeakMiB: Math.max(...ss.map((s) => s.rssPeakMiB as number)),
        wftLatencyP50Ms: median(wft.map((x) => x.p50)),
        wftLatencyP99Ms: median(wft.map((x) => x.p99)),
        wftProcessingP50Ms: median(ss.map((s) => (s.wftProcessingMs as ReturnType<typeof latency>).p50)),
      };
      rows.push([
        n,
        `${round(per.median, 2)} (${round(per.min, 2)}–${round(per.max, 2)})`,
        row.vsSmallest,
        row.continueAsNew,
        row.maxHistoryEvents,
        row.maxHistoryKiB,
        row.byReference ? 'ref' : 'inline',
        row.rssPeakMiB,
        `${round(row.wftLatencyP50Ms, 1)} / ${round(row.wftLatencyP99Ms, 1)}`,
        round(row.wftProcessingP50Ms, 1),
      ]);
      return row;
    });
  const big = summary.find((r) => r.nodes === largest);
  const maxEvents = Math.max(...summary.map((r) => r.maxHistoryEvents));
  const target = {
    rule: `per-node time at ${largest} ≤ 1.5× that at ${sizes[0]}; no run over 10,240 history events`,
    ratio: big?.vsSmallest ?? null,
    maxHistoryEvents: maxEvents,
    met: !failures.length && big !== undefined && big.vsSmallest <= 1.5 && maxEvents <= 10_240,
  };
  printTable(
    `Scale: layered DAG (width ${WIDTH}, 2 deps/node), parallelism ${PARALLELISM}; median (min–max) over ${reps} interleaved runs (${largest}: one) — target ${target.met ? 'met' : 'MISSED'} (${target.ratio}×)`,
    [
      'nodes',
      'ms/node',
      '× smallest',
      'continue-as-new',
      'max events/run',
      'max history KiB/run',
      'snapshot',
      'peak RSS MiB',
      'WFT latency p50/p99 ms',
      'WFT processing p50 ms',
    ],
    rows,
  );
  const file = writeResult(
    'scale',
    {
      width: WIDTH,
      parallelism: PARALLELISM,
      repeats: reps,
      target,
      summary,
      failures,
      samples: Object.fromEntries(samples),
    },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  if (failures.length) throw new Error(`scale: ${failures.map((f) => `${f.nodes} nodes: ${f.error}`).join('; ')}`);
  return { summary, target };
}

/** Why a job did not complete (its result or the error its result() threw), or null when it completed. */
function jobError(result: unknown): string | null {
  if (result instanceof Error) {
    const causes: string[] = [];
    for (let e: unknown = result; e instanceof Error && causes.length < 5; e = e.cause) causes.push(e.message);
    return causes.join(' ← ');
  }
  const p = result as JobProgress;
  if (p.status === 'completed') return null;
  const failed = p.nodes.filter((n) => n.status === 'failed').slice(0, 3);
  return `job ended ${p.status}${failed.length ? `: ${JSON.stringify(failed).slice(0, 2000)}` : ''}`;
}
