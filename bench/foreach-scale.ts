// Foreach at scale (issue 17 Performance): a `foreach` of N no-op items — a `list` step returns the
// N items at run time, the map expands into in-run item nodes — against a static DAG of N no-op
// nodes of the same shape (one root, N − 1 leaves below it: a job has at most 10,000 nodes), same
// parallelism, same worker, same dev server, interleaved (static, foreach, foreach, static in the quick run; one of each at 10,000). Per item
// (per node) wall time, the ratio, history events per run and continue-as-new counts of each.
import { randomUUID } from 'node:crypto';
import type { JobSpecInput } from '../src/domain/job-spec';
import type { StepInput, StepOutput } from '../src/domain/step-io';
import { chainFigures, runJob } from './lib/jobs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fanOut, specOf } from './lib/specs';
import { latency, median, nowMs, round, spread, type Spread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';

const PARALLELISM = 100;
/** Temporal's hard limit is 51,200 events; Trainyard's budget per run (what the issue asks to stay under). */
const HISTORY_BUDGET = 10_240;
const TARGET_RATIO = 1.2;

type Kind = 'static' | 'foreach';

/** The no-op step, except that the foreach's `list` node returns the items (as a command step's `result`). */
function benchStep(items: number) {
  const list = Array.from({ length: items }, (_, i) => i);
  return async (input: StepInput): Promise<StepOutput> =>
    input.nodeId === 'list' ? { summary: { result: { items: list } }, artifacts: [] } : { summary: {}, artifacts: [] };
}

/** The foreach job: list → work (foreach over list.result.items, N items), nothing else. */
function foreachSpec(items: number): JobSpecInput {
  return {
    name: `bench foreach-${items}`,
    parallelism: PARALLELISM,
    recoveryWindow: 0,
    nodes: [
      { id: 'list', type: 'command', config: { command: ['node', '--version'] } },
      {
        id: 'work',
        type: 'command',
        dependsOn: ['list'],
        config: { command: ['node', '--version'] },
        foreach: { node: 'list', field: 'result.items' },
      },
    ],
  };
}

interface Sample {
  kind: Kind;
  /** Items of the map, or nodes of the static DAG. */
  units: number;
  wallMs: number;
  perUnitMs: number;
  runs: number;
  continueAsNew: number;
  historyEventsPerRun: number[];
  maxHistoryEvents: number;
  wftLatencyMs: ReturnType<typeof latency>;
  activityDispatchMs: ReturnType<typeof latency>;
}

export async function foreachScale(opts: BenchOptions): Promise<Record<string, unknown>> {
  const n = opts.quick ? 1000 : 10_000;
  // ABBA in the quick run; one of each at 10,000 (a 10,000-node run takes 5–10 minutes when the 2 cores are shared).
  const order: Kind[] = opts.quick ? ['static', 'foreach', 'foreach', 'static'] : ['static', 'foreach'];
  const t = await startBenchTemporal();
  const prefix = `fe-${randomUUID().slice(0, 8)}`;
  const w = await startBenchWorkers(t, { command: benchStep(n) }, { prefix, activityConcurrency: PARALLELISM });
  const samples: Sample[] = [];
  try {
    opts.log('foreach-scale: warm-up');
    await runJob(
      t.client,
      `fe-warm-s-${randomUUID()}`,
      specOf(fanOut(200), PARALLELISM, {}, { retryOnce: false }),
      prefix,
    );
    for (const kind of order) {
      const id = `fe-${kind}-${n}-${randomUUID()}`;
      const spec = kind === 'static' ? specOf(fanOut(n), PARALLELISM, {}, { retryOnce: false }) : foreachSpec(n);
      global.gc?.();
      const t0 = nowMs();
      const progress = await runJob(t.client, id, spec, prefix);
      const wall = nowMs() - t0;
      if (progress.status !== 'completed') throw new Error(`foreach-scale ${kind}: job ended ${progress.status}`);
      // The result of a large job leaves its node list out; the counts are always there.
      const ran = progress.counts.completed;
      // static: n nodes; foreach: list + the map node + n items.
      const expected = kind === 'static' ? n : n + 2;
      if (ran !== expected) throw new Error(`foreach-scale ${kind}: ${ran} nodes completed, expected ${expected}`);
      const { timings, ...chain } = await chainFigures(t.client, id);
      const sample: Sample = {
        kind,
        units: n,
        wallMs: round(wall),
        perUnitMs: round(wall / n, 3),
        ...chain,
        wftLatencyMs: latency(timings.wftLatencyMs),
        activityDispatchMs: latency(timings.activityDispatchMs),
      };
      opts.log(
        `foreach-scale ${kind} ${n}: ${round(wall / 1000, 1)} s, ${sample.perUnitMs} ms/item, ${chain.runs} run(s), max ${sample.maxHistoryEvents} events/run`,
      );
      samples.push(sample);
    }
  } finally {
    await w.stop();
    await t.teardown();
  }
  const of = (k: Kind) => samples.filter((s) => s.kind === k);
  const summary = (k: Kind) => {
    const ss = of(k);
    return {
      perUnitMs: spread(ss.map((s) => s.perUnitMs)),
      continueAsNew: median(ss.map((s) => s.continueAsNew)),
      maxHistoryEvents: Math.max(...ss.map((s) => s.maxHistoryEvents)),
      historyEventsPerRun: ss[ss.length - 1]!.historyEventsPerRun,
      wftLatencyP50Ms: median(ss.map((s) => s.wftLatencyMs.p50)),
      wftLatencyP99Ms: median(ss.map((s) => s.wftLatencyMs.p99)),
    };
  };
  const st = summary('static');
  const fe = summary('foreach');
  const ratio = round(fe.perUnitMs.median / st.perUnitMs.median, 3);
  const target = {
    rule: `foreach per-item time ≤ ${TARGET_RATIO}× the static DAG's per-node time; every run under ${HISTORY_BUDGET} events`,
    ratio,
    ratioMet: ratio <= TARGET_RATIO,
    historyMet: Math.max(st.maxHistoryEvents, fe.maxHistoryEvents) < HISTORY_BUDGET,
  };
  const fmt = (s: Spread) => `${round(s.median, 2)} (${round(s.min, 2)}–${round(s.max, 2)})`;
  const row = (label: string, s: typeof st, r: number | string) => [
    label,
    fmt(s.perUnitMs),
    r,
    s.continueAsNew,
    s.maxHistoryEvents,
    `${round(s.wftLatencyP50Ms, 1)} / ${round(s.wftLatencyP99Ms, 1)}`,
  ];
  printTable(
    `Foreach scale: ${n}-item foreach vs ${n}-node static DAG (1 root + ${n - 1} leaves), no-op steps, parallelism ${PARALLELISM}; median (min–max) of ${of('static').length} interleaved runs each — ratio ${ratio}× (target ≤ ${TARGET_RATIO}: ${target.ratioMet ? 'met' : 'MISSED'}), history ${target.historyMet ? 'within' : 'OVER'} ${HISTORY_BUDGET}`,
    ['', 'ms/item (ms/node)', '× static', 'continue-as-new', 'max events/run', 'WFT latency p50/p99 ms'],
    [row('static DAG', st, 1), row('foreach', fe, ratio)],
  );
  const file = writeResult(
    'foreach-scale',
    {
      items: n,
      parallelism: PARALLELISM,
      historyBudget: HISTORY_BUDGET,
      order,
      target,
      static: st,
      foreach: fe,
      samples,
    },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return { target, static: st, foreach: fe };
}
