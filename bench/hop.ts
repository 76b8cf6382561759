// 1) Step latency and orchestration overhead: Trainyard's job workflow next to the same work written
// by hand in TypeScript (with Trainyard's activity options, and with the fewest options) and in Go,
// on one dev server with Trainyard's settings, interleaved. Figures and targets (issue 19):
//   - gap: a node's end → its child's start (median) ≤ 10 ms, or within 1.2× of the Go SDK's;
//   - 200-node chain: Trainyard's per-node cost ≤ 1.1× the best TS baseline's;
//   - 1 → 1,000 fan-out at parallelism 100: ≤ 1.15× the best TS baseline's;
// plus the stock dev server's hop (what every SDK paid before: ~100 ms) and a 20×20 lattice.
// The same library (bench/lib/hop-bench.ts) runs against temporal-server + PostgreSQL.
import os from 'node:os';
import { BASE_DYNAMIC_CONFIG } from '../src/temporal/dev-server';
import { compare, hopPartCells, startDevTarget, type Comparison, type SubjectSpec } from './lib/hop-bench';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fmtSpread, round, spread } from './lib/stats';

const NO_STACK_TS = 'ts-no-stack-traces';

const SUBJECTS: SubjectSpec[] = [
  { kind: 'trainyard', label: 'trainyard' },
  { kind: 'ts-baseline', label: 'ts-baseline', tuning: { sameQueue: true } },
  { kind: 'ts', label: 'ts', tuning: { sameQueue: true } },
  { kind: 'go', label: 'go', tuning: { sameQueue: true } },
  // The minimal TS workflow with the one worker setting Trainyard changes that a hand-written
  // workflow could change too (the SDK's stack-trace hook off, workers/workflow-stack-traces.ts):
  // reported beside the targets, which are judged against the baselines as the SDK ships them.
  { kind: 'ts', label: NO_STACK_TS, tuning: { sameQueue: true, workflowStackTraces: false } },
];

const TARGETS = { gapMs: 10, gapVsGo: 1.2, chain: 1.1, fanOut: 1.15 };

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function hop(opts: BenchOptions): Promise<Record<string, unknown>> {
  const chainNodes = opts.quick ? 50 : 200;
  const fanNodes = opts.quick ? 200 : 1000;
  // 5 interleaved repeats: a run's ms/node moves ±15 % on this 2-core host.
  const reps = opts.quick ? 2 : 5;
  const loadAtStart = os.loadavg()[0]!;

  // The stock dev server (no Trainyard settings): Go and TS, a short chain.
  opts.log('hop: stock dev server');
  const stock = await startDevTarget({
    label: 'stock dev server',
    server: {
      dynamicConfig: {
        'matching.numTaskqueueReadPartitions': 4,
        'matching.numTaskqueueWritePartitions': 4,
        'matching.enableFairness': false,
        'history.transferProcessorMaxPollRPS': 20,
        'history.timerProcessorMaxPollRPS': 20,
        'history.visibilityProcessorMaxPollRPS': 20,
        'system.enableActivityEagerExecution': false,
      },
    },
  });
  let stockRows: Comparison[];
  try {
    stockRows = await compare(
      stock,
      SUBJECTS.filter((x) => x.label !== NO_STACK_TS),
      { shape: 'chain', nodes: opts.quick ? 30 : 60 },
      { reps: 1 },
    );
  } finally {
    await stock.close();
  }

  opts.log('hop: Trainyard dev server');
  const t = await startDevTarget({ label: 'Trainyard dev server', server: { dynamicConfig: {} } });
  let chainRows: Comparison[], fanRows: Comparison[], latticeRows: Comparison[];
  try {
    chainRows = await compare(t, SUBJECTS, { shape: 'chain', nodes: chainNodes }, { reps, log: opts.log });
    fanRows = await compare(
      t,
      SUBJECTS,
      { shape: 'fanout', nodes: fanNodes, parallelism: 100 },
      { reps, log: opts.log },
    );
    latticeRows = await compare(
      t,
      SUBJECTS.filter((s) => s.kind === 'trainyard' || s.kind === 'ts-baseline'),
      { shape: 'lattice', rows: opts.quick ? 10 : 20, cols: opts.quick ? 10 : 20 },
      { reps: opts.quick ? 1 : 2, log: opts.log },
    );
  } finally {
    await t.close();
  }

  const by = (rows: Comparison[], kind: string) => rows.find((r) => r.kind === kind && !r.skipped);
  const bestTs = (rows: Comparison[]) =>
    rows
      .filter((r) => (r.kind === 'ts' || r.kind === 'ts-baseline') && r.label !== NO_STACK_TS && !r.skipped)
      .sort((a, b) => mean(a.perNodeMs) - mean(b.perNodeMs))[0]!;
  const ty = by(chainRows, 'trainyard')!;
  const go = by(chainRows, 'go');
  const gapTarget = Math.max(TARGETS.gapMs, go ? TARGETS.gapVsGo * go.parts.gap : TARGETS.gapMs);
  const chainBest = bestTs(chainRows);
  const fanBest = bestTs(fanRows);
  const tyFan = by(fanRows, 'trainyard')!;
  const chainRatio = spread(ty.perNodeMs.map((x, i) => x / chainBest.perNodeMs[i]!));
  const fanRatio = spread(tyFan.perNodeMs.map((x, i) => x / fanBest.perNodeMs[i]!));
  const fanBaseline = by(fanRows, 'ts-baseline')!;
  const fanVsBaseline = spread(tyFan.perNodeMs.map((x, i) => x / fanBaseline.perNodeMs[i]!));
  const noStack = (rows: Comparison[]) => rows.find((r) => r.label === NO_STACK_TS && !r.skipped)!;
  const chainNoStack = spread(ty.perNodeMs.map((x, i) => x / noStack(chainRows).perNodeMs[i]!));
  const fanNoStack = spread(tyFan.perNodeMs.map((x, i) => x / noStack(fanRows).perNodeMs[i]!));
  const latTy = by(latticeRows, 'trainyard')!;
  const latBase = by(latticeRows, 'ts-baseline')!;
  const latRatio = spread(latTy.perNodeMs.map((x, i) => x / latBase.perNodeMs[i]!));

  const partsRow = (label: string, c: Comparison): (string | number)[] => [
    label,
    c.label,
    ...hopPartCells(c),
    ...(c.skipped ? ['', ''] : [round(c.headMs, 0), fmtSpread(spread(c.perNodeMs), 1)]),
  ];
  printTable(
    `Where a dependent hop goes (ms, medians; chain of ${chainNodes} no-op steps × ${reps}; load ${loadAtStart.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)})`,
    ['server', 'subject', 'gap', 'wft queue', 'wft run', 'act queue', 'act run', 'hop', 'head', 'ms/node'],
    [...stockRows.map((c) => partsRow('stock', c)), ...chainRows.map((c) => partsRow('trainyard', c))],
  );
  const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
  const figures = [
    {
      figure: 'gap: node end → child start (median)',
      value: `${round(ty.parts.gap, 1)} ms (Go ${go ? round(go.parts.gap, 1) : '—'} ms, TS ${round(by(chainRows, 'ts')?.parts.gap ?? NaN, 1)} ms)`,
      ratio: go ? round(ty.parts.gap / go.parts.gap, 2) : NaN,
      target: `≤ ${TARGETS.gapMs} ms or ≤ ${TARGETS.gapVsGo}× Go (${round(gapTarget, 1)} ms)`,
      met: ty.parts.gap <= gapTarget,
    },
    {
      figure: `chain of ${chainNodes}: ms/node, trainyard / best TS baseline (${chainBest.label})`,
      value: `${round(mean(ty.perNodeMs), 2)} / ${round(mean(chainBest.perNodeMs), 2)}`,
      ratio: round(chainRatio.median, 3),
      target: `≤ ${TARGETS.chain}`,
      met: chainRatio.median <= TARGETS.chain,
    },
    {
      figure: `fan-out 1 → ${fanNodes - 1} (parallelism 100): ms/node, trainyard / best TS baseline (${fanBest.label})`,
      value: `${round(mean(tyFan.perNodeMs), 2)} / ${round(mean(fanBest.perNodeMs), 2)}`,
      ratio: round(fanRatio.median, 3),
      target: `≤ ${TARGETS.fanOut}`,
      met: fanRatio.median <= TARGETS.fanOut,
    },
    {
      // The "the baseline": the hand-written TS workflow with Trainyard's activity options.
      figure: `fan-out 1 → ${fanNodes - 1}: trainyard / ts-baseline (hand-written, Trainyard's options)`,
      value: `${round(mean(tyFan.perNodeMs), 2)} / ${round(mean(fanBaseline.perNodeMs), 2)}`,
      ratio: round(fanVsBaseline.median, 3),
      target: '—',
      met: null,
    },
    {
      figure: `chain of ${chainNodes}: trainyard / minimal TS without stack traces (as Trainyard runs)`,
      value: `${round(mean(ty.perNodeMs), 2)} / ${round(mean(noStack(chainRows).perNodeMs), 2)}`,
      ratio: round(chainNoStack.median, 3),
      target: '—',
      met: null,
    },
    {
      figure: `fan-out 1 → ${fanNodes - 1}: trainyard / minimal TS without stack traces`,
      value: `${round(mean(tyFan.perNodeMs), 2)} / ${round(mean(noStack(fanRows).perNodeMs), 2)}`,
      ratio: round(fanNoStack.median, 3),
      target: '—',
      met: null,
    },
    {
      figure: 'lattice: ms/node, trainyard / ts-baseline',
      value: `${round(mean(latTy.perNodeMs), 2)} / ${round(mean(latBase.perNodeMs), 2)}`,
      ratio: round(latRatio.median, 3),
      target: '—',
      met: null,
    },
    {
      figure: 'stock dev server: Go hop (before: every SDK paid this)',
      value: `${round(by(stockRows, 'go')?.parts.hop ?? NaN, 1)} ms`,
      ratio: NaN,
      target: '—',
      met: null,
    },
  ];
  printTable(
    'Step latency figures',
    ['figure', 'value', 'ratio', 'target', ''],
    figures.map((f) => [
      f.figure,
      f.value,
      Number.isNaN(f.ratio) ? '—' : f.ratio,
      f.target,
      f.met === null ? '' : met(f.met),
    ]),
  );
  printTable(
    `Fan-out 1 → ${fanNodes - 1} at parallelism 100 (ms/node, median (min–max) over ${reps})`,
    ['subject', 'ms/node', 'head ms', 'tail ms', 'max run events'],
    fanRows.map((c) => [
      c.label,
      c.skipped ? `skipped: ${c.skipped}` : fmtSpread(spread(c.perNodeMs), 2),
      round(c.headMs, 0),
      round(c.tailMs, 0),
      c.maxRunEvents,
    ]),
  );
  const file = writeResult(
    'hop',
    {
      repeats: reps,
      serverDynamicConfig: BASE_DYNAMIC_CONFIG,
      targets: TARGETS,
      figures,
      stock: stockRows,
      chain: chainRows,
      fanOut: fanRows,
      lattice: latticeRows,
    },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return { figures };
}
