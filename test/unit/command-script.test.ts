// examples/scripts/train_softmax.py through the real command runner: a user's training script
// reading its upstream dataset, reporting progress and checkpoints, and resuming from one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { makeCommandStep } from '../../activities/command';
import { makeDatasetStep } from '../../activities/dataset';
import { LocalArtifactStore } from '../../src/artifacts/local-store';
import type { StepHeartbeat, StepInput, StepOutput } from '../../src/domain/step-io';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-script-'));
const store = new LocalArtifactStore(root);
const scriptsDir = path.resolve(__dirname, '..', '..', 'examples', 'scripts');
const command = makeCommandStep({ store, allowedCommands: ['python3'], scriptsDir });
const base = { jobId: 'job-s', outputDir: 'runs/job-s', resources: { gpus: 0, gpuMemoryGb: 0 }, priority: 3 };

let data: StepOutput;
beforeAll(async () => {
  const dataset = makeDatasetStep({ store, dataRoot: root });
  data = await new MockActivityEnvironment().run(dataset, { ...base, nodeId: 'data', nodeType: 'dataset', config: { name: 'iris' }, upstream: {} } as StepInput);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const trainInput = (nodeId: string): StepInput => ({
  ...base,
  nodeId,
  nodeType: 'command',
  upstream: { data },
  config: { command: ['python3', '{scripts}/train_softmax.py'], env: { EPOCHS: '30', CHECKPOINT_EVERY: '10' } },
});

describe('a training script as a command step', () => {
  it('when it runs, then progress and checkpoints arrive as heartbeats and its result is the output', async () => {
    const env = new MockActivityEnvironment();
    const beats: StepHeartbeat[] = [];
    env.on('heartbeat', (d: StepHeartbeat) => beats.push(d));
    const out: StepOutput = await env.run(command, trainInput('train'));
    const result = out.summary.result as { testAccuracy: number; resumedFromEpoch: number | null; cudaVisibleDevices: string };
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(result.resumedFromEpoch).toBeNull();
    expect(result.cudaVisibleDevices).toBe('');
    expect(beats.some((b) => b.epoch === 30 && b.percent === 100)).toBe(true);
    expect(beats.find((b) => b.epoch === 20)?.checkpoint?.name).toBe('ckpt-epoch00020.json');
  });

  it('when retried with a checkpoint in its heartbeat details, then it resumes from that epoch', async () => {
    const first = new MockActivityEnvironment();
    const beats: StepHeartbeat[] = [];
    first.on('heartbeat', (d: StepHeartbeat) => beats.push(d));
    await first.run(command, trainInput('resume'));
    const checkpoint = beats.find((b) => b.epoch === 20)!.checkpoint!;
    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { checkpoint } });
    const out: StepOutput = await retry.run(command, trainInput('resume'));
    expect((out.summary.result as { resumedFromEpoch: number }).resumedFromEpoch).toBe(20);
    expect(fs.readFileSync(store.logPath('runs/job-s', 'resume'), 'utf8')).toContain('resumed from checkpoint at epoch 20');
  });

  it('when an argument tries to leave the scripts folder, then the step fails without retry', async () => {
    const env = new MockActivityEnvironment();
    const bad = { ...trainInput('escape'), config: { command: ['python3', '{scripts}/../../package.json'] } };
    const err = (await env.run(command, bad).catch((e: unknown) => e)) as { type: string; nonRetryable: boolean };
    expect(err.type).toBe('CommandScriptsEscape');
    expect(err.nonRetryable).toBe(true);
  });
});
