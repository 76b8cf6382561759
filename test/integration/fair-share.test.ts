// Fair share on a GPU queue, against a real dev server with `matching.enableFairness=true` (the
// dev server's base config): alice queues 200 one-GPU steps, then bob queues 5; once a GPU worker
// starts serving the pool, bob's first step starts within the next few dispatches, not after
// alice's 200. Jobs go through the SDK's submit, so the fairness key (owner) and weight come from
// the real snapshot and the real job workflow.
import fs from 'node:fs';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import type { StepInput, StepOutput } from '../../src/domain/step-io';
import { simulatedInventory } from '../../src/gpu/discovery';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import { createGpuWorkers } from '../../workers/gpu-workers';
import { gpuFlood } from '../helpers/gpu-flood';
import { Recorder, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

test('when alice has 200 GPU steps queued and bob then queues 5, then bob starts within the next few dispatches', async () => {
  const prefix = uniqueId('fair');
  const config = loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: '1x16',
    TRAINYARD_ALLOWED_COMMANDS: 'true',
    TRAINYARD_SHUTDOWN_GRACE: '1s',
  });
  fs.mkdirSync(config.artifactRoot, { recursive: true });
  const trainyard = new JobService(t.client, jobServiceConfigFrom(config));
  // Owner of each step, in the order the GPU worker started them.
  const started: string[] = [];
  const owners = new Map<string, string>();
  const command = async (input: StepInput): Promise<StepOutput> => {
    started.push(owners.get(input.jobId) ?? '?');
    await new Promise((r) => setTimeout(r, 10));
    return { summary: {}, artifacts: [] };
  };

  await withWorkers(t, bundle, prefix, testActivities(new Recorder()), async () => {
    const alice = await trainyard.submitJob(gpuFlood('alice-flood', 200), { owner: 'alice' });
    owners.set(alice.id, 'alice');
    const pending = async (id: string) => (await t.client.workflow.getHandle(id).describe()).raw.pendingActivities;
    await waitFor(async () => (await pending(alice.id))?.length === 200, { what: "alice's 200 steps to be queued" });
    const bob = await trainyard.submitJob(gpuFlood('bob-few', 5), { owner: 'bob' });
    owners.set(bob.id, 'bob');
    await waitFor(async () => (await pending(bob.id))?.length === 5, { what: "bob's 5 steps to be queued" });

    // Only now does a GPU worker (one GPU: one step at a time) start taking tasks from the backlog.
    const gpu = await createGpuWorkers({
      connection: t.nativeConnection,
      config,
      namespace: t.server.namespace,
      activities: { command },
      inventory: simulatedInventory('1x16'),
      log: () => undefined,
    });
    const run = Promise.all(gpu.map((w) => w.run()));
    try {
      await waitFor(() => started.includes('bob') || started.length >= 60, {
        what: "bob's first start (or 60 of alice's)",
        timeoutMs: 120_000,
      });
      const first = started.indexOf('bob');
      // Without fairness bob would wait behind all 200 of alice's steps.
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(5);
    } finally {
      for (const w of gpu) if (w.getState() === 'RUNNING') w.shutdown();
      await run;
      await Promise.all([alice.id, bob.id].map((id) => t.client.workflow.getHandle(id).terminate('test done')));
    }
  });
}, 240_000);
