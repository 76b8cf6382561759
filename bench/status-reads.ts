// 4) Status reads: GET /v1/jobs/:id (progress query + describe + live heartbeat details) with 50
// concurrent readers spread across 100 running jobs, each holding one heartbeating step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { benchConfig, http, startBenchApi } from './lib/api';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { chain, specOf } from './lib/specs';
import { latency, nowMs, pool, round } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import { holdStep } from './noop-activities';

const JOBS = 100;
const READERS = 50;

export async function statusReads(opts: BenchOptions): Promise<Record<string, unknown>> {
  const reads = opts.quick ? 1000 : 5000;
  const t = await startBenchTemporal();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-reads-'));
  const prefix = `reads-${randomUUID().slice(0, 8)}`;
  const config = benchConfig(home, prefix);
  const w = await startBenchWorkers(t, { command: holdStep }, { prefix, activityConcurrency: JOBS + 10 });
  const api = await startBenchApi(t.client, config);
  const ids: string[] = [];
  const ms: number[] = [];
  const statuses: Record<string, number> = {};
  let wall = 0;
  try {
    // A 3-node chain whose first node holds: the job is running with one live node.
    const spec = specOf(chain(3), 4);
    await pool(Array.from({ length: JOBS }), 16, async () => {
      const r = await http<{ id: string }>(api.url, 'POST', '/v1/jobs', spec);
      if (r.status !== 201) throw new Error(`submit answered ${r.status}: ${JSON.stringify(r.body)}`);
      ids.push(r.body.id);
    });
    opts.log(`status-reads: ${JOBS} jobs submitted; waiting until each has a heartbeating node`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const live = await pool(ids, 16, async (id) => {
        const r = await http<{ status: string; nodes: { status: string; live?: unknown }[] }>(
          api.url,
          'GET',
          `/v1/jobs/${id}`,
        );
        return (
          r.status === 200 && r.body.status === 'running' && r.body.nodes.some((n) => n.status === 'running' && n.live)
        );
      });
      const n = live.filter(Boolean).length;
      if (n === JOBS) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${JOBS} jobs running with live progress after 120 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Warm-up, then the measured reads.
    await pool(ids.slice(0, READERS), READERS, (id) => http(api.url, 'GET', `/v1/jobs/${id}`));
    const t0 = nowMs();
    await pool(
      Array.from({ length: reads }, (_, i) => ids[(i * 37) % JOBS]!),
      READERS,
      async (id) => {
        const r = await http(api.url, 'GET', `/v1/jobs/${id}`);
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        ms.push(r.ms);
      },
    );
    wall = nowMs() - t0;
  } finally {
    await Promise.all(
      ids.map((id) =>
        t.client.workflow
          .getHandle(id)
          .terminate('benchmark over')
          .catch(() => undefined),
      ),
    );
    await api.close();
    await w.stop();
    await t.teardown();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const lat = latency(ms);
  const result = {
    jobs: JOBS,
    readers: READERS,
    reads,
    readsPerSecond: round(reads / (wall / 1000), 1),
    latencyMs: lat,
    statuses,
  };
  printTable(
    `Status reads: GET /v1/jobs/:id, ${READERS} concurrent readers across ${JOBS} running jobs, ${reads} reads`,
    ['reads/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'HTTP statuses'],
    [[result.readsPerSecond, lat.p50, lat.p90, lat.p99, lat.max, JSON.stringify(statuses)]],
  );
  const file = writeResult('status-reads', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
