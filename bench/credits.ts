// Credits: what the ledger costs per job. The same 3-node chain of no-op steps goes through
// POST /v1/jobs to two stacks on one dev server — credits off, and credits on (a reserve update on
// the owner's account entity at submit, a settle at the end) — in interleaved rounds (ABBA). Per job:
// the submit's latency (reserve), and submit → workflow result (settle included); per round the
// throughput. Ratios on/off are taken round by round.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWorkflowActivities } from '../workers/workflow-activities';
import { benchConfig, http, startBenchApi } from './lib/api';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { chain, specOf } from './lib/specs';
import { latency, nowMs, pool, round, spread } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import { noopStep } from './noop-activities';

const CONCURRENCY = 8;
type Mode = 'off' | 'on';

export async function credits(opts: BenchOptions): Promise<Record<string, unknown>> {
  const rounds = opts.quick ? 2 : 6;
  const perRound = opts.quick ? 20 : 50;
  const t = await startBenchTemporal();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-credits-'));
  const spec = specOf(chain(3), 4);
  const stacks = await Promise.all(
    (['off', 'on'] as const).map(async (mode) => {
      const prefix = `cr-${mode}-${randomUUID().slice(0, 6)}`;
      const config = benchConfig(path.join(home, mode), prefix, mode === 'on' ? { TRAINYARD_CREDITS: 'on' } : {});
      const workers = await startBenchWorkers(
        t,
        { command: noopStep, ...createWorkflowActivities(config) },
        { prefix, activityConcurrency: 64 },
      );
      const api = await startBenchApi(t.client, config);
      return { mode, api, workers };
    }),
  );
  const by = (m: Mode) => stacks.find((s) => s.mode === m)!;
  const submitMs: Record<Mode, number[]> = { off: [], on: [] };
  const totalMs: Record<Mode, number[]> = { off: [], on: [] };
  const rate: Record<Mode, number[]> = { off: [], on: [] };
  const ratios: number[] = [];
  let errors = 0;
  let ledger: Record<string, unknown> = {};
  try {
    const grant = await http(by('on').api.url, 'POST', '/v1/accounts/bench/grants', { amount: 1e9, reason: 'bench' });
    if (grant.status !== 201) throw new Error(`grant answered ${grant.status}: ${JSON.stringify(grant.body)}`);
    const runRound = async (mode: Mode, n: number, record: boolean): Promise<number> => {
      const s = by(mode);
      const t0 = nowMs();
      await pool(Array.from({ length: n }), CONCURRENCY, async () => {
        const start = nowMs();
        const r = await http<{ id?: string }>(s.api.url, 'POST', '/v1/jobs', spec);
        if (r.status !== 201 || !r.body.id) {
          if (errors++ === 0) opts.log(`credits: POST /v1/jobs (${mode}) answered ${r.status}`);
          return;
        }
        await t.client.workflow.getHandle(r.body.id).result();
        if (record) {
          submitMs[mode].push(r.ms);
          totalMs[mode].push(nowMs() - start);
        }
      });
      return n / ((nowMs() - t0) / 1000);
    };
    await runRound('off', 16, false);
    await runRound('on', 16, false);
    for (let r = 0; r < rounds; r++) {
      const order: Mode[] = r % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
      const got: Partial<Record<Mode, number>> = {};
      for (const m of order) got[m] = await runRound(m, perRound, true);
      rate.off.push(got.off!);
      rate.on.push(got.on!);
      ratios.push(got.on! / got.off!);
      opts.log(
        `credits round ${r + 1}/${rounds}: off ${round(got.off!, 1)} jobs/s, on ${round(got.on!, 1)} jobs/s, ratio ${round(got.on! / got.off!, 3)}`,
      );
    }
    // The ledger after every job ended: nothing left reserved; charged what they cost.
    const acct = await http<Record<string, unknown>>(by('on').api.url, 'GET', '/v1/account');
    ledger = { balance: acct.body.balance, reserved: acct.body.reserved, lastSeq: acct.body.lastSeq };
    opts.log(`credits: the account after the run: ${JSON.stringify(ledger)}`);
  } finally {
    for (const s of stacks) {
      await s.api.close();
      await s.workers.stop();
    }
    await t.teardown();
    fs.rmSync(home, { recursive: true, force: true });
  }
  const result = {
    jobsEach: rounds * perRound,
    rounds,
    concurrency: CONCURRENCY,
    nodesPerJob: 3,
    submitLatencyMs: { off: latency(submitMs.off), on: latency(submitMs.on) },
    endToEndMs: { off: latency(totalMs.off), on: latency(totalMs.on) },
    jobsPerSecond: { off: spread(rate.off), on: spread(rate.on) },
    throughputRatioOnOff: spread(ratios),
    ledger,
    errors,
  };
  const row = (m: Mode) => [
    `credits ${m}`,
    `${round(result.jobsPerSecond[m].median, 1)} (${round(result.jobsPerSecond[m].min, 1)}–${round(result.jobsPerSecond[m].max, 1)})`,
    result.submitLatencyMs[m].p50,
    result.submitLatencyMs[m].p99,
    result.endToEndMs[m].p50,
    result.endToEndMs[m].p99,
  ];
  printTable(
    `Credits: ${result.jobsEach} jobs each way (3-node chain, no-op steps) at concurrency ${CONCURRENCY}, ${rounds} interleaved rounds; throughput ratio on/off ${round(result.throughputRatioOnOff.median, 3)} (${round(result.throughputRatioOnOff.min, 3)}–${round(result.throughputRatioOnOff.max, 3)})`,
    ['stack', 'jobs/s', 'submit p50 ms', 'submit p99 ms', 'submit→result p50 ms', 'submit→result p99 ms'],
    [row('off'), row('on')],
  );
  const file = writeResult('credits', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
