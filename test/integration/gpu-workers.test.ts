// GPU workers against a real dev server, with simulated GPUs (TRAINYARD_GPUS): exclusive
// allocation seen through the real command step's CUDA_VISIBLE_DEVICES, GPU-tied slots, a 2-GPU
// step, waiting_for_gpu progress, cancellation releasing GPUs, priority order on a one-GPU pool,
// and readiness.
import { testSandbox } from '../helpers/sandbox';
import fs from 'node:fs';
import { fromPayloadsAtIndex, defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { makeCommandStep } from '../../activities/command';
import { storageFromConfig } from '../../src/storage';
import { loadConfig, type Config } from '../../src/config';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import type { StepHeartbeat } from '../../src/domain/step-io';
import { simulatedInventory } from '../../src/gpu/discovery';
import { describeGpuPools } from '../../src/gpu/readiness';
import { startJobWorkflow } from '../../src/job-service/submission';
import { createGpuWorkers, type GpuWorkers } from '../../workers/gpu-workers';
import { Recorder, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

interface GpuRun {
  cuda: string;
  start: number;
  end: number;
}

/** A GPU command node: the real command step runs node, which reports CUDA_VISIBLE_DEVICES and its interval. */
function gpuNode(id: string, gpus: number, ms: number, extra: Partial<NodeSpecInput> = {}): NodeSpecInput {
  const script = `const s=Date.now();setTimeout(()=>{console.log('TRAINYARD_RESULT '+JSON.stringify({cuda:process.env.CUDA_VISIBLE_DEVICES,start:s,end:Date.now()}))},${ms})`;
  return {
    id,
    type: 'command',
    config: { command: ['node', '-e', script] },
    resources: { gpus },
    retry: { maxAttempts: 2, initialInterval: 100 },
    ...extra,
  };
}

function runOf(p: JobProgress, id: string): GpuRun {
  const n = p.nodes.find((x) => x.id === id);
  const r = n?.output?.summary.result as GpuRun | undefined;
  if (!r) throw new Error(`node ${id} has no result: ${JSON.stringify(n)}`);
  return r;
}

function configFor(prefix: string, gpus: string): Config {
  return loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: gpus,
    TRAINYARD_ALLOWED_COMMANDS: 'node',
    TRAINYARD_SHUTDOWN_GRACE: '1s',
  });
}

/** Runs fn with the job workflow worker, a CPU worker and the GPU workers of a simulated pool. */
async function withGpuPool<T>(
  name: string,
  gpus: string,
  fn: (ctx: { prefix: string; config: Config; gpu: GpuWorkers }) => Promise<T>,
): Promise<T> {
  const prefix = uniqueId(name);
  const config = configFor(prefix, gpus);
  fs.mkdirSync(config.artifactRoot, { recursive: true });
  const storage = storageFromConfig(config);
  const gpu = await createGpuWorkers({
    connection: t.nativeConnection,
    config,
    namespace: t.server.namespace,
    activities: {
      command: makeCommandStep({
        store: storage.artifacts,
        workspaces: storage.workspaces,
        sandbox: testSandbox({ workDir: config.workDir, allowedCommands: ['node'] }),
      }),
    },
    inventory: simulatedInventory(gpus),
    log: () => undefined,
  });
  const run = Promise.all(gpu.map((w) => w.run()));
  try {
    return await withWorkers(t, bundle, prefix, testActivities(new Recorder()), () => fn({ prefix, config, gpu }));
  } finally {
    for (const w of gpu) if (w.getState() === 'RUNNING') w.shutdown();
    await run;
  }
}

function maxOverlap(runs: GpuRun[]): number {
  let best = 0;
  for (const r of runs)
    best = Math.max(best, runs.filter((o) => o.start < r.end && r.start < o.end && o.start <= r.start).length);
  return best;
}

async function pendingHeartbeat(workflowId: string): Promise<StepHeartbeat[]> {
  const d = await t.client.workflow.getHandle(workflowId).describe();
  return (d.raw.pendingActivities ?? []).map((pa) =>
    pa.heartbeatDetails?.payloads
      ? (fromPayloadsAtIndex(defaultPayloadConverter, 0, pa.heartbeatDetails.payloads) as StepHeartbeat)
      : {},
  );
}

describe('GPU workers (TRAINYARD_GPUS=2x16)', () => {
  test('when four 1-GPU steps are submitted at once, then they run two at a time on distinct GPUs; then a 2-GPU step gets both', async () => {
    await withGpuPool('gpu-four', '2x16', async ({ prefix, gpu }) => {
      const four = ['g1', 'g2', 'g3', 'g4'];
      const snapshot = makeSnapshot(`${prefix}-job`, prefix, {
        nodes: [...four.map((id) => gpuNode(id, 1, 1500)), gpuNode('both', 2, 200, { dependsOn: four })],
      });
      const result = await (await startJobWorkflow(t.client, snapshot)).result();
      expect(result.status).toBe('completed');
      const runs = four.map((id) => runOf(result, id));
      for (const r of runs) expect(['0', '1']).toContain(r.cuda);
      // Never more than two at once, and two did run together.
      expect(maxOverlap(runs)).toBe(2);
      for (const a of runs)
        for (const b of runs) if (a !== b && a.start < b.end && b.start < a.end) expect(a.cuda).not.toBe(b.cuda);
      expect(runOf(result, 'both').cuda).toBe('0,1');
      expect(result.nodes.find((n) => n.id === 'g1')?.taskQueue).toBe(`${prefix}-gpu-train-default`);
      expect(gpu.allocator.snapshot()).toMatchObject({ free: 2, leases: [], waiting: 0 });
    });
  });

  test('when a 2-GPU step waits for a busy GPU, then it shows waiting_for_gpu; cancelling the job releases every GPU', async () => {
    await withGpuPool('gpu-wait', '2x16', async ({ prefix, gpu }) => {
      const holder = makeSnapshot(`${prefix}-holder`, prefix, { nodes: [gpuNode('hold', 1, 60_000)] });
      const h1 = await startJobWorkflow(t.client, holder);
      await waitFor(() => gpu.allocator.snapshot().leases.length === 1, { what: 'the holder to take a GPU' });
      const big = makeSnapshot(`${prefix}-big`, prefix, { nodes: [gpuNode('big', 2, 200)] });
      const h2 = await startJobWorkflow(t.client, big);
      const beat = await waitFor(
        async () => (await pendingHeartbeat(h2.workflowId)).find((b) => b.phase === 'waiting_for_gpu'),
        { what: 'waiting_for_gpu heartbeat' },
      );
      expect(beat.message).toMatch(/waiting for 2 GPU\(s\): 1 free/);
      expect(gpu.allocator.snapshot().waiting).toBe(1);
      // Cancel the waiting job first (its waiter must go), then the running one (its lease must go).
      await h2.cancel();
      await waitFor(() => gpu.allocator.snapshot().waiting === 0, { what: 'the waiter to be removed' });
      await h1.cancel();
      await waitFor(() => gpu.allocator.snapshot().leases.length === 0, { what: 'the lease to be released' });
      expect(gpu.allocator.snapshot()).toMatchObject({ free: 2, leases: [], waiting: 0 });
    });
  });

  test('readiness lists the pool, its pollers and their simulated GPUs', async () => {
    await withGpuPool('gpu-ready', '2x16', async ({ config }) => {
      const pools = await waitFor(
        async () => {
          const x = await describeGpuPools(t.client, config);
          return x[0]?.ready ? x : undefined;
        },
        { what: 'pollers on both GPU queues' },
      );
      expect(pools[0]).toMatchObject({ pool: 'default', gpus: 2, ready: true });
      expect(pools[0]!.workers[0]!.gpus).toEqual({ pool: 'default', count: 2, memoryGb: [16, 16], simulated: true });
    });
  });
});

describe('priority (one-GPU pool, TRAINYARD_GPUS=1x16)', () => {
  test('when the GPU is busy with a priority-5 job and more are queued, then a priority-1 job runs next', async () => {
    await withGpuPool('gpu-prio', '1x16', async ({ prefix, gpu }) => {
      const job = (id: string, priority: number, ms: number) =>
        makeSnapshot(`${prefix}-${id}`, prefix, { priority, nodes: [gpuNode('step', 1, ms)] });
      const first = await startJobWorkflow(t.client, job('low0', 5, 3000));
      await waitFor(() => gpu.allocator.snapshot().leases.length === 1, { what: 'the first low-priority step to run' });
      const lows = [];
      for (const id of ['low1', 'low2', 'low3']) lows.push(await startJobWorkflow(t.client, job(id, 5, 300)));
      // Each low job has scheduled its GPU step (waiting in Temporal's queue, not on the worker).
      for (const h of lows)
        await waitFor(async () => (await h.describe()).raw.pendingActivities?.length === 1, {
          what: `${h.workflowId} to schedule its step`,
        });
      expect(gpu.allocator.snapshot().waiting).toBe(0);
      const high = await startJobWorkflow(t.client, job('high', 1, 300));
      const [r0, ...rest] = await Promise.all([first, ...lows, high].map((h) => h.result()));
      const starts = rest.map((r) => runOf(r, 'step').start);
      const highStart = starts[3]!;
      expect(runOf(r0!, 'step').end).toBeLessThanOrEqual(highStart);
      for (const s of starts.slice(0, 3)) expect(highStart).toBeLessThan(s);
    });
  });
});
