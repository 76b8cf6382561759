// Fair share: alice floods a GPU pool with 200 one-GPU steps, then bob queues 5; only then does a
// GPU worker with one GPU start taking them (10 ms steps, one at a time). How long do bob's steps
// wait, and how many of alice's run first — with `matching.enableFairness=true` (Trainyard's dev
// server and production config) and without it (Temporal's default), each on its own dev server,
// in ABBA order. Jobs go through JobService.submitJob, so the fairness key (owner) comes from the
// real snapshot and the real job workflow.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config';
import type { StepInput, StepOutput } from '../src/domain/step-io';
import { simulatedInventory } from '../src/gpu/discovery';
import { jobServiceConfigFrom } from '../src/job-service/config';
import { JobService } from '../src/job-service/job-service';
import { createGpuWorkers } from '../workers/gpu-workers';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { median, nowMs, round } from './lib/stats';
import { startBenchTemporal, startBenchWorkers } from './lib/temporal';
import { noopStep } from './noop-activities';
import { gpuFlood } from '../test/helpers/gpu-flood';

const ALICE = 200;
const BOB = 5;

interface Trial {
  fairness: boolean;
  /** Alice's steps that started before bob's first / before bob's last. */
  aliceBeforeBobFirst: number;
  aliceBeforeBobLast: number;
  /** From the GPU worker's start: bob's first and last step started, ms. */
  bobFirstStartMs: number;
  bobLastStartMs: number;
}

async function trial(fairness: boolean, log: (l: string) => void): Promise<Trial> {
  const t = await startBenchTemporal({ dynamicConfig: { 'matching.enableFairness': fairness } });
  const prefix = `fair-${randomUUID().slice(0, 6)}`;
  const config = loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: '1x16',
    TRAINYARD_ALLOWED_COMMANDS: 'true',
    TRAINYARD_LOG_LEVEL: 'silent',
  });
  fs.mkdirSync(config.artifactRoot, { recursive: true });
  const service = new JobService(t.client, jobServiceConfigFrom(config));
  const cpu = await startBenchWorkers(t, { command: noopStep }, { prefix });
  const owners = new Map<string, string>();
  const starts: { owner: string; ms: number }[] = [];
  let t0 = 0;
  const command = async (input: StepInput): Promise<StepOutput> => {
    starts.push({ owner: owners.get(input.jobId) ?? '?', ms: nowMs() - t0 });
    await new Promise((r) => setTimeout(r, 10));
    return { summary: {}, artifacts: [] };
  };
  const pending = async (id: string) =>
    (await t.client.workflow.getHandle(id).describe()).raw.pendingActivities?.length ?? 0;
  const until = async (ok: () => Promise<boolean> | boolean, what: string, ms = 180_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`fair-share: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    const alice = await service.submitJob(gpuFlood('alice-flood', ALICE), { owner: 'alice' });
    owners.set(alice.id, 'alice');
    await until(async () => (await pending(alice.id)) === ALICE, "alice's steps to be queued");
    const bob = await service.submitJob(gpuFlood('bob-few', BOB), { owner: 'bob' });
    owners.set(bob.id, 'bob');
    await until(async () => (await pending(bob.id)) === BOB, "bob's steps to be queued");
    const gpu = await createGpuWorkers({
      connection: t.native,
      config,
      namespace: t.server.namespace,
      activities: { command },
      inventory: simulatedInventory('1x16'),
      log: () => undefined,
    });
    t0 = nowMs();
    const run = Promise.all(gpu.map((w) => w.run()));
    try {
      await until(() => starts.filter((s) => s.owner === 'bob').length >= BOB, "bob's steps to start");
    } finally {
      for (const w of gpu) if (w.getState() === 'RUNNING') w.shutdown();
      await run;
      // Bob's job may have completed already.
      await Promise.all(
        [alice.id, bob.id].map((id) =>
          t.client.workflow
            .getHandle(id)
            .terminate('bench done')
            .catch(() => undefined),
        ),
      );
    }
  } finally {
    await cpu.stop();
    await t.teardown();
  }
  const bobAt = starts.flatMap((s, i) => (s.owner === 'bob' ? [i] : []));
  const first = bobAt[0]!;
  const last = bobAt[BOB - 1]!;
  const result = {
    fairness,
    aliceBeforeBobFirst: first - starts.slice(0, first).filter((s) => s.owner === 'bob').length,
    aliceBeforeBobLast: last - (BOB - 1),
    bobFirstStartMs: round(starts[first]!.ms, 0),
    bobLastStartMs: round(starts[last]!.ms, 0),
  };
  log(`fair-share (fairness ${fairness ? 'on' : 'off'}): ${JSON.stringify(result)}`);
  return result;
}

export async function fairShare(opts: BenchOptions): Promise<Record<string, unknown>> {
  const order = opts.quick ? [true, false] : [true, false, false, true];
  const trials: Trial[] = [];
  for (const f of order) trials.push(await trial(f, opts.log));
  const of = (f: boolean) => trials.filter((x) => x.fairness === f);
  const med = (f: boolean, k: keyof Omit<Trial, 'fairness'>) => median(of(f).map((x) => x[k]));
  const row = (f: boolean) => [
    f ? 'fairness on' : 'fairness off',
    med(f, 'aliceBeforeBobFirst'),
    med(f, 'bobFirstStartMs'),
    med(f, 'aliceBeforeBobLast'),
    med(f, 'bobLastStartMs'),
  ];
  const result = { aliceSteps: ALICE, bobSteps: BOB, gpus: 1, stepMs: 10, trials };
  printTable(
    `Fair share: alice queues ${ALICE} one-GPU steps, then bob ${BOB}; one GPU serves them (median of ${of(true).length} trial(s) each)`,
    [
      '',
      "alice's steps before bob's first",
      "bob's first start ms",
      "alice's steps before bob's last",
      "bob's last start ms",
    ],
    [row(true), row(false)],
  );
  const file = writeResult('fair-share', result, opts.quick);
  opts.log(`wrote ${file}`);
  return result;
}
