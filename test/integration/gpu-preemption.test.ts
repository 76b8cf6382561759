// Preemption notice on a GPU worker (README "Preemption"): two real GPU worker processes on one
// pool (the process code of workers/gpu.ts). A command step checkpoints every 50 epochs on its own
// and, when asked, at once (TRAINYARD_CHECKPOINT_NOW_FILE); it ignores SIGTERM (no checkpoint on the
// way out). Its worker gets a preemption notice at epoch ~73 — SIGTERM, or the notice endpoint a
// cloud agent calls — asks the step for a checkpoint now, drains, and the step resumes on the other
// worker from that checkpoint: at >= 73, not at 50.
import fs from 'node:fs';
import path from 'node:path';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import { startJobWorkflow } from '../../src/job-service/submission';
import { gpuProcessSuite, gpuScriptNode, type GpuWorkerProcess } from '../helpers/gpu-processes';
import { Recorder, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { uniqueId, waitFor } from '../helpers/temporal';

const suite = gpuProcessSuite();
const { gpuProcesses } = suite;

const EPOCHS = 150;

/** 100 ms epochs; a checkpoint every 50 epochs, or at once when the checkpoint-now file is there. */
function preemptibleNode(id: string): NodeSpecInput {
  const script = `
const fs=require('fs'),path=require('path');
const out=process.env.JOB_OUTPUT_DIR, now=process.env.TRAINYARD_CHECKPOINT_NOW_FILE;
const ck=process.env.TRAINYARD_RESUME_CHECKPOINT; const parent=process.ppid;
let e=ck?JSON.parse(fs.readFileSync(ck,'utf8')).epoch:0; const from=e;
const tick=()=>{ if(process.ppid!==parent) process.exit(1);
  if(e>=${EPOCHS}){console.log('TRAINYARD_RESULT '+JSON.stringify({from,worker:out}));return;}
  e++; fs.writeFileSync(path.join(out,'epoch.txt'),String(e));
  const asked=fs.existsSync(now); const p={epoch:e,epochs:${EPOCHS}};
  if(e%50===0||asked){ const f='ckpt-'+e+'.json'; fs.writeFileSync(path.join(out,f),JSON.stringify({epoch:e})); p.checkpoint=f; if(asked) fs.rmSync(now,{force:true}); }
  console.log('TRAINYARD_PROGRESS '+JSON.stringify(p)); setTimeout(tick,100); };
tick();`;
  return gpuScriptNode(id, script);
}

/** The epoch the step is at on this worker (its epoch.txt under the worker's workspaces), if it runs there. */
function localEpoch(w: GpuWorkerProcess): number | undefined {
  const found = fs.existsSync(w.workDir)
    ? fs.readdirSync(w.workDir, { recursive: true, encoding: 'utf8' }).filter((p) => path.basename(p) === 'epoch.txt')
    : [];
  const epochs = found.map((p) => Number(fs.readFileSync(path.join(w.workDir, p), 'utf8'))).filter(Number.isFinite);
  return epochs.length ? Math.max(...epochs) : undefined;
}

function resultOf(p: JobProgress): { from: number; worker: string } {
  return p.nodes[0]!.output!.summary.result as { from: number; worker: string };
}

async function preemptAt73(
  prefix: string,
  workers: [GpuWorkerProcess, GpuWorkerProcess],
  preempt: (w: GpuWorkerProcess) => Promise<void>,
): Promise<void> {
  await withWorkers(suite.t, suite.bundle, prefix, testActivities(new Recorder()), async () => {
    const h = await startJobWorkflow(
      suite.t.client,
      makeSnapshot(`${prefix}-job`, prefix, { nodes: [preemptibleNode('step')] }),
    );
    const [victim, other] = await waitFor(
      () => {
        if ((localEpoch(workers[0]) ?? 0) > 0) return workers;
        if ((localEpoch(workers[1]) ?? 0) > 0) return [workers[1], workers[0]] as const;
        return undefined;
      },
      { what: 'the step to start' },
    );
    await waitFor(() => ((localEpoch(victim) ?? 0) >= 73 ? true : undefined), { what: 'epoch 73', intervalMs: 20 });
    const epochAtNotice = localEpoch(victim)!;
    const exited = new Promise<number | null>((r) => victim.proc.once('exit', (code) => r(code)));
    await preempt(victim);
    expect(await exited).toBe(0);
    const log = victim.output.join('\n');
    expect(log).toMatch(/preemption notice \(.*\): asking 1 running step\(s\) for a checkpoint now/);
    expect(log).toMatch(/preemption: .*#1 checkpointed/);

    const result = await h.result();
    expect(result.status).toBe('completed');
    const res = resultOf(result);
    expect(result.nodes[0]!.output!.meta!.attempt).toBeGreaterThanOrEqual(2);
    expect(res.worker.startsWith(other.workDir + '/')).toBe(true);
    // Resumed from the checkpoint taken at the notice: not from epoch 50, its last periodic one, and
    // not from 100 (the drain's 2 s grace ends long before the step gets there).
    expect(epochAtNotice).toBeGreaterThanOrEqual(73);
    expect(res.from).toBeGreaterThanOrEqual(epochAtNotice);
    expect(res.from).toBeLessThan(100);
    console.log(`preemption: notice at epoch ${epochAtNotice}, resumed from epoch ${res.from} on the other worker`);
  });
}

const workerEnv = { TRAINYARD_SHUTDOWN_GRACE: '2s' };

test('when a GPU worker gets SIGTERM (preemption notice) at epoch ~73 of a step that checkpoints every 50, then the step resumes elsewhere at >= 73, not at 50', async () => {
  const prefix = uniqueId('preempt-term');
  const workers = await Promise.all([gpuProcesses.start(prefix, workerEnv), gpuProcesses.start(prefix, workerEnv)]);
  await preemptAt73(prefix, workers, async (w) => {
    process.kill(w.pid, 'SIGTERM');
  });
}, 240_000);

test('when a cloud agent POSTs the preemption notice endpoint at epoch ~73, then the step resumes elsewhere at >= 73', async () => {
  const prefix = uniqueId('preempt-http');
  const env = { ...workerEnv, TRAINYARD_PREEMPTION_PORT: '0' };
  const workers = await Promise.all([gpuProcesses.start(prefix, env), gpuProcesses.start(prefix, env)]);
  await preemptAt73(prefix, workers, async (w) => {
    const url = await waitFor(
      () => w.output.map((l) => /POST (http:\/\/127\.0\.0\.1:\d+\/preemption-notice)/.exec(l)?.[1]).find(Boolean),
      { what: 'the notice endpoint' },
    );
    const res = await fetch(url, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: true, steps: 1 });
  });
}, 240_000);
