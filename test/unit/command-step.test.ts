// The command runner against real subprocesses: output capture, progress → heartbeats, results,
// failures with the stderr tail, non-retryable exit codes, allowlist, and cancellation that leaves
// no process behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { makeCommandStep } from '../../activities/command';
import { testStorage } from '../helpers/storage';
import type { StepHeartbeat, StepInput, StepOutput } from '../../src/domain/step-io';
import { pidsWith, testSandbox } from '../helpers/sandbox';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-cmd-'));
const storage = testStorage(root);
const step = makeCommandStep({
  store: storage.artifacts,
  workspaces: storage.workspaces,
  sandbox: testSandbox({ workDir: path.join(root, '.trainyard-work'), allowedCommands: ['node'] }),
});

function input(config: Record<string, unknown>, nodeId = 'cmd'): StepInput {
  return {
    jobId: 'job-1',
    nodeId,
    nodeType: 'command',
    config,
    upstream: {},
    outputDir: 'runs/job-1',
    resources: { gpus: 0, gpuMemoryGb: 0 },
    priority: 3,
  };
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
    // JOB_OUTPUT_DIR is the node's workspace on this host, not the store.
    expect((out.summary.result as { out: string }).out).toBe(path.join(root, '.trainyard-work/runs/job-1/ok'));
    expect(beats.some((b) => b.percent === 50 && b.loss === 0.5)).toBe(true);
    const log = fs.readFileSync(storage.logFile('runs/job-1', 'ok'), 'utf8');
    expect(log).toContain('hi\n');
    expect(out.meta?.attempt).toBe(1);
  });

  it('when the command exits non-zero, then it fails retryably with the exit code and stderr tail', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env
      .run(step, input({ command: ['node', '-e', "console.error('boom: bad thing'); process.exit(3)"] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('CommandFailed');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('exited with code 3');
    expect(err.message).toContain('boom: bad thing');
  });

  it('when the exit code is listed as non-retryable, then the failure is non-retryable', async () => {
    const env = new MockActivityEnvironment();
    const err: any = await env
      .run(step, input({ command: ['node', '-e', 'process.exit(7)'], nonRetryableExitCodes: [7] }))
      .catch((e: unknown) => e);
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

  it('when cancelled, then every process of the step is gone and the step reports cancellation', async () => {
    const env = new MockActivityEnvironment();
    const marker = `grandchild-${process.pid}-${Date.now()}`;
    // The command starts a grandchild (in a new session) that would outlive a naive kill of the direct child.
    const script = `const { spawn } = require('child_process'); spawn('/usr/bin/setsid', [process.execPath, '-e', 'setInterval(()=>{},1000) // ' + ${JSON.stringify(marker.split('-'))}.join('-')], { stdio: 'ignore' }); console.log('TRAINYARD_PROGRESS {"percent":1}'); setInterval(()=>{},1000);`;
    const running = env
      .run(step, input({ command: ['node', '-e', script], killGraceMs: 2000 }, 'long'))
      .catch((e) => e);
    for (let i = 0; i < 100 && pidsWith(marker).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pidsWith(marker)).toHaveLength(1);
    env.cancel();
    const err = await running;
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(pidsWith(marker)).toEqual([]);
  });

  it("when a command step has three parents, then JOB_INPUT has each parent's output under its id", async () => {
    const env = new MockActivityEnvironment();
    const parent = async (id: string): Promise<StepOutput> => ({
      summary: { from: id },
      artifacts: [],
      refs: { [`${id}Ref`]: await storage.artifacts.put('runs/job-1', id, 'x', `from ${id}`, 'text/plain') },
    });
    // Each ref's uri is its local copy in the workspace (materialised from the store).
    const script = `const fs = require('fs'); const { fileURLToPath } = require('url'); const i = JSON.parse(process.env.JOB_INPUT); console.log('TRAINYARD_RESULT ' + JSON.stringify(Object.fromEntries(Object.entries(i.upstream).map(([k, v]) => [k, [v.summary.from, fs.readFileSync(fileURLToPath(v.refs[k + 'Ref'].uri), 'utf8')]]))))`;
    const out: StepOutput = await env.run(step, {
      ...input({ command: ['node', '-e', script] }, 'fanin'),
      upstream: { a: await parent('a'), b: await parent('b'), c: await parent('c') },
    });
    expect(out.summary.result).toEqual({ a: ['a', 'from a'], b: ['b', 'from b'], c: ['c', 'from c'] });
    // and it carries every parent's refs on to the steps below it
    expect(Object.keys(out.refs ?? {}).sort()).toEqual(['aRef', 'bRef', 'cRef']);
  });
});
