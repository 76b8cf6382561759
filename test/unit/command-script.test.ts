// examples/scripts/train_softmax.py through the real command runner: a user's training script
// reading its upstream dataset, reporting progress and checkpoints, and resuming from one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CheckpointRequests } from '../../activities/checkpoint-requests';
import { makeCommandStep } from '../../activities/command';
import { makeDatasetStep } from '../../activities/dataset';
import { makeVisualizeStep } from '../../activities/visualize';
import { testStorage } from '../helpers/storage';
import type { StepHeartbeat, StepInput, StepOutput } from '../../src/domain/step-io';
import { testSandbox } from '../helpers/sandbox';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-script-'));
const storage = testStorage(root);
const store = storage.artifacts;
const scriptsDir = path.resolve(__dirname, '..', '..', 'examples', 'scripts');
const stepKitDir = path.resolve(__dirname, '..', '..', 'clients', 'python');
const checkpointRequests = new CheckpointRequests();
const command = makeCommandStep({
  store,
  workspaces: storage.workspaces,
  sandbox: testSandbox({
    workDir: path.join(root, '.trainyard-work'),
    allowedCommands: ['python3'],
    scriptsDir,
    stepKitDir,
  }),
  scriptsDir,
  checkpointRequests,
});
const base = { jobId: 'job-s', outputDir: 'runs/job-s', resources: { gpus: 0, gpuMemoryGb: 0 }, priority: 3 };

let data: StepOutput;
beforeAll(async () => {
  const dataset = makeDatasetStep({ store, dataRoot: root });
  data = await new MockActivityEnvironment().run(dataset, {
    ...base,
    nodeId: 'data',
    nodeType: 'dataset',
    config: { name: 'iris' },
    upstream: {},
  } as StepInput);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const trainInput = (nodeId: string, env: Record<string, string> = {}): StepInput => ({
  ...base,
  nodeId,
  nodeType: 'command',
  upstream: { data },
  config: {
    command: ['python3', '{scripts}/train_softmax.py'],
    env: { EPOCHS: '30', CHECKPOINT_EVERY: '10', ...env },
    killGraceMs: 20_000,
  },
});

interface Result {
  weightsSha256: string;
  resumedFromEpoch: number | null;
}

/** Waits until a heartbeat satisfies `pred`. */
function heartbeatWhere(env: MockActivityEnvironment, pred: (b: StepHeartbeat) => boolean): Promise<StepHeartbeat> {
  return new Promise((resolve) => {
    const on = (b: StepHeartbeat) => {
      if (!pred(b)) return;
      env.off('heartbeat', on);
      resolve(b);
    };
    env.on('heartbeat', on);
  });
}

describe('a training script as a command step', () => {
  it('when it runs, then progress and checkpoints arrive as heartbeats and its result is the output', async () => {
    const env = new MockActivityEnvironment();
    const beats: StepHeartbeat[] = [];
    env.on('heartbeat', (d: StepHeartbeat) => beats.push(d));
    const out: StepOutput = await env.run(command, trainInput('train'));
    const result = out.summary.result as {
      testAccuracy: number;
      resumedFromEpoch: number | null;
      cudaVisibleDevices: string;
    };
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.85);
    expect(result.resumedFromEpoch).toBeNull();
    expect(result.cudaVisibleDevices).toBe('');
    expect(beats.some((b) => b.epoch === 30 && b.percent === 100)).toBe(true);
    // A reported checkpoint is uploaded off the line handler; a later heartbeat carries its ref (newest
    // wins: one reported while an older one still uploads may replace it).
    const carried = beats
      .filter((b) => b.checkpoint)
      .map((b) => [Number(/epoch(\d+)/.exec(b.checkpoint!.name)![1]), b.epoch!]);
    expect(carried.length).toBeGreaterThan(0);
    for (const [ckptEpoch, epoch] of carried) expect(epoch).toBeGreaterThanOrEqual(ckptEpoch!);
    // Every progress report is kept as the node's metrics history, with any numeric key.
    expect(out.artifacts.map((a) => a.name)).toEqual(['output.log', 'metrics.jsonl']);
    const points = fs
      .readFileSync(storage.file('runs/job-s/train/metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch: number; loss: number; attempt: number; metrics: Record<string, number> });
    expect(points.map((p) => p.epoch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(points[0]).toMatchObject({ attempt: 1, metrics: { lr: 0.1 } });
    expect(beats.find((b) => b.epoch === 5)?.metrics).toEqual({ lr: 0.1 });
  });

  it('when retried with a checkpoint in its heartbeat details, then it resumes from that epoch', async () => {
    const first = new MockActivityEnvironment();
    const beats: StepHeartbeat[] = [];
    first.on('heartbeat', (d: StepHeartbeat) => beats.push(d));
    await first.run(command, trainInput('resume'));
    const checkpoint = beats.find((b) => b.checkpoint && b.checkpoint.name !== 'ckpt-epoch00030.json')!.checkpoint!;
    const at = Number(/epoch(\d+)/.exec(checkpoint.name)![1]);
    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { checkpoint } });
    const out: StepOutput = await retry.run(command, trainInput('resume'));
    expect((out.summary.result as { resumedFromEpoch: number }).resumedFromEpoch).toBe(at);
    expect(fs.readFileSync(storage.logFile('runs/job-s', 'resume'), 'utf8')).toContain(
      `resumed from checkpoint at epoch ${at}`,
    );
  });

  it('when an argument tries to leave the scripts folder, then the step fails without retry', async () => {
    const env = new MockActivityEnvironment();
    const bad = { ...trainInput('escape'), config: { command: ['python3', '{scripts}/../../package.json'] } };
    const err = (await env.run(command, bad).catch((e: unknown) => e)) as { type: string; nonRetryable: boolean };
    expect(err.type).toBe('CommandScriptsEscape');
    expect(err.nonRetryable).toBe(true);
  });

  it('when SIGTERM arrives while it trains (pause now, cancel, drain), then it checkpoints where it is and a resumed run ends with the uninterrupted weights', async () => {
    const slow = { EPOCH_DELAY_MS: '40' };
    const whole: StepOutput = await new MockActivityEnvironment().run(command, trainInput('whole', slow));
    const wholeResult = whole.summary.result as Result;

    const first = new MockActivityEnvironment();
    const running = first.run(command, trainInput('stopped', slow));
    await heartbeatWhere(first, (b) => (b.epoch ?? 0) >= 12);
    first.cancel();
    const err = (await running.catch((e: unknown) => e)) as { name: string; details: StepHeartbeat[] };
    expect(err.name).toBe('CancelledFailure');
    const checkpoint = err.details[0]!.checkpoint!;
    // The SIGTERM handler wrote it: not one of the every-10-epochs checkpoints.
    expect(checkpoint.name).not.toMatch(/^ckpt-epoch0001[0]\.json$/);
    expect(checkpoint.name).toMatch(/^ckpt-epoch000(1[2-9]|2\d)/);
    const log = fs.readFileSync(storage.logFile('runs/job-s', 'stopped'), 'utf8');
    expect(log).toMatch(/SIGTERM: checkpointed at/);

    const resumed = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { checkpoint } });
    const out: StepOutput = await resumed.run(command, trainInput('stopped', slow));
    const result = out.summary.result as Result;
    expect(result.resumedFromEpoch).toBeGreaterThanOrEqual(11);
    expect(result.weightsSha256).toBe(wholeResult.weightsSha256);
  });

  it('when a checkpoint-now request comes (preemption notice), then the script checkpoints at once and carries on', async () => {
    const env = new MockActivityEnvironment();
    const running = env.run(command, trainInput('notice', { EPOCH_DELAY_MS: '40', CHECKPOINT_EVERY: '1000' }));
    await heartbeatWhere(env, (b) => (b.epoch ?? 0) >= 5);
    // The step kit announces SIGUSR1 when its handlers are installed (first should_checkpoint call).
    const [answer] = await checkpointRequests.requestAll({
      reason: 'preemption',
      deadlineMs: Date.now() + 10_000,
    });
    expect(answer?.checkpoint?.name).toMatch(/^ckpt-epoch000(0[5-9]|[1-2]\d)/);
    const out = (await running) as StepOutput;
    expect((out.summary.result as Result).resumedFromEpoch).toBeNull();
    expect(checkpointRequests.size).toBe(0);
    expect(fs.existsSync(storage.file('runs/job-s/notice/.trainyard-checkpoint-now'))).toBe(false);
  });

  it('when visualize follows a command node, then it plots the metrics history the script reported', async () => {
    const out = (await new MockActivityEnvironment().run(
      command,
      trainInput('plotted', { EPOCHS: '12' }),
    )) as StepOutput;
    const visualize = makeVisualizeStep({ store, dataRoot: root });
    const viz = (await new MockActivityEnvironment().run(visualize, {
      ...base,
      nodeId: 'viz',
      nodeType: 'visualize',
      config: {},
      upstream: { plotted: out },
    } as StepInput)) as StepOutput;
    expect(viz.artifacts.map((a) => a.name)).toEqual(['plots/metrics-plotted.svg']);
    const svg = (await store.get(viz.artifacts[0]!)).toString('utf8');
    expect(svg).toContain('Metrics reported by plotted');
    expect(svg).toContain('loss');
  });
});
