// 3) Scale: layered DAGs of 1,000 / 5,000 / 10,000 no-op nodes through the job workflow: wall time
// per node, history events per run, continue-as-new count, worker RSS, workflow-task latency.
import { randomUUID } from 'node:crypto';
import { chainFigures, runJob } from './lib/jobs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { layered, specOf } from './lib/specs';
import { latency, median, nowMs, round, spread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import { noopStep } from './noop-activities';

const WIDTH = 100;
const PARALLELISM = 100;

export async function scale(opts: BenchOptions): Promise<Record<string, unknown>> {
  const sizes = opts.quick ? [1000, 2000] : [1000, 5000, 10_000];
  const reps = 2;
  // Interleaved: small, …, large, large, …, small.
  const order = [...sizes, ...[...sizes].reverse()].slice(0, sizes.length * reps);
  const t = await startBenchTemporal();
  const prefix = `scale-${randomUUID().slice(0, 8)}`;
  const w = await startBenchWorkers(t, { command: noopStep }, { prefix, activityConcurrency: PARALLELISM });
  const samples = new Map<number, Record<string, unknown>[]>();
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
      const progress = await runJob(t.client, id, spec, prefix);
      const wall = nowMs() - t0;
      clearInterval(sampler);
      if (progress.status !== 'completed') throw new Error(`scale ${n}: job ended ${progress.status}`);
      const { timings, ...chain } = await chainFigures(t.client, id);
      const sample = {
        nodes: n,
        wallMs: round(wall),
        perNodeMs: round(wall / n, 3),
        ...chain,
        rssBeforeMiB: round(rssBefore / 2 ** 20, 0),
        rssPeakMiB: round(rssPeak / 2 ** 20, 0),
        wftLatencyMs: latency(timings.wftLatencyMs),
        wftProcessingMs: latency(timings.wftProcessingMs),
        workflowTasks: timings.wftLatencyMs.length,
      };
      opts.log(
        `scale ${n}: ${round(wall / 1000, 1)} s, ${sample.perNodeMs} ms/node, ${chain.runs} run(s), peak RSS ${sample.rssPeakMiB} MiB, WFT p50 ${sample.wftLatencyMs.p50} ms p99 ${sample.wftLatencyMs.p99} ms`,
      );
      samples.set(n, [...(samples.get(n) ?? []), sample]);
    }
  } finally {
    await w.stop();
    await t.teardown();
  }
  const per1k = median((samples.get(sizes[0]!) ?? []).map((s) => s.perNodeMs as number));
  const rows: (string | number)[][] = [];
  const summary = sizes.map((n) => {
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
      row.rssPeakMiB,
      `${round(row.wftLatencyP50Ms, 1)} / ${round(row.wftLatencyP99Ms, 1)}`,
      round(row.wftProcessingP50Ms, 1),
    ]);
    return row;
  });
  const largest = summary[summary.length - 1]!;
  const target = {
    rule: `per-node time at ${sizes[sizes.length - 1]} ≤ 1.5× that at ${sizes[0]}`,
    ratio: largest.vsSmallest,
    met: largest.vsSmallest <= 1.5,
  };
  printTable(
    `Scale: layered DAG (width ${WIDTH}, 2 deps/node), parallelism ${PARALLELISM}; median (min–max) over ${reps} interleaved runs — target ${target.met ? 'met' : 'MISSED'} (${target.ratio}×)`,
    [
      'nodes',
      'ms/node',
      '× smallest',
      'continue-as-new',
      'max events/run',
      'peak RSS MiB',
      'WFT latency p50/p99 ms',
      'WFT processing p50 ms',
    ],
    rows,
  );
  const file = writeResult(
    'scale',
    { width: WIDTH, parallelism: PARALLELISM, repeats: reps, target, summary, samples: Object.fromEntries(samples) },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return { summary, target };
}
