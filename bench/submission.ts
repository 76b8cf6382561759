// 2) Submission: jobs through POST /v1/jobs (validation, auth, snapshot, start) at concurrency 32
// vs raw client.workflow.start of the same workflow type and arguments (startJobWorkflow), in
// interleaved rounds. No workers run: this measures accepting jobs, not running them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startJobWorkflow } from '../src/job-service/submission';
import { benchConfig, http, startBenchApi } from './lib/api';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { chain, snapshotOf, specOf } from './lib/specs';
import { latency, nowMs, pool, round, spread } from './lib/stats';
import { startBenchTemporal } from './lib/temporal';

const CONCURRENCY = 32;

export async function submission(opts: BenchOptions): Promise<Record<string, unknown>> {
  const total = opts.quick ? 400 : 2000;
  const rounds = opts.quick ? 4 : 10;
  const perRound = total / rounds;
  const t = await startBenchTemporal();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-sub-'));
  const prefix = `sub-${randomUUID().slice(0, 8)}`;
  const config = benchConfig(home, prefix);
  const api = await startBenchApi(t.client, config);
  // A typical small job: a 3-node chain.
  const spec = specOf(chain(3), 4);
  const apiMs: number[] = [];
  const rawMs: number[] = [];
  const apiRate: number[] = [];
  const rawRate: number[] = [];
  const ratios: number[] = [];
  let errors = 0;
  try {
    // Warm-up both paths (connections, JIT).
    await pool(Array.from({ length: 64 }), CONCURRENCY, () => http(api.url, 'POST', '/v1/jobs', spec));
    await pool(Array.from({ length: 64 }), CONCURRENCY, () =>
      startJobWorkflow(t.client, snapshotOf(`job-${randomUUID()}`, spec, prefix)),
    );
    const viaApi = async (): Promise<number> => {
      const t0 = nowMs();
      await pool(Array.from({ length: perRound }), CONCURRENCY, async () => {
        const r = await http(api.url, 'POST', '/v1/jobs', spec);
        if (r.status !== 201 && errors++ === 0)
          opts.log(`submission: POST /v1/jobs answered ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
        apiMs.push(r.ms);
      });
      return perRound / ((nowMs() - t0) / 1000);
    };
    const raw = async (): Promise<number> => {
      const t0 = nowMs();
      await pool(Array.from({ length: perRound }), CONCURRENCY, async () => {
        const s = nowMs();
        await startJobWorkflow(t.client, snapshotOf(`job-${randomUUID()}`, spec, prefix));
        rawMs.push(nowMs() - s);
      });
      return perRound / ((nowMs() - t0) / 1000);
    };
    for (let r = 0; r < rounds; r++) {
      let a: number, b: number;
      if (r % 2 === 0) {
        a = await viaApi();
        b = await raw();
      } else {
        b = await raw();
        a = await viaApi();
      }
      apiRate.push(a);
      rawRate.push(b);
      ratios.push(a / b);
      opts.log(
        `submission round ${r + 1}/${rounds}: API ${round(a, 1)}/s, raw ${round(b, 1)}/s, ratio ${round(a / b, 3)}`,
      );
    }
  } finally {
    await api.close();
    await t.teardown();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const ratio = spread(ratios);
  const result = {
    jobsEach: total,
    concurrency: CONCURRENCY,
    rounds,
    nodesPerJob: 3,
    apiPerSecond: spread(apiRate),
    rawPerSecond: spread(rawRate),
    ratio,
    target: 0.8,
    met: ratio.median >= 0.8,
    apiLatencyMs: latency(apiMs),
    rawLatencyMs: latency(rawMs),
    apiErrors: errors,
  };
  printTable(
    `Submission: ${total} jobs each way at concurrency ${CONCURRENCY}, ${rounds} interleaved rounds (median (min–max))`,
    ['path', 'jobs/s', 'p50 ms', 'p99 ms', 'max ms', 'ratio API/raw', 'target ≥ 0.8'],
    [
      [
        'POST /v1/jobs',
        `${round(result.apiPerSecond.median, 1)} (${round(result.apiPerSecond.min, 1)}–${round(result.apiPerSecond.max, 1)})`,
        result.apiLatencyMs.p50,
        result.apiLatencyMs.p99,
        result.apiLatencyMs.max,
        `${round(ratio.median, 3)} (${round(ratio.min, 3)}–${round(ratio.max, 3)})`,
        result.met ? 'met' : 'MISSED',
      ],
      [
        'client.workflow.start',
        `${round(result.rawPerSecond.median, 1)} (${round(result.rawPerSecond.min, 1)}–${round(result.rawPerSecond.max, 1)})`,
        result.rawLatencyMs.p50,
        result.rawLatencyMs.p99,
        result.rawLatencyMs.max,
        '',
        '',
      ],
    ],
  );
  if (errors) opts.log(`submission: ${errors} API requests did not return 201`);
  const file = writeResult('submission', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
