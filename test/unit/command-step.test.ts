// The command runner against real subprocesses: output capture, progress → heartbeats, results,
// failures with the stderr tail, non-retryable exit codes, allowlist, and cancellation that leaves
// no process behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { makeCommandStep } from '../../activities/command';
import { LocalArtifactStore } from '../../src/artifacts/local-store';
import type { StepHeartbeat, StepInput, StepOutput } from '../../src/domain/step-io';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-cmd-'));
const store = new LocalArtifactStore(root);
const step = makeCommandStep({ store, allowedCommands: ['node'] });

function input(config: Record<string, unknown>, nodeId = 'cmd'): StepInput {
  return { jobId: 'job-1', nodeId, nodeType: 'command', config, upstream: {}, outputDir: 'runs/job-1', resources: { gpus: 0, gpuMemoryGb: 0 }, priority: 3 };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('command step', () => {
  it('when the command succeeds, then stdout is logged and TRAINYARD_RESULT becomes the output', async () => {
    const env = new MockActivityEnvironment();
    const beats: StepHeartbeat[] = [];
    env.on('heartbeat', (d: StepHeartbeat) => beats.push(d));
    const script = `console.log('hi'); console.log('TRAINYARD_PROGRESS ' + JSON.stringify({percent: 50, epoch: 1, epochs: 2, loss: 0.5})); console.log('TRAINYARD_RESULT ' + JSON.stringify({answer: 42, out: process.env.JOB_OUTPUT_DIR, cuda: process.env.CUDA_VISIBLE_DEVICES}))`;
    const out: StepOutput = await env.run(step, input({ command: ['node', '-e', script] }, 'ok'));
    expect(out.summary.exitCode).toBe(0);
    expect(out.summary.result).toMatchObject({ answer: 42, cuda: '' });
    expect((out.summary.result as { out: string }).out).toBe(path.join(root, 'runs/job-1/ok'));
    expect(beats.some((b) => b.percent === 50 && b.loss === 0.5)).toBe(true);
    const log = fs.readFileSync(store.logPath('runs/job-1', 'ok'), 'utf8');
    expect(log).toContain('hi\n');
    expect(out.meta?.attempt).toBe(1);
  });

  it('when the command exits non-zero, then it fails retryably with the exit code and stderr tail', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env.run(step, input({ command: ['node', '-e', "console.error('boom: bad thing'); process.exit(3)"] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('CommandFailed');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('boom: bad thing');
  });

  it('when the exit code is listed as non-retryable, then the failure is non-retryable', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env.run(step, input({ command: ['node', '-e', 'process.exit(7)'], nonRetryableExitCodes: [7] })).catch((e: unknown) => e);
    expect(err.type).toBe('CommandExitNonRetryable');
    expect(err.nonRetryable).toBe(true);
  });

  it('when the executable is not on the allowlist, then it fails non-retryably naming the field', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env.run(step, input({ command: ['bash', '-c', 'echo hi'] })).catch((e: unknown) => e);
    expect(err.type).toBe('CommandNotAllowed');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('config.command[0]');
  });

  it('when the config is invalid, then it fails non-retryably naming the field', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env.run(step, input({ command: 'node -e 1' })).catch((e: unknown) => e);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('config.command');
  });

  it('when cancelled, then the whole process group is gone and the step reports cancellation', async () => {
    const env = new MockActivityEnvironment();
    const pidFile = path.join(root, 'grandchild.pid');
    // The command starts a grandchild that would outlive a naive kill of the direct child.
    const script = `const { spawn } = require('child_process'); const c = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); console.log('TRAINYARD_PROGRESS {"percent":1}'); setInterval(()=>{},1000);`;
    const running = env.run(step, input({ command: ['node', '-e', script], killGraceMs: 2000 }, 'long')).catch((e) => e);
    for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(grandchild)).toBe(true);
    env.cancel();
    const err = await running;
    expect(err).toBeInstanceOf(CancelledFailure);
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
  });
});
