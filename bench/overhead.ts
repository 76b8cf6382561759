// 1) Orchestration overhead: the same no-op activity through the job workflow (A) and through a
// hand-written baseline workflow with the same dependency structure (B), interleaved A/B, B/A.
import { randomUUID } from 'node:crypto';
import { runJob, runsOf } from './lib/jobs';
import { mergeTimings, taskTimings } from './lib/history';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { chain, fanOut, lattice, specOf, type Shape } from './lib/specs';
import { nowMs, percentile as percentileOf, round, spread, fmtSpread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import { noopStep } from './noop-activities';

interface Case {
  shape: Shape;
  parallelism: number;
  baseline: 'baselineChain' | 'baselineFanOut' | 'baselineLattice';
  rows?: number;
  cols?: number;
  target?: number;
}

export async function overhead(opts: BenchOptions): Promise<Record<string, unknown>> {
  const reps = opts.quick ? 2 : 5;
  const cases: Case[] = opts.quick
    ? [
        { shape: chain(50), parallelism: 100, baseline: 'baselineChain', target: 1.15 },
        { shape: fanOut(200), parallelism: 100, baseline: 'baselineFanOut', target: 1.25 },
        { shape: lattice(10, 10), parallelism: 100, baseline: 'baselineLattice', rows: 10, cols: 10 },
      ]
    : [
        { shape: chain(200), parallelism: 100, baseline: 'baselineChain', target: 1.15 },
        { shape: fanOut(1000), parallelism: 100, baseline: 'baselineFanOut', target: 1.25 },
        { shape: lattice(20, 20), parallelism: 100, baseline: 'baselineLattice', rows: 20, cols: 20 },
      ];
  const t = await startBenchTemporal();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const w = await startBenchWorkers(t, { command: noopStep }, { prefix, baseline: true, activityConcurrency: 100 });
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  try {
    let lastA = '';
    let lastB = '';
    const runA = async (c: Case): Promise<number> => {
      const id = `ov-job-${randomUUID()}`;
      lastA = id;
      const t0 = nowMs();
      const p = await runJob(t.client, id, specOf(c.shape, c.parallelism), prefix);
      const ms = nowMs() - t0;
      if (p.status !== 'completed') throw new Error(`${c.shape.name}: job ended ${p.status}`);
      return ms;
    };
    const runB = async (c: Case): Promise<number> => {
      const id = `ov-base-${randomUUID()}`;
      lastB = id;
      const t0 = nowMs();
      await t.client.workflow.execute(c.baseline, {
        workflowId: id,
        taskQueue: w.baselineQueue,
        args: [{ jobId: id, taskQueue: w.queues.cpu, nodes: c.shape.nodes.length, parallelism: c.parallelism, rows: c.rows, cols: c.cols }],
      });
      return nowMs() - t0;
    };
    // Warm-up: worker caches, webpack'd bundles, SQLite pages.
    opts.log('overhead: warm-up');
    await runA({ shape: chain(10), parallelism: 10, baseline: 'baselineChain' });
    await runB({ shape: chain(10), parallelism: 10, baseline: 'baselineChain' });
    for (const c of cases) {
      const a: number[] = [];
      const b: number[] = [];
      const ratios: number[] = [];
      const perNode: number[] = [];
      const n = c.shape.nodes.length;
      for (let r = 0; r < reps; r++) {
        // ABBA ordering so drift on a shared machine hits both sides alike.
        let ta: number, tb: number;
        if (r % 2 === 0) {
          ta = await runA(c);
          tb = await runB(c);
        } else {
          tb = await runB(c);
          ta = await runA(c);
        }
        a.push(ta);
        b.push(tb);
        ratios.push(ta / tb);
        perNode.push((ta - tb) / n);
        opts.log(`overhead ${c.shape.name} rep ${r + 1}/${reps}: job ${round(ta)} ms, baseline ${round(tb)} ms, ratio ${round(ta / tb, 3)}`);
      }
      const ratio = spread(ratios);
      // Where the time goes, from the last repeat's histories: workflow-task processing (the worker
      // running workflow code) and dispatch (waiting for a worker), summed per node.
      const tA = mergeTimings(await Promise.all((await runsOf(t.client, lastA)).map((r) => taskTimings(t.client, lastA, r.runId))));
      const tB = await taskTimings(t.client, lastB);
      const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
      const breakdown = {
        job: { workflowTasks: tA.wftLatencyMs.length, wftProcessingMsPerNode: round(sum(tA.wftProcessingMs) / n, 3), wftDispatchMsPerNode: round(sum(tA.wftDispatchMs) / n, 3), activityDispatchP50Ms: round(percentileOf(tA.activityDispatchMs, 0.5), 2), historyEvents: tA.events },
        baseline: { workflowTasks: tB.wftLatencyMs.length, wftProcessingMsPerNode: round(sum(tB.wftProcessingMs) / n, 3), wftDispatchMsPerNode: round(sum(tB.wftDispatchMs) / n, 3), activityDispatchP50Ms: round(percentileOf(tB.activityDispatchMs, 0.5), 2), historyEvents: tB.events },
      };
      opts.log(`overhead ${c.shape.name} breakdown: ${JSON.stringify(breakdown)}`);
      const res = {
        breakdown,
        case: c.shape.name,
        nodes: n,
        parallelism: c.parallelism,
        repeats: reps,
        jobWallMs: spread(a),
        baselineWallMs: spread(b),
        jobPerNodeMs: spread(a.map((x) => x / n)),
        baselinePerNodeMs: spread(b.map((x) => x / n)),
        overheadPerNodeMs: spread(perNode),
        ratio,
        target: c.target ?? null,
        met: c.target === undefined ? null : ratio.median <= c.target,
      };
      results.push(res);
      rows.push([
        c.shape.name,
        fmtSpread(spread(a), 0),
        fmtSpread(spread(b), 0),
        fmtSpread(spread(a.map((x) => x / n)), 2),
        fmtSpread(spread(b.map((x) => x / n)), 2),
        fmtSpread(spread(perNode), 2),
        fmtSpread(ratio, 3),
        c.target === undefined ? '—' : `≤ ${c.target} ${res.met ? 'met' : 'MISSED'}`,
        `${breakdown.job.wftProcessingMsPerNode} / ${breakdown.baseline.wftProcessingMsPerNode}`,
      ]);
    }
  } finally {
    await w.stop();
    await t.teardown();
  }
  printTable(`Orchestration overhead (median (min–max) over ${reps} interleaved repeats)`, ['case', 'job wall ms', 'baseline wall ms', 'job ms/node', 'baseline ms/node', 'overhead ms/node', 'ratio job/baseline', 'target', 'WFT CPU ms/node job / base'], rows);
  const file = writeResult('overhead', { repeats: reps, cases: results }, opts.quick);
  opts.log(`wrote ${file}`);
  return { cases: results };
}
