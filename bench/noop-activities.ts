// The no-op step used by the orchestration and scale benchmarks: registered under a node-type name
// (`command`) in the bench worker, and called by both the job workflow and the baseline workflows.
import { spawn } from 'node:child_process';
import { Context } from '@temporalio/activity';
import type { StepInput, StepOutput } from '../src/domain/step-io';

export async function noopStep(_input: StepInput): Promise<StepOutput> {
  return { summary: {}, artifacts: [] };
}

/** A step that stays running (heartbeating) until cancelled: keeps jobs "running" for status reads. */
export async function holdStep(_input: StepInput): Promise<StepOutput> {
  const ctx = Context.current();
  for (;;) {
    ctx.heartbeat({ phase: 'running', percent: 50, message: 'holding' });
    await ctx.sleep(1000);
  }
}

/** A no-op step that heartbeats once as it starts, as the command step does (one extra RPC per step). */
export async function heartbeatOnceStep(_input: StepInput): Promise<StepOutput> {
  Context.current().heartbeat({ phase: 'running' });
  return { summary: {}, artifacts: [] };
}

/** The baseline's `/bin/true` step: the same process start the command step does, and nothing else. */
export async function trueStep(_input: StepInput): Promise<StepOutput> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true exited ${code}`))));
  });
  return { summary: {}, artifacts: [] };
}
