// 1b) Step latency on the production path: the hop benchmark's subjects (bench/lib/hop-bench.ts:
// Trainyard's job workflow, the hand-written TS baselines, the Go SDK) against the temporal-server
// on PostgreSQL that `npm run prod:local` runs (mutual TLS, 4 history shards, the dynamic config in
// deploy/temporal/dynamicconfig.yaml), interleaved, read back from the histories and the server's
// Prometheus timers. Opt-in (`--only hop-prod`): it needs that topology up. The server re-reads its
// dynamic config every 10 s, so a setting can be A/B'd on one running server (bench/README.md §1b).
import os from 'node:os';
import { loadSettings } from '../deploy/prod-local/config';
import { readProdLocalState } from '../deploy/prod-local/state';
import { planTopology } from '../deploy/prod-local/topology';
import { compare, connectTarget, hopPartCells, type Comparison, type SubjectSpec } from './lib/hop-bench';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fmtSpread, round, spread } from './lib/stats';

const SUBJECTS: SubjectSpec[] = [
  { kind: 'trainyard', label: 'trainyard' },
  { kind: 'ts-baseline', label: 'ts-baseline', tuning: { sameQueue: true } },
  { kind: 'ts', label: 'ts', tuning: { sameQueue: true } },
  { kind: 'go', label: 'go', tuning: { sameQueue: true } },
];

export async function hopProd(opts: BenchOptions): Promise<Record<string, unknown>> {
  const settings = loadSettings();
  const state = readProdLocalState(settings.home);
  const topo = planTopology({ ...settings, buildId: state.buildId }, () => undefined);
  const chainNodes = opts.quick ? 30 : 100;
  const reps = opts.quick ? 1 : 3;
  const loadAtStart = os.loadavg()[0]!;
  const { ca, cert, key, serverName } = state.temporal.tls;
  const target = await connectTarget({
    address: state.temporal.address,
    namespace: state.temporal.namespace,
    label: 'temporal-server + PostgreSQL (prod:local)',
    serverMetricsUrl: `http://127.0.0.1:${topo.ports.metrics}/metrics`,
    tls: { caFile: ca, certFile: cert, keyFile: key, serverName },
  });
  let chainRows: Comparison[], fanRows: Comparison[];
  try {
    opts.log(`hop-prod: chain of ${chainNodes} on ${state.temporal.address}`);
    chainRows = await compare(target, SUBJECTS, { shape: 'chain', nodes: chainNodes }, { reps, log: opts.log });
    const fanNodes = opts.quick ? 100 : 500;
    fanRows = await compare(
      target,
      SUBJECTS,
      { shape: 'fanout', nodes: fanNodes, parallelism: 100 },
      { reps, log: opts.log },
    );
  } finally {
    await target.close();
  }
  const loadAtEnd = os.loadavg()[0]!;

  printTable(
    `Where a dependent hop goes on temporal-server + PostgreSQL (ms, medians; chain of ${chainNodes} × ${reps}; load ${round(loadAtStart, 1)} → ${round(loadAtEnd, 1)})`,
    ['subject', 'gap', 'wft queue', 'wft run', 'act queue', 'act run', 'hop', 'ms/node'],
    chainRows.map((c) => [c.label, ...hopPartCells(c), c.skipped ? '' : fmtSpread(spread(c.perNodeMs), 1)]),
  );
  printTable(
    `Fan-out at parallelism 100 on temporal-server + PostgreSQL (ms/node over ${reps})`,
    ['subject', 'ms/node', 'head ms', 'tail ms'],
    fanRows.map((c) => [
      c.label,
      c.skipped ? `skipped: ${c.skipped}` : fmtSpread(spread(c.perNodeMs), 2),
      round(c.headMs, 0),
      round(c.tailMs, 0),
    ]),
  );
  const file = writeResult(
    'hop-prod',
    { repeats: reps, server: target.label, address: state.temporal.address, chain: chainRows, fanOut: fanRows },
    opts.quick,
  );
  opts.log(`wrote ${file}`);
  return {};
}
