// Throughput end to end (issue 19, item 3): single-step jobs submitted through POST /v1/jobs at
// concurrency 32, from the first submit to the last job completed, in jobs/s; against raw
// client.workflow.start of a hand-written one-activity workflow (bench/baseline-workflows.ts
// baselineChain with one node, Trainyard's activity options) at the same concurrency, on the same
// dev server, with a Worker laid out as the CPU worker is (workflows and steps on one queue, the
// same slots). Two kinds of step work, each on both sides: `/bin/true` (the real command step,
// which spawns it, against an activity that spawns it) and a no-op activity. Every stack has its
// own queues and runs in this one process; rounds are interleaved (ABCD, DCBA, …).
//
// Completion is watched with one visibility count per stack every POLL_MS (completed executions on
// the stack's task queue), not a result() call per job. While a round runs, the SDK's own slot gauges
// are sampled (workflow-task slots in use) and the CPU time of this process and of the dev server
// is taken, so a round says what it was bound by. A sample of each round's histories gives the
// workflow-task and activity queue/run times.
//
// Exploration (not used by `npm run bench`): THROUGHPUT_STACKS=trainyard-true,baseline-true runs a
// subset; THROUGHPUT_JOBS=N and THROUGHPUT_ROUNDS=N set the jobs per round and the rounds; THROUGHPUT_ENV='{"TRAINYARD_…":"…"}' adds config settings to the Trainyard stacks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { createActivitiesFromConfig } from '../activities';
import { queueNames } from '../src/domain/task-queues';
import { freePort } from '../src/temporal/dev-server';
import { createCpuWorkers } from '../workers/cpu-workers';
import { bundleWorkflows } from '../test/helpers/temporal';
import { benchConfig, http, startBenchApi } from './lib/api';
import { historiesOf } from './lib/hop-bench';
import { taskLatencies } from './lib/hop-history';
import { histogramMeans, scrape } from './lib/prom';
import { EnvJson, PositiveCount, knob } from './lib/knobs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { latency, median, nowMs, pool, round, spread, type Spread } from './lib/stats';
import {
  installQuietRuntime,
  jobBundle,
  jobBundleWithoutSchemaCache,
  startBenchTemporal,
  type BenchTemporal,
} from './lib/temporal';
import { noopStep, trueStep } from './noop-activities';

const CONCURRENCY = 32;
const POLL_MS = 100;
/** Histories read back per round and stack (spread over the round). */
const SAMPLE = 20;

type Work = 'true' | 'noop';
type Kind = 'trainyard' | 'baseline';

/** `trainyard-true`, or with config settings of its own: `trainyard-true@TRAINYARD_WORKFLOW_THREADS=1`. */
type StackName = `${Kind}-${Work}` | `${Kind}-${Work}@${string}`;
const StackList = z
  .string()
  .transform((s) => s.split(','))
  .pipe(
    z.array(
      z
        .string()
        .regex(
          /^(trainyard|baseline)-(true|noop)(@.+)?$/,
          'each stack is (trainyard|baseline)-(true|noop)[@VAR=value;…]',
        )
        .transform((n) => n as StackName),
    ),
  );

interface Stack {
  name: StackName;
  kind: Kind;
  work: Work;
  queue: string;
  /** Submits one job; resolves with its workflow id once accepted. */
  submit(): Promise<string>;
  stop(): Promise<void>;
}

interface RoundResult {
  perSecond: number;
  wallMs: number;
  /** First submit → last submit accepted. */
  submitMs: number;
  /** Jobs that ended other than completed (a lost step, a timeout). */
  failed: number;
  /** Submit latency of each job. */
  submitLatency: number[];
  /** CPU time over the round, in cores (1 = one core busy the whole round). */
  benchCores: number;
  serverCores: number;
  /** Workflow-task slots in use, mean and max of the samples. */
  wftSlotsMean: number;
  wftSlotsMax: number;
  /** Medians over the sampled histories (ms). */
  wftQueueMs: number;
  wftRunMs: number;
  actQueueMs: number;
  actRunMs: number;
  /** Workflow started → closed, median of the sample. */
  startToCloseMs: number;
  workflowTasksPerJob: number;
  eventsPerJob: number;
  sdk: Record<string, number>;
}

const TRUE_SPEC = (name: string) => ({
  name,
  // A failed step fails the job at once (no recovery window to wait out): the round counts it.
  recoveryWindow: 0,
  nodes: [{ id: 'step', type: 'command', config: { command: ['/bin/true'] }, retry: { maxAttempts: 1 } }],
});

function cpuTicksOf(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the command name).
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const HZ = 100;

/** Sum over a gauge's series whose labels contain every `where` pair. */
async function gauge(url: string, metric: string, where: Record<string, string>): Promise<number> {
  try {
    const text = await (await fetch(url)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}{`)) continue;
      if (!Object.entries(where).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  } catch {
    return NaN;
  }
}

async function countCompleted(client: Client, queue: string): Promise<{ completed: number; failed: number }> {
  const [c, f] = await Promise.all([
    client.workflow.count(`TaskQueue = "${queue}" AND ExecutionStatus = "Completed"`),
    client.workflow.count(`TaskQueue = "${queue}" AND ExecutionStatus != "Running" AND ExecutionStatus != "Completed"`),
  ]);
  return { completed: c.count, failed: f.count };
}

async function startStacks(
  t: BenchTemporal,
  home: string,
  names: StackName[],
  extraEnv: Record<string, string>,
): Promise<Stack[]> {
  const stacks: Stack[] = [];
  const jobCode = await jobBundle();
  const baselineCode = (await bundleWorkflows(require.resolve('./baseline-workflows'))).code;
  for (const name of names) {
    const [base, settings] = name.split('@') as [string, string | undefined];
    const [kind, work] = base.split('-') as [Kind, Work];
    // SCHEMA_CACHE=off is the bench's own setting (the bundle without the schema cache); the rest is config.
    const { SCHEMA_CACHE: schemaCache, ...own } = Object.fromEntries(
      (settings ?? '')
        .split(';')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    );
    const prefix = `tp-${base}-${randomUUID().slice(0, 6)}`;
    const config = benchConfig(path.join(home, prefix), prefix, {
      TRAINYARD_ALLOWED_COMMANDS: 'node,python3,/bin/true',
      ...extraEnv,
      ...own,
    });
    const q = queueNames(prefix);
    let submit: Stack['submit'];
    let stop: Stack['stop'];
    if (kind === 'trainyard') {
      const real = createActivitiesFromConfig(config, { cudaAvailable: false });
      const activities = work === 'true' ? real : { ...real, command: noopStep };
      const workers = await createCpuWorkers({
        connection: t.native,
        config,
        namespace: t.server.namespace,
        workflowBundle: schemaCache === 'off' ? await jobBundleWithoutSchemaCache() : jobCode,
        activities,
      });
      const running = Promise.all(workers.map((w) => w.run()));
      const api = await startBenchApi(t.client, config);
      const spec = TRUE_SPEC(`throughput ${name}`);
      submit = async () => {
        const r = await http<{ id?: string }>(api.url, 'POST', '/v1/jobs', spec);
        if (r.status !== 201 || !r.body.id)
          throw new Error(`POST /v1/jobs answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
        return r.body.id;
      };
      stop = async () => {
        await api.close();
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running;
      };
    } else {
      // The CPU worker's layout and slots (workers/cpu-workers.ts): one Worker, workflows and steps
      // on one queue (eager dispatch), the same concurrency settings.
      const worker = await Worker.create({
        connection: t.native,
        namespace: t.server.namespace,
        taskQueue: q.workflows,
        workflowBundle: { code: baselineCode },
        activities: { command: work === 'true' ? trueStep : noopStep },
        maxConcurrentWorkflowTaskExecutions: config.workflowConcurrency,
        workflowThreadPoolSize: config.workflowThreads,
        maxConcurrentActivityTaskExecutions: config.cpuConcurrency,
        maxHeartbeatThrottleInterval: 1000,
      });
      const running = worker.run();
      submit = async () => {
        const id = `${prefix}-${randomUUID()}`;
        await t.client.workflow.start('baselineChain', {
          workflowId: id,
          taskQueue: q.workflows,
          args: [{ jobId: id, taskQueue: q.workflows, nodes: 1, parallelism: 1 }],
        });
        return id;
      };
      stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
    }
    stacks.push({ name, kind, work, queue: q.workflows, submit, stop });
  }
  return stacks;
}

async function runRound(
  t: BenchTemporal,
  s: Stack,
  n: number,
  o: { metricsUrl: string; sample: boolean; log: (l: string) => void },
): Promise<RoundResult> {
  const before = await countCompleted(t.client, s.queue);
  const target = before.completed + n;
  const ids: string[] = [];
  const submitLatency: number[] = [];
  const slots: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const used = await gauge(o.metricsUrl, 'temporal_worker_task_slots_used', {
        worker_type: 'WorkflowWorker',
        task_queue: s.queue,
      });
      if (Number.isFinite(used)) slots.push(used);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const sdk0 = await scrape(o.metricsUrl);
  const cpu0 = process.cpuUsage();
  const srv0 = cpuTicksOf(t.server.process.pid);
  const t0 = nowMs();
  let submitted = 0;
  await pool(Array.from({ length: n }), CONCURRENCY, async () => {
    const s0 = nowMs();
    ids.push(await s.submit());
    submitLatency.push(nowMs() - s0);
    submitted++;
  });
  const submitMs = nowMs() - t0;
  let last = before;
  let nextLog = nowMs() + 10_000;
  for (;;) {
    last = await countCompleted(t.client, s.queue);
    if (nowMs() > nextLog) {
      nextLog += 10_000;
      o.log(
        `${s.name}: ${last.completed - before.completed} of ${n} completed after ${round((nowMs() - t0) / 1000)} s`,
      );
    }
    if (last.completed + last.failed - before.failed >= target) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const wallMs = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const srv1 = cpuTicksOf(t.server.process.pid);
  const sdk1 = await scrape(o.metricsUrl);
  sampling = false;
  await sampler;
  if (submitted !== n) throw new Error(`${s.name}: ${submitted} of ${n} submitted`);
  const sampleIds = o.sample
    ? Array.from({ length: Math.min(SAMPLE, ids.length) }, (_, k) => ids[Math.floor((k * ids.length) / SAMPLE)]!)
    : [];
  const histories = await Promise.all(sampleIds.map((id) => historiesOf(t.client, id)));
  const lat = taskLatencies(histories.flat().length ? histories.flat() : []);
  const spans = histories.map((h) => {
    const first = h[0]?.[0];
    const lastRun = h[h.length - 1] ?? [];
    const end = lastRun[lastRun.length - 1];
    const ms = (e: typeof first) =>
      e?.eventTime ? Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos! / 1e6 : NaN;
    return ms(end) - ms(first);
  });
  const where = { task_queue: s.queue };
  const mean = (m: string) => histogramMeans(sdk0, sdk1, m, { where })['']?.mean ?? NaN;
  return {
    perSecond: n / (wallMs / 1000),
    wallMs,
    submitMs,
    failed: last.failed - before.failed,
    submitLatency,
    benchCores: (cpu.user + cpu.system) / 1000 / wallMs,
    serverCores: (((srv1 - srv0) / HZ) * 1000) / wallMs,
    wftSlotsMean: slots.length ? slots.reduce((a, b) => a + b, 0) / slots.length : NaN,
    wftSlotsMax: slots.length ? Math.max(...slots) : NaN,
    wftQueueMs: median(lat.wftQueue),
    wftRunMs: median(lat.wftRun),
    actQueueMs: median(lat.actQueue),
    actRunMs: median(lat.actRun),
    startToCloseMs: median(spans),
    workflowTasksPerJob: sampleIds.length ? lat.wftRun.length / sampleIds.length : NaN,
    eventsPerJob: sampleIds.length ? lat.events / sampleIds.length : NaN,
    sdk: {
      wftScheduleToStartMs: mean('temporal_workflow_task_schedule_to_start_latency'),
      wftExecutionMs: mean('temporal_workflow_task_execution_latency'),
      wftReplayMs: mean('temporal_workflow_task_replay_latency'),
      actExecutionMs: mean('temporal_activity_execution_latency'),
      actScheduleToStartMs: mean('temporal_activity_schedule_to_start_latency'),
    },
  };
}

/** The last: Trainyard without the schema cache (each job builds its own schemas), the change under test, in the same run. */
const STACKS: StackName[] = [
  'trainyard-true',
  'baseline-true',
  'trainyard-noop',
  'baseline-noop',
  'trainyard-noop@SCHEMA_CACHE=off',
];

export async function throughput(opts: BenchOptions): Promise<Record<string, unknown>> {
  const jobs = knob('THROUGHPUT_JOBS', PositiveCount, opts.quick ? 200 : 1000);
  const rounds = knob('THROUGHPUT_ROUNDS', PositiveCount, opts.quick ? 1 : 2);
  const names = knob('THROUGHPUT_STACKS', StackList, STACKS);
  const extraEnv = knob('THROUGHPUT_ENV', EnvJson, {});
  const metricsPort = await freePort();
  // The SDK's metrics for this process: the first Runtime.install wins, so before the server starts.
  installQuietRuntime({ metricsBindAddress: `127.0.0.1:${metricsPort}` });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const t = await startBenchTemporal();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-tp-'));
  // Searchable (not listable) by others: a root worker's step sandbox runs bwrap as uid 65534.
  fs.chmodSync(home, 0o711);
  const results = new Map<StackName, RoundResult[]>(names.map((n) => [n, []]));
  let stacks: Stack[] = [];
  const loadAvg: number[][] = [];
  try {
    stacks = await startStacks(t, home, names, extraEnv);
    for (const s of stacks) {
      await runRound(t, s, 16, { metricsUrl, sample: false, log: opts.log });
      opts.log(`throughput: ${s.name} warmed up`);
    }
    for (let r = 0; r < rounds; r++) {
      for (const s of r % 2 ? [...stacks].reverse() : stacks) {
        loadAvg.push(os.loadavg());
        const res = await runRound(t, s, jobs, { metricsUrl, sample: true, log: opts.log });
        results.get(s.name)!.push(res);
        opts.log(
          `throughput round ${r + 1}/${rounds} ${s.name}: ${round(res.perSecond, 1)} jobs/s, ${res.failed} failed (submitted in ${round(res.submitMs / 1000, 1)} s), ` +
            `cores: bench ${round(res.benchCores, 2)} server ${round(res.serverCores, 2)}; wft slots ${round(res.wftSlotsMean, 1)} (max ${res.wftSlotsMax}); ` +
            `wft queue/run ${round(res.wftQueueMs, 1)}/${round(res.wftRunMs, 1)} ms, act queue/run ${round(res.actQueueMs, 1)}/${round(res.actRunMs, 1)} ms, start→close ${round(res.startToCloseMs)} ms; load ${os.loadavg()[0]!.toFixed(1)}`,
        );
      }
    }
  } finally {
    for (const s of stacks) await s.stop().catch(() => undefined);
    await t.teardown();
    fs.rmSync(home, { recursive: true, force: true });
  }

  const summarise = (name: StackName) => {
    const rs = results.get(name) ?? [];
    const pick = (f: (r: RoundResult) => number): Spread => spread(rs.map(f));
    return {
      perSecond: pick((r) => r.perSecond),
      failed: rs.reduce((a, r) => a + r.failed, 0),
      submitPerSecond: pick((r) => jobs / (r.submitMs / 1000)),
      submitLatencyMs: latency(rs.flatMap((r) => r.submitLatency)),
      benchCores: pick((r) => r.benchCores),
      serverCores: pick((r) => r.serverCores),
      wftSlotsMean: pick((r) => r.wftSlotsMean),
      wftSlotsMax: pick((r) => r.wftSlotsMax),
      wftQueueMs: pick((r) => r.wftQueueMs),
      wftRunMs: pick((r) => r.wftRunMs),
      actQueueMs: pick((r) => r.actQueueMs),
      actRunMs: pick((r) => r.actRunMs),
      startToCloseMs: pick((r) => r.startToCloseMs),
      workflowTasksPerJob: pick((r) => r.workflowTasksPerJob),
      eventsPerJob: pick((r) => r.eventsPerJob),
      sdk: Object.fromEntries(Object.keys(rs[0]?.sdk ?? {}).map((k) => [k, median(rs.map((r) => r.sdk[k]!))])),
    };
  };
  const byStack = Object.fromEntries(names.map((n) => [n, summarise(n)]));
  // Ratio per round: the Trainyard stack's rate over the baseline's with the same work.
  const ratios: Partial<Record<Work, Spread>> = {};
  for (const work of ['true', 'noop'] as const) {
    const a = results.get(`trainyard-${work}`);
    const b = results.get(`baseline-${work}`);
    if (a?.length && b?.length) ratios[work] = spread(a.map((x, i) => x.perSecond / b[i]!.perSecond));
  }
  // The raise: the same stack with and without the schema cache, per round.
  const withCache = results.get('trainyard-noop');
  const without = results.get('trainyard-noop@SCHEMA_CACHE=off');
  const raise =
    withCache?.length && without?.length
      ? spread(withCache.map((x, i) => x.perSecond / without[i]!.perSecond))
      : undefined;
  const result = {
    jobsPerRound: jobs,
    concurrency: CONCURRENCY,
    rounds,
    stacks: byStack,
    ratio: ratios,
    schemaCacheRaise: raise,
    target: 'raise it (no number given): trainyard-noop with the schema cache over the same stack without it',
    extraEnv,
    loadAvgDuringRounds: loadAvg.map((l) => l.map((x) => round(x, 2))),
  };
  printTable(
    `Throughput: ${jobs} single-step jobs per round at concurrency ${CONCURRENCY}, ${rounds} interleaved round(s), first submit → last completed (median (min–max))`,
    [
      'stack',
      'jobs/s',
      'ratio Trainyard/baseline',
      'target',
      'submit jobs/s',
      'cores bench / server',
      'wft slots used',
      'wft queue / run ms',
      'start→close ms',
    ],
    names.map((n) => {
      const s = byStack[n]!;
      const [kind, work] = n.split('@')[0]!.split('-') as [Kind, Work];
      const r = kind === 'trainyard' && !n.includes('@') ? ratios[work] : undefined;
      return [
        n,
        `${round(s.perSecond.median, 1)} (${round(s.perSecond.min, 1)}–${round(s.perSecond.max, 1)})`,
        r ? `${round(r.median, 3)} (${round(r.min, 3)}–${round(r.max, 3)})` : '',
        kind === 'trainyard' ? 'raise it (was 6/s)' : '',
        round(s.submitPerSecond.median, 1),
        `${round(s.benchCores.median, 2)} / ${round(s.serverCores.median, 2)}`,
        `${round(s.wftSlotsMean.median, 1)} (max ${s.wftSlotsMax.max})`,
        `${round(s.wftQueueMs.median, 1)} / ${round(s.wftRunMs.median, 1)}`,
        round(s.startToCloseMs.median),
      ];
    }),
  );
  if (raise)
    opts.log(
      `throughput: raise from the schema cache (no-op jobs/s with / without): ${round(raise.median, 2)}× (${round(raise.min, 2)}–${round(raise.max, 2)})`,
    );
  const file = writeResult('throughput', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
