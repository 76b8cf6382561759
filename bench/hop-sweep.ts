// What changes a dependent hop, and what does not: the same chain of no-op steps under server
// settings (one dev server per row group) and worker settings (one server, many subjects), each
// row split into its parts from the histories. `npm run bench -- --only hop-sweep` (~15 min on
// 2 busy cores; not part of the default run). Findings are written up in bench/README.md.
import os from 'node:os';
import path from 'node:path';
import { BASE_DYNAMIC_CONFIG, DEFAULT_SQLITE_PRAGMAS } from '../src/temporal/dev-server';
import { compare, startDevTarget, type Comparison, type SubjectSpec } from './lib/hop-bench';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { round } from './lib/stats';

/** The server's own defaults for what Trainyard's dev server overrides (server 1.31.2). */
const STOCK = {
  'matching.numTaskqueueReadPartitions': 4,
  'matching.numTaskqueueWritePartitions': 4,
  'matching.enableFairness': false,
  'history.transferProcessorMaxPollRPS': 20,
  'system.enableActivityEagerExecution': false,
};
/** The dev server as Trainyard runs it (src/temporal/dev-server.ts BASE_DYNAMIC_CONFIG). */
const TRAINYARD = { ...BASE_DYNAMIC_CONFIG };
/** Trainyard's settings before the transfer-queue and eager-dispatch changes. */
const BEFORE = {
  ...TRAINYARD,
  'history.transferProcessorMaxPollRPS': 20,
  'system.enableActivityEagerExecution': false,
};

const TS_EAGER: SubjectSpec = { kind: 'ts', label: 'ts', tuning: { sameQueue: true } };
const GO_EAGER: SubjectSpec = { kind: 'go', label: 'go', tuning: { sameQueue: true } };
const TRAINYARD_SUBJECT: SubjectSpec = { kind: 'trainyard', label: 'trainyard' };
const CORE = [TRAINYARD_SUBJECT, TS_EAGER, GO_EAGER];

interface Group {
  name: string;
  server: Record<string, unknown>;
  /** Run on a SQLite file with these pragmas instead of in-memory. */
  dbFile?: Record<string, string>;
  subjects: SubjectSpec[];
}

function groups(quick: boolean): Group[] {
  const serverRows: Group[] = [
    {
      name: 'stock dev server (4 partitions, no fairness, transfer reads ≤ 20/s, no eager)',
      server: STOCK,
      subjects: CORE,
    },
    {
      name: 'Trainyard before (1 partition, fairness, transfer reads ≤ 20/s, no eager)',
      server: BEFORE,
      subjects: CORE,
    },
    {
      name: 'transfer reads ≤ 10/s',
      server: { ...BEFORE, 'history.transferProcessorMaxPollRPS': 10 },
      subjects: [GO_EAGER],
    },
    {
      name: 'transfer reads ≤ 40/s',
      server: { ...BEFORE, 'history.transferProcessorMaxPollRPS': 40 },
      subjects: [GO_EAGER],
    },
    {
      name: 'transfer reads ≤ 10,000/s, no eager',
      server: { ...TRAINYARD, 'system.enableActivityEagerExecution': false },
      subjects: CORE,
    },
    { name: 'Trainyard now (transfer reads ≤ 10,000/s + eager activities)', server: TRAINYARD, subjects: CORE },
    { name: 'now, fairness off', server: { ...TRAINYARD, 'matching.enableFairness': false }, subjects: CORE },
    {
      name: 'now, 4 task-queue partitions',
      server: {
        ...TRAINYARD,
        'matching.numTaskqueueReadPartitions': 4,
        'matching.numTaskqueueWritePartitions': 4,
      },
      subjects: CORE,
    },
    {
      name: 'now, classic matcher (useNewMatcher=false, no fairness)',
      server: { ...TRAINYARD, 'matching.useNewMatcher': false, 'matching.enableFairness': false },
      subjects: CORE,
    },
    {
      name: 'now, SQLite file with SQLite defaults (rollback journal, synchronous=FULL)',
      server: TRAINYARD,
      dbFile: { journal_mode: 'DELETE', synchronous: 'FULL' },
      subjects: CORE,
    },
    {
      name: 'now, SQLite file with WAL + synchronous=NORMAL (Trainyard default)',
      server: TRAINYARD,
      dbFile: DEFAULT_SQLITE_PRAGMAS,
      subjects: CORE,
    },
  ];
  const workerRows: Group = {
    name: 'worker settings (server: Trainyard now)',
    server: TRAINYARD,
    subjects: [
      TRAINYARD_SUBJECT,
      { kind: 'trainyard', label: 'trainyard, step heartbeats once', tuning: { stepHeartbeats: true } },
      { kind: 'trainyard', label: 'trainyard, eager workflow start', tuning: { eagerStart: true } },
      { kind: 'trainyard', label: 'trainyard, maxCachedWorkflows 0', tuning: { maxCachedWorkflows: 0 } },
      { kind: 'ts-baseline', label: 'ts-baseline (Trainyard activity options)', tuning: { sameQueue: true } },
      TS_EAGER,
      { kind: 'ts', label: 'ts, steps on another queue (no eager)' },
      {
        kind: 'ts',
        label: 'ts, maxCachedWorkflows 0 (no sticky queue)',
        tuning: { sameQueue: true, maxCachedWorkflows: 0 },
      },
      {
        kind: 'ts',
        label: 'ts, 2 workflow pollers (the least with a sticky queue)',
        tuning: { sameQueue: true, workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 2 } },
      },
      {
        kind: 'ts',
        label: 'ts, poller autoscaling',
        tuning: {
          sameQueue: true,
          workflowTaskPollerBehavior: { type: 'autoscaling' },
          activityTaskPollerBehavior: { type: 'autoscaling' },
        },
      },
      {
        kind: 'ts',
        label: 'ts, sticky timeout 1 s',
        tuning: { sameQueue: true, stickyQueueScheduleToStartTimeout: '1s' },
      },
      { kind: 'ts', label: 'ts, eager workflow start', tuning: { sameQueue: true, eagerStart: true } },
      { kind: 'ts', label: 'ts, local activities', tuning: { local: true } },
      GO_EAGER,
      { kind: 'go', label: 'go, no eager' },
      { kind: 'go', label: 'go, poller autoscaling', tuning: { sameQueue: true, go: { autoscale: true } } },
      { kind: 'go', label: 'go, no sticky cache', tuning: { sameQueue: true, maxCachedWorkflows: 0 } },
      { kind: 'go', label: 'go, local activities', tuning: { local: true } },
    ],
  };
  return quick ? [serverRows[1]!, serverRows[5]!] : [...serverRows, workerRows];
}

export async function hopSweep(opts: BenchOptions): Promise<Record<string, unknown>> {
  const nodes = opts.quick ? 30 : 60;
  const reps = opts.quick ? 1 : 2;
  const results: {
    group: string;
    server: Record<string, unknown>;
    sqlite: Record<string, string> | 'memory';
    rows: Comparison[];
  }[] = [];
  const rows: (string | number)[][] = [];
  for (const g of groups(opts.quick)) {
    opts.log(`hop-sweep: ${g.name}`);
    const target = await startDevTarget({
      label: g.name,
      server: {
        dynamicConfig: g.server,
        ...(g.dbFile && {
          dbFile: path.join(os.tmpdir(), `trainyard-hop-${process.pid}-${Date.now()}.db`),
          sqlitePragmas: g.dbFile,
        }),
      },
    });
    let res: Comparison[];
    try {
      res = await compare(target, g.subjects, { shape: 'chain', nodes }, { reps });
    } finally {
      await target.close();
    }
    results.push({ group: g.name, server: g.server, sqlite: g.dbFile ?? 'memory', rows: res });
    for (const c of res) {
      const p = c.parts;
      rows.push([
        g.name,
        c.label,
        c.skipped ? `skipped: ${c.skipped}` : round(p.gap, 1),
        round(p.wftQueue, 1),
        round(p.wftRun, 1),
        round(p.actQueue, 1),
        round(p.actRun, 1),
        round(p.hop, 1),
        round(c.headMs, 0),
        c.perNodeMs.length ? round(c.perNodeMs.reduce((a, b) => a + b, 0) / c.perNodeMs.length, 1) : '—',
      ]);
    }
  }
  printTable(
    `Hop sweep: chain of ${nodes} no-op steps, ${reps} interleaved repeat(s); medians in ms (load ${os.loadavg()[0]!.toFixed(1)})`,
    ['server', 'subject', 'gap', 'wft queue', 'wft run', 'act queue', 'act run', 'hop', 'head', 'ms/node'],
    rows,
  );
  const file = writeResult('hop-sweep', { nodes, repeats: reps, groups: results }, opts.quick);
  opts.log(`wrote ${file}`);
  return { groups: results };
}
