// Issue 11, what a first-time user hit on day one, against a real dev server with the real step
// activities (command steps run real `node` subprocesses) and GPU workers on a simulated pool:
// waiting_for_gpu as its own state, per-node usage (running / GPU-wait / GPU-seconds over attempts
// and pause-now segments), recover resuming from the last checkpoint (or from scratch).
import { testSandbox } from '../helpers/sandbox';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { storageFromConfig } from '../../src/storage';
import type { Artifacts } from '../../src/storage/artifacts';
import { loadConfig, type Config } from '../../src/config';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import { simulatedInventory } from '../../src/gpu/discovery';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import type { JobView, NodeView } from '../../src/http/contracts';
import { createGpuWorkers } from '../../workers/gpu-workers';
import { withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

interface Stack {
  prefix: string;
  config: Config;
  store: Artifacts;
  client: JobService;
}

/** The job workflow worker with the real CPU steps, and GPU workers on a simulated pool. */
async function withStack<T>(name: string, gpus: string, fn: (s: Stack) => Promise<T>): Promise<T> {
  const prefix = uniqueId(name);
  const config = loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_ARTIFACT_ROOT: path.join(t.tmpDir, `artifacts-${prefix}`),
    TRAINYARD_DATA_ROOT: path.resolve(__dirname, '..', '..', 'data'),
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: gpus,
    TRAINYARD_ALLOWED_COMMANDS: 'node',
    TRAINYARD_SHUTDOWN_GRACE: '1s',
  });
  fs.mkdirSync(config.artifactRoot, { recursive: true });
  const storage = storageFromConfig(config);
  const store = storage.artifacts;
  const activities = createActivities({
    store,
    workspaces: storage.workspaces,
    dataRoot: config.dataRoot,
    sandbox: testSandbox({ workDir: config.workDir, allowedCommands: ['node'] }),
  });
  const gpu = await createGpuWorkers({
    connection: t.nativeConnection,
    config,
    namespace: t.server.namespace,
    activities,
    inventory: simulatedInventory(gpus),
    log: () => undefined,
  });
  const run = Promise.all(gpu.map((w) => w.run()));
  const client = new JobService(t.client, jobServiceConfigFrom(config));
  try {
    return await withWorkers(t, bundle, prefix, activities, () => fn({ prefix, config, store, client }));
  } finally {
    for (const w of gpu) if (w.getState() === 'RUNNING') w.shutdown();
    await run;
  }
}

/** A command node running `node -e script` (an argv, never a shell). */
function nodeScript(id: string, script: string, extra: Partial<NodeSpecInput> = {}): NodeSpecInput {
  return { id, type: 'command', config: { command: ['node', '-e', script] }, ...extra };
}

/** Runs `ms` milliseconds, then reports when it started and ended (its own clock). */
const SLEEPER = (ms: number) =>
  `const s=Date.now();setTimeout(()=>console.log('TRAINYARD_RESULT '+JSON.stringify({start:s,end:Date.now()})),${ms})`;

function nodeOf(v: JobView, id: string): NodeView {
  const n = v.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id} in ${JSON.stringify(v.nodes.map((x) => x.id))}`);
  return n;
}

async function finished(client: JobService, jobId: string, status = 'completed'): Promise<JobView> {
  return waitFor(
    async () => {
      const v = await client.getJobStatus(jobId);
      return v.status === status ? v : undefined;
    },
    { timeoutMs: 90_000, what: `job ${jobId} ${status}` },
  );
}

describe('waiting for a GPU and per-node usage (bugs 4 and 5)', () => {
  test('when a 2-GPU node waits for a GPU another node holds, then it shows waiting_for_gpu (not running) in the nodes and counts, pause --now says so, and usage adds the segments and splits running from GPU wait', async () => {
    await withStack('usage', '2x16', async ({ client }) => {
      const retry = { maxAttempts: 2, initialInterval: 100 };
      const spec = {
        name: 'two-gpus-one-busy',
        nodes: [
          nodeScript('one', SLEEPER(6000), { resources: { gpus: 1 }, retry }),
          // Starts the 2-GPU node once `one` holds its GPU.
          nodeScript('gate', SLEEPER(1000)),
          nodeScript('two', SLEEPER(3000), { resources: { gpus: 2 }, dependsOn: ['gate'], retry }),
          nodeScript('after', 'null', { dependsOn: ['one', 'two'] }),
        ],
      };
      const { id } = await client.submitJob(spec, { owner: 'alice' });
      const both = await waitFor(
        async () => {
          const v = await client.getJobStatus(id);
          return nodeOf(v, 'one').status === 'running' && nodeOf(v, 'two').status === 'waiting_for_gpu' ? v : undefined;
        },
        { timeoutMs: 60_000, what: 'node one running, node two waiting_for_gpu' },
      );
      const seenRunningAt = Date.now();
      expect(both.counts).toMatchObject({ running: 1, waiting_for_gpu: 1 });
      expect(nodeOf(both, 'two').live?.phase).toBe('waiting_for_gpu');
      expect(both.currentNodes.sort()).toEqual(['one', 'two']);
      // Let the first segment run a while, then pause now: one checkpoints and stops, one goes back.
      await new Promise((r) => setTimeout(r, 600));
      const paused = await client.pauseJob(id, { mode: 'now' });
      const pausedAt = Date.now();
      expect(paused.message).toMatch(/^paused now: 1 running node\(s\) checkpoint and stop; 1 waiting for a GPU/);
      await waitFor(
        async () => {
          const v = await client.getJobStatus(id);
          if (v.counts.paused === 2) return true;
          throw new Error(JSON.stringify(v.nodes.map((n) => [n.id, n.status, n.live])));
        },
        { timeoutMs: 20_000, what: 'both nodes paused' },
      );
      await client.resumeJob(id);
      const done = await finished(client, id);

      for (const [nodeId, gpus] of [
        ['one', 1],
        ['two', 2],
      ] as const) {
        const n = nodeOf(done, nodeId);
        const u = n.usage!;
        const r = n.output!.summary.result as { start: number; end: number };
        // Running time is the step's, not its waits'; GPU-seconds are its GPUs held that long.
        expect(u.runningMs).toBeGreaterThanOrEqual(r.end - r.start);
        expect(u.gpuSeconds).toBeCloseTo((gpus * u.runningMs) / 1000, 1);
        expect(u.wallMs).toBeGreaterThanOrEqual(u.runningMs + u.gpuWaitMs - 50);
        expect(n.firstStartedAt! <= n.startedAt!).toBe(true);
        expect(n.executions).toBe(2);
      }
      // Both segments of the node that ran before the pause count, not only the last one.
      const one = nodeOf(done, 'one');
      const last = one.output!.summary.result as { start: number; end: number };
      expect(pausedAt).toBeGreaterThan(seenRunningAt);
      expect(one.usage!.runningMs).toBeGreaterThanOrEqual(pausedAt - seenRunningAt + (last.end - last.start));
      // The one that waited for GPUs has that wait, apart from its running time.
      expect(nodeOf(done, 'two').usage!.gpuWaitMs).toBeGreaterThan(0);
      expect(nodeOf(done, 'gate').usage).toMatchObject({ gpuWaitMs: 0, gpuSeconds: 0 });
      expect(done.counts.completed).toBe(4);
      expect(done.counts.waiting_for_gpu ?? 0).toBe(0);
    });
  });
});

/**
 * A training script that checkpoints every 10 epochs (TRAINYARD_PROGRESS {"checkpoint": …}) and
 * resumes from TRAINYARD_RESUME_CHECKPOINT; its first run fails at epoch 12. Every run appends its
 * first epoch to starts.txt in its node folder (which outlives a failed run on this host); a step
 * sees nothing of the host outside its own folders, so the folder is what tells runs apart.
 */
const EPOCH_SCRIPT = `
const fs = require('fs'), path = require('path');
const out = process.env.JOB_OUTPUT_DIR, ck = process.env.TRAINYARD_RESUME_CHECKPOINT;
const start = ck ? JSON.parse(fs.readFileSync(ck, 'utf8')).epoch + 1 : 1;
const firstRun = !fs.existsSync(path.join(out, 'starts.txt'));
fs.appendFileSync(path.join(out, 'starts.txt'), start + '\\n');
for (let e = start; e <= 15; e++) {
  const p = { epoch: e, epochs: 15 };
  if (e % 10 === 0) {
    fs.writeFileSync(path.join(out, 'ckpt-' + e + '.json'), JSON.stringify({ epoch: e }));
    p.checkpoint = 'ckpt-' + e + '.json';
  }
  console.log('TRAINYARD_PROGRESS ' + JSON.stringify(p));
  if (e === 12 && firstRun) { console.error('boom at epoch 12'); process.exit(1); }
}
console.log('TRAINYARD_RESULT ' + JSON.stringify({ start }));
`;

describe('recover resumes from the last checkpoint (bug 1)', () => {
  for (const fromScratch of [false, true]) {
    test(`when a command step fails at epoch 12 after checkpointing at epoch 10 and is recovered${fromScratch ? ' with fromScratch' : ''}, then it starts at epoch ${fromScratch ? 1 : 11}`, async () => {
      await withStack(fromScratch ? 'scratch' : 'resume', '1x16', async ({ client, store }) => {
        const { id } = await client.submitJob(
          {
            name: 'epochs',
            recoveryWindow: '1h',
            nodes: [
              {
                id: 'train',
                type: 'command',
                config: { command: ['node', '-e', EPOCH_SCRIPT] },
                retry: { maxAttempts: 1 },
              },
            ],
          },
          { owner: 'alice' },
        );
        const failed = await finished(client, id, 'failed');
        expect(failed.recoverable).toBe(true);
        const r = await client.recoverJob(id, fromScratch ? { fromScratch: true } : {});
        expect(r.message).toMatch(fromScratch ? /from scratch/ : /1 resume from their last checkpoint \(train\)/);
        const done = await finished(client, id);
        const train = nodeOf(done, 'train');
        expect(train.output!.summary.result).toEqual({ start: fromScratch ? 1 : 11 });
        const starts = (await store.objects.get(`alice/runs/${id}/train/starts.txt`)).toString('utf8');
        expect(starts).toBe(fromScratch ? '1\n1\n' : '1\n11\n');
        expect(done.recoveries[0]).toMatchObject(
          fromScratch ? { nodes: ['train'], fromScratch: true } : { nodes: ['train'], resumed: ['train'] },
        );
      });
    });
  }

  test('when the built-in trainer is stopped by a failFast failure elsewhere and the job is recovered, then training resumes from its checkpoint', async () => {
    await withStack('trainer', '1x16', async ({ client }) => {
      const { id } = await client.submitJob(
        {
          name: 'trainer-resume',
          recoveryWindow: '1h',
          failurePolicy: 'failFast',
          nodes: [
            { id: 'data', type: 'dataset', config: { name: 'iris' } },
            { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2 } },
            { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
            {
              id: 'train',
              type: 'train',
              dependsOn: ['prep'],
              config: { model: 'mlp', epochs: 80, hiddenLayers: [8], epochDelayMs: 100, checkpointEvery: 5 },
            },
            // Its first run fails once training has checkpointed: failFast stops the trainer.
            nodeScript(
              'bomb',
              `setTimeout(()=>{const f=require('path').join(process.env.JOB_OUTPUT_DIR,'bombed');if(!require('fs').existsSync(f)){require('fs').writeFileSync(f,'');console.error('bomb');process.exit(1)}},3000)`,
              { dependsOn: ['prep'], retry: { maxAttempts: 1 } },
            ),
          ],
        },
        { owner: 'alice' },
      );
      const failed = await finished(client, id, 'failed');
      expect(nodeOf(failed, 'train').status).toBe('cancelled');
      const r = await client.recoverJob(id, {});
      expect(r.message).toMatch(/resume from their last checkpoint \(train\)/);
      const done = await finished(client, id);
      expect(nodeOf(done, 'train').output!.summary.resumedFromEpoch).toBeGreaterThanOrEqual(5);
    });
  });
});
