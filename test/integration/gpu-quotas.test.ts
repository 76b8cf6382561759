// GPU quotas across two GPU worker processes (one simulated GPU each) against a real dev server:
// alice (TRAINYARD_GPU_QUOTAS=alice=1) never holds more than one GPU at once although two are free;
// her other steps wait as `waiting_for_quota` without taking a worker slot, so bob's step runs on
// the second GPU meanwhile; raising her quota through the quota entity applies at once. A GPU
// worker SIGKILLed mid-step leaks nothing (the retry runs under the same lease), and the lease of a
// terminated job is reclaimed by the entity's sweep.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config';
import type { JobSpecInput, NodeSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import { QuotaClient } from '../../src/quota/quota-client';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import type { JobView } from '../../src/http/contracts';
import { createWorkflowActivities } from '../../workers/workflow-activities';
import { GpuWorkerProcesses } from '../helpers/gpu-processes';
import { Recorder, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;
const gpuProcesses = new GpuWorkerProcesses(() => t);

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => {
  gpuProcesses.killAll();
  await t?.teardown();
});

interface Run {
  start: number;
  end: number;
  /** Its JOB_OUTPUT_DIR, under the TRAINYARD_WORK_DIR of the worker that ran it (inside the sandbox a step's parent is the sandbox's init, no worker's pid). */
  outputDir: string;
}

/** A one-GPU command step that runs `ms` and reports its interval and worker (its JOB_OUTPUT_DIR). */
function gpuStep(id: string, ms: number, extra: Partial<NodeSpecInput> = {}): NodeSpecInput {
  const script = `const s=Date.now(),p=process.ppid;const i=setInterval(()=>{if(process.ppid!==p)process.exit(1)},200);setTimeout(()=>{clearInterval(i);console.log('TRAINYARD_RESULT '+JSON.stringify({start:s,end:Date.now(),outputDir:process.env.JOB_OUTPUT_DIR}))},${ms})`;
  return {
    id,
    type: 'command',
    dependsOn: ['root'],
    config: { command: ['node', '-e', script] },
    resources: { gpus: 1 },
    retry: { maxAttempts: 5, initialInterval: 200 },
    timeout: { heartbeat: 3000 },
    ...extra,
  };
}

function job(name: string, steps: NodeSpecInput[]): JobSpecInput {
  // A CPU root: a multi-node DAG has no orphans.
  return { name, nodes: [{ id: 'root', type: 'command', config: { command: ['node'] } }, ...steps] };
}

function runOf(p: JobProgress, id: string): Run {
  const r = p.nodes.find((n) => n.id === id)?.output?.summary.result as Run | undefined;
  if (!r) throw new Error(`node ${id} has no result: ${JSON.stringify(p.nodes.find((n) => n.id === id))}`);
  return r;
}

function maxOverlap(runs: Run[]): number {
  return Math.max(0, ...runs.map((r) => runs.filter((o) => o.start <= r.start && r.start < o.end).length));
}

describe('GPU quotas (alice=1) over two GPU worker processes', () => {
  let prefix: string;
  let config: Config;
  let trainyard: JobService;
  let quotas: QuotaClient;
  const result = (id: string) => t.client.workflow.getHandle<() => Promise<JobProgress>>(id).result();
  const view = (id: string) => trainyard.getJobStatus(id);
  const waitingForQuota = (v: JobView) => v.nodes.filter((n) => n.live?.phase === 'waiting_for_quota');

  beforeAll(async () => {
    prefix = uniqueId('quota');
    config = loadConfig({
      TRAINYARD_HOME: t.tmpDir,
      TRAINYARD_QUEUE_PREFIX: prefix,
      TRAINYARD_GPUS: '1x16',
      TRAINYARD_ALLOWED_COMMANDS: 'node',
      TRAINYARD_GPU_QUOTAS: 'alice=1',
      TRAINYARD_GPU_QUOTA_SWEEP: '2s',
    });
    trainyard = new JobService(t.client, jobServiceConfigFrom(config));
    quotas = new QuotaClient(t.client, prefix, config.gpuQuotas);
    await Promise.all([gpuProcesses.start(prefix), gpuProcesses.start(prefix)]);
  }, 180_000);

  const withStack = <T>(fn: () => Promise<T>) =>
    withWorkers(t, bundle, prefix, testActivities(new Recorder()), fn, {
      workflowActivities: createWorkflowActivities(config),
    });

  test('alice holds one GPU at a time while bob uses the other; raising her quota applies at once', async () => {
    await withStack(async () => {
      const alice = await trainyard.submitJob(
        job(
          'alice',
          ['a1', 'a2', 'a3'].map((id) => gpuStep(id, 6000)),
        ),
        { owner: 'alice' },
      );
      // One runs; the other two wait for the quota, not for a GPU (the second GPU is free).
      const waiting = await waitFor(
        async () => {
          const v = await view(alice.id);
          const w = waitingForQuota(v);
          return w.length === 2 && w.every((n) => n.waitingFor?.held === 1) ? w : undefined;
        },
        { what: "two of alice's steps waiting for quota" },
      );
      expect(waiting[0]!.status).toBe('queued');
      expect(waiting[0]!.live!.message).toMatch(
        /over quota in pool default: needs 1 GPU; the owner holds 1 with a quota of 1/,
      );
      expect(waiting[0]!.waitingFor).toMatchObject({ reason: 'quota', pool: 'default', gpus: 1, held: 1, limit: 1 });
      expect((await quotas.get('default', 'alice')).held).toBe(1);

      // bob is not capped: his step runs on the free GPU while alice's wait.
      const bob = await trainyard.submitJob(job('bob', [gpuStep('b1', 1000)]), { owner: 'bob' });
      const bobRun = runOf(await result(bob.id), 'b1');

      const raisedAt = Date.now();
      const raised = await quotas.setLimit('default', 'alice', 2);
      expect(raised).toMatchObject({ limit: 2, explicitLimit: 2, held: 2 });

      const done = await result(alice.id);
      expect(done.status).toBe('completed');
      const runs = ['a1', 'a2', 'a3'].map((id) => runOf(done, id));
      const first = runs.reduce((a, b) => (a.start <= b.start ? a : b));
      // Before the raise: one at a time, and bob ran beside it on the other worker.
      expect(runs.filter((r) => r.start < raisedAt)).toHaveLength(1);
      expect(bobRun.start).toBeLessThan(first.end);
      const workerOf = (r: Run) => gpuProcesses.running().find((w) => r.outputDir.startsWith(w.workDir + '/'))?.pid;
      expect(workerOf(bobRun)).toBeDefined();
      expect(workerOf(bobRun)).not.toBe(workerOf(first));
      // After it: a second one started at once, beside the first — never three.
      expect(runs.some((r) => r !== first && r.start >= raisedAt && r.start < first.end)).toBe(true);
      expect(maxOverlap(runs)).toBe(2);
      await waitFor(async () => (await quotas.get('default', 'alice')).held === 0, { what: 'alice to hold nothing' });
    });
  }, 180_000);

  test('a GPU worker SIGKILLed mid-step leaks no lease; a terminated job’s lease is reclaimed by the sweep', async () => {
    await withStack(async () => {
      await quotas.setLimit('default', 'alice', 'default'); // back to TRAINYARD_GPU_QUOTAS: 1
      const long = await trainyard.submitJob(job('alice-long', [gpuStep('l', 8000)]), { owner: 'alice' });
      const ident = await waitFor(
        async () => {
          const pa = (await t.client.workflow.getHandle(long.id).describe()).raw.pendingActivities?.[0];
          return pa?.lastWorkerIdentity && pa.state === 2 ? pa.lastWorkerIdentity : undefined;
        },
        { what: 'the long step to start' },
      );
      const leaseBefore = (await quotas.get('default', 'alice')).leases.map((l) => l.leaseId);
      const victim = gpuProcesses.running().find((w) => ident.startsWith(`${w.pid}@`))!;
      process.kill(victim.pid, 'SIGKILL');
      const next = await trainyard.submitJob(job('alice-next', [gpuStep('n', 500)]), { owner: 'alice' });
      // The crashed step still holds alice's one lease while Temporal retries it elsewhere.
      await waitFor(async () => waitingForQuota(await view(next.id)).length === 1, { what: 'next to wait for quota' });
      const [rl, rn] = await Promise.all([result(long.id), result(next.id)]);
      expect(rl.nodes.find((n) => n.id === 'l')!.output!.meta!.attempt).toBeGreaterThanOrEqual(2);
      expect(runOf(rn, 'n').start).toBeGreaterThanOrEqual(runOf(rl, 'l').end);
      expect(leaseBefore).toEqual([`${long.id}/l#1`]);

      // A job terminated while it holds the lease: nothing releases it but the sweep (every 2 s here).
      const stuck = await trainyard.submitJob(job('alice-stuck', [gpuStep('s', 120_000)]), { owner: 'alice' });
      await waitFor(async () => (await quotas.get('default', 'alice')).leases.some((l) => l.jobId === stuck.id), {
        what: 'the stuck job to hold the lease',
      });
      const after = await trainyard.submitJob(job('alice-after', [gpuStep('x', 300)]), { owner: 'alice' });
      await waitFor(async () => waitingForQuota(await view(after.id)).length === 1, { what: 'after to wait' });
      const terminatedAt = Date.now();
      await t.client.workflow.getHandle(stuck.id).terminate('test: a job that never releases');
      const ra = await result(after.id);
      expect(ra.status).toBe('completed');
      expect(runOf(ra, 'x').start - terminatedAt).toBeLessThan(20_000);
      await waitFor(async () => (await quotas.get('default', 'alice')).held === 0, { what: 'alice to hold nothing' });
    });
  }, 240_000);

  test('pause (drain) takes a step waiting for quota back to pending; resume asks again and it runs', async () => {
    await withStack(async () => {
      const j = await trainyard.submitJob(job('alice-pause', [gpuStep('p1', 2500), gpuStep('p2', 300)]), {
        owner: 'alice',
      });
      await waitFor(async () => waitingForQuota(await view(j.id)).length === 1, { what: 'one step waiting' });
      await trainyard.pauseJob(j.id);
      const paused = await waitFor(
        async () => {
          const v = await view(j.id);
          return v.nodes.some((n) => n.status === 'pending' && ['p1', 'p2'].includes(n.id)) ? v : undefined;
        },
        { what: 'the waiting step back to pending' },
      );
      expect(waitingForQuota(paused)).toHaveLength(0);
      await waitFor(async () => (await quotas.get('default', 'alice')).waiting.length === 0, {
        what: 'the request withdrawn',
      });
      await trainyard.resumeJob(j.id);
      const done = await result(j.id);
      expect(done.status).toBe('completed');
      const [a, b] = [runOf(done, 'p1'), runOf(done, 'p2')].sort((x, y) => x.start - y.start);
      expect(b!.start).toBeGreaterThanOrEqual(a!.end);
    });
  }, 120_000);
});
