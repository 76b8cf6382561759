// Two GPU worker processes on one pool (the real process code of workers/gpu.ts, started with
// `npx tsx`): steps spread over both; SIGKILL of one mid-step moves its step to the other after the
// heartbeat timeout, and the step resumes from its checkpoint; the survivor's GPU is free again
// afterwards (it runs one more job). SIGTERM with a short grace drains a worker: its running step is
// cancelled with WORKER_SHUTDOWN, retried on the other worker from its checkpoint, and the drained
// worker exits 0.
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import type { StepHeartbeat } from '../../src/domain/step-io';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import { startJobWorkflow } from '../../src/job-service/submission';
import { GpuWorkerProcesses, gpuScriptNode, type GpuWorkerProcess } from '../helpers/gpu-processes';
import { Recorder, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
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

function startGpuWorker(prefix: string): Promise<GpuWorkerProcess> {
  return gpuProcesses.start(prefix);
}

/** A checkpointing GPU step: `epochs` epochs of 400 ms; resumes from TRAINYARD_RESUME_CHECKPOINT; exits when orphaned. */
function epochNode(id: string, epochs = 12): NodeSpecInput {
  const script = `
const fs=require('fs'),path=require('path');
const ck=process.env.TRAINYARD_RESUME_CHECKPOINT; const parent=process.ppid;
let e=ck?JSON.parse(fs.readFileSync(ck,'utf8')).epoch:0; const from=e;
const tick=()=>{ if(process.ppid!==parent) process.exit(1);
  if(e>=${epochs}){console.log('TRAINYARD_RESULT '+JSON.stringify({from,worker:process.env.JOB_OUTPUT_DIR,cuda:process.env.CUDA_VISIBLE_DEVICES}));return;}
  e++; fs.writeFileSync(path.join(process.env.JOB_OUTPUT_DIR,'ckpt.json'),JSON.stringify({epoch:e}));
  console.log('TRAINYARD_PROGRESS '+JSON.stringify({epoch:e,epochs:${epochs},checkpoint:'ckpt.json'})); setTimeout(tick,400); };
tick();`;
  return gpuScriptNode(id, script);
}

/** The last heartbeat Temporal recorded for the job's pending step, once it carries a checkpoint at `minEpoch` or later. */
async function recordedCheckpoint(
  h: {
    describe(): Promise<{
      raw: { pendingActivities?: { heartbeatDetails?: { payloads?: unknown[] | null } | null }[] | null };
    }>;
  },
  minEpoch: number,
): Promise<StepHeartbeat | undefined> {
  const payloads = (await h.describe()).raw.pendingActivities?.[0]?.heartbeatDetails?.payloads;
  const hb = payloads
    ? (fromPayloadsAtIndex(defaultPayloadConverter, 0, payloads as never) as StepHeartbeat)
    : undefined;
  return hb?.checkpoint && (hb.epoch ?? 0) >= minEpoch ? hb : undefined;
}

/** `worker`: the step's JOB_OUTPUT_DIR, under the workspaces of the worker that ran it. */
function resultOf(p: JobProgress): { from: number; worker: string; cuda: string } {
  return p.nodes[0]!.output!.summary.result as { from: number; worker: string; cuda: string };
}

test('when one of two GPU workers is SIGKILLed mid-step, then its step resumes from checkpoint on the other', async () => {
  const prefix = uniqueId('gpu-kill');
  const [w1, w2] = await Promise.all([startGpuWorker(prefix), startGpuWorker(prefix)]);
  expect(w1.output.join('\n')).toMatch(/SIMULATED GPUs/);
  await withWorkers(t, bundle, prefix, testActivities(new Recorder()), async () => {
    const a = await startJobWorkflow(t.client, makeSnapshot(`${prefix}-a`, prefix, { nodes: [epochNode('step')] }));
    const b = await startJobWorkflow(t.client, makeSnapshot(`${prefix}-b`, prefix, { nodes: [epochNode('step')] }));
    // Each worker has one GPU, so the two steps must spread over both. Find who runs job a.
    const runningOn = async (h: typeof a) => {
      const pa = (await h.describe()).raw.pendingActivities?.[0];
      return pa?.heartbeatDetails && pa.lastWorkerIdentity ? pa.lastWorkerIdentity : undefined;
    };
    const identA = await waitFor(() => runningOn(a), { what: 'job a to heartbeat' });
    const identB = await waitFor(() => runningOn(b), { what: 'job b to heartbeat' });
    expect(identA).not.toBe(identB);
    const victim = identA.startsWith(`${w1.pid}@`) ? w1 : w2;
    const survivor = victim === w1 ? w2 : w1;
    // Let job a checkpoint a few epochs, then kill its worker.
    // …until Temporal has recorded a heartbeat that carries a checkpoint (only sent heartbeats survive a crash).
    const recorded = await waitFor(() => recordedCheckpoint(a, 2), { what: 'job a to record a checkpoint' });
    const killedAt = Date.now();
    // The worker process itself (npx is only its launcher).
    process.kill(victim.pid, 'SIGKILL');
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(ra.status).toBe('completed');
    expect(rb.status).toBe('completed');
    const resA = resultOf(ra);
    // Resumed from a checkpoint, on the survivor, after the heartbeat timeout.
    expect(resA.from).toBeGreaterThanOrEqual(recorded.epoch!);
    expect(ra.nodes[0]!.output!.meta!.attempt).toBeGreaterThanOrEqual(2);
    expect(Date.parse(ra.nodes[0]!.output!.meta!.startedAt)).toBeGreaterThan(killedAt + 2500);
    expect(resA.worker.startsWith(survivor.workDir + '/')).toBe(true);
    expect(resultOf(rb)).toMatchObject({ from: 0, cuda: '0' });
    expect(resultOf(rb).worker.startsWith(survivor.workDir + '/')).toBe(true);
    // The survivor's single GPU is free again: it runs one more job.
    const c = await startJobWorkflow(t.client, makeSnapshot(`${prefix}-c`, prefix, { nodes: [epochNode('step')] }));
    expect((await c.result()).status).toBe('completed');
    expect(survivor.proc.exitCode).toBeNull();
  });
  // SIGTERM drains the survivor and it exits 0.
  const survivor = [w1, w2].find((w) => w.proc.exitCode === null && w.proc.signalCode === null)!;
  const exited = new Promise<number | null>((r) => survivor.proc.once('exit', (code) => r(code)));
  process.kill(survivor.pid, 'SIGTERM');
  expect(await exited).toBe(0);
  expect(survivor.output.join('\n')).toMatch(/draining/);
}, 240_000);

test('when a GPU worker is drained (SIGTERM, 1 s grace) mid-step, then the step is retried on the other worker from its checkpoint and the drained worker exits 0', async () => {
  const prefix = uniqueId('gpu-drain');
  const [w1, w2] = await Promise.all([startGpuWorker(prefix), startGpuWorker(prefix)]);
  await withWorkers(t, bundle, prefix, testActivities(new Recorder()), async () => {
    // 30 epochs of 400 ms: far longer than the 1 s grace.
    const h = await startJobWorkflow(
      t.client,
      makeSnapshot(`${prefix}-job`, prefix, { nodes: [epochNode('step', 30)] }),
    );
    const ident = await waitFor(
      async () => {
        const pa = (await h.describe()).raw.pendingActivities?.[0];
        return pa?.heartbeatDetails && pa.lastWorkerIdentity ? pa.lastWorkerIdentity : undefined;
      },
      { what: 'the step to heartbeat' },
    );
    const drained = ident.startsWith(`${w1.pid}@`) ? w1 : w2;
    const other = drained === w1 ? w2 : w1;
    const recorded = await waitFor(() => recordedCheckpoint(h, 3), { what: 'a recorded checkpoint' });
    const exited = new Promise<number | null>((r) => drained.proc.once('exit', (code) => r(code)));
    const drainedAt = Date.now();
    process.kill(drained.pid, 'SIGTERM');
    // The drained worker gives the step its grace, cancels it, reports the attempt and exits 0.
    expect(await exited).toBe(0);
    const exitedAfterMs = Date.now() - drainedAt;
    const log = drained.output.join('\n');
    expect(log).toMatch(/draining/);
    expect(log).toMatch(/drained; exiting/);

    const result = await h.result();
    expect(result.status).toBe('completed');
    const step = result.nodes[0]!;
    const res = resultOf(result);
    expect(step.output!.meta!.attempt).toBeGreaterThanOrEqual(2);
    expect(res.worker.startsWith(other.workDir + '/')).toBe(true);
    // Resumed from the last recorded checkpoint, not from epoch 0.
    expect(res.from).toBeGreaterThanOrEqual(recorded.epoch!);
    // The step had its grace, and its attempt ended with the drain: the retry started before the
    // 3 s heartbeat timeout could have expired on a vanished worker.
    expect(exitedAfterMs).toBeGreaterThanOrEqual(900);
    const retryAfterMs = Date.parse(step.output!.meta!.startedAt) - drainedAt;
    expect(retryAfterMs).toBeLessThan(exitedAfterMs + 2500);
    console.log(
      `drain: worker exited ${exitedAfterMs} ms after SIGTERM, retry started ${retryAfterMs} ms after SIGTERM; checkpoint recorded at epoch ${recorded.epoch}; resumed from epoch ${res.from} on attempt ${step.output!.meta!.attempt}`,
    );
    expect(other.proc.exitCode).toBeNull();
  });
}, 240_000);
