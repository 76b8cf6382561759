import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CheckpointRequests } from '../../activities/checkpoint-requests';
import { createMlSteps, type MlSteps } from '../../activities/ml-steps';
import type { ModelArtifact } from '../../activities/train';
import type { Artifacts } from '../../src/storage/artifacts';
import { testStorage, type TestStorage } from '../helpers/storage';
import type { NodeType } from '../../src/domain/node-types';
import type { ArtifactRef, StepHeartbeat, StepInput, StepOutput } from '../../src/domain/step-io';

let root: string;
let store: Artifacts;
let storage: TestStorage;
let steps: MlSteps;
const checkpointRequests = new CheckpointRequests();

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-steps-'));
  storage = testStorage(root);
  store = storage.artifacts;
  steps = createMlSteps({ store, dataRoot: path.join(root, 'data'), checkpointRequests });
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function input(
  job: string,
  nodeId: string,
  nodeType: NodeType,
  config: unknown,
  upstream: Record<string, StepOutput> = {},
): StepInput {
  return {
    jobId: job,
    nodeId,
    nodeType,
    config,
    upstream,
    outputDir: `runs/${job}`,
    resources: { gpus: 0, gpuMemoryGb: 0 },
    priority: 3,
  };
}

async function run(
  step: (i: StepInput) => Promise<StepOutput>,
  inp: StepInput,
  opts: {
    attempt?: number;
    heartbeatDetails?: unknown;
    onHeartbeat?: (d: StepHeartbeat, env: MockActivityEnvironment) => void;
  } = {},
): Promise<{ out: StepOutput; beats: StepHeartbeat[] }> {
  const env = new MockActivityEnvironment(
    { attempt: opts.attempt ?? 1, heartbeatDetails: opts.heartbeatDetails },
    { logger: new DefaultLogger('ERROR') },
  );
  const beats: StepHeartbeat[] = [];
  env.on('heartbeat', (d: StepHeartbeat) => {
    beats.push(d);
    opts.onHeartbeat?.(d, env);
  });
  const out = (await env.run(step, inp)) as StepOutput;
  return { out, beats };
}

/** dataset → split → preprocess, returning the preprocess output. */
async function prepare(job: string, name: string, pre: Record<string, unknown> = {}): Promise<StepOutput> {
  const ds = (await run(steps.dataset, input(job, 'data', 'dataset', { name }))).out;
  const sp = (await run(steps.split, input(job, 'split', 'split', {}, { data: ds }))).out;
  return (await run(steps.preprocess, input(job, 'prep', 'preprocess', pre, { split: sp }))).out;
}

describe('ML steps (MockActivityEnvironment)', () => {
  test('iris pipeline: train → export → evaluate the ONNX file → visualize', async () => {
    const prep = await prepare('iris', 'iris');
    expect(prep.refs).toEqual(
      expect.objectContaining({
        dataset: expect.anything(),
        trainData: expect.anything(),
        testData: expect.anything(),
        preprocessor: expect.anything(),
      }),
    );
    const { out: train, beats } = await run(steps.train, input('iris', 'train', 'train', {}, { prep }));
    const running = beats.filter((b) => b.phase === 'running');
    expect(running.map((b) => b.epoch)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(running[0]).toEqual(
      expect.objectContaining({ epochs: 100, loss: expect.any(Number), valMetric: expect.any(Number), percent: 1 }),
    );
    expect(beats.some((b) => b.checkpoint?.path === 'runs/iris/train/checkpoints/epoch-000010.json')).toBe(true);

    const { out: exp } = await run(steps.export, input('iris', 'export', 'export', {}, { train }));
    const parity = exp.summary.parity as { maxAbsDiff: number; passed: boolean };
    expect(parity.passed).toBe(true);
    expect(parity.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(exp.summary.executionProvider).toBe('cpu');
    const latency = exp.summary.latency as { batch: number; p50Ms: number; p99Ms: number }[];
    expect(latency.map((l) => l.batch)).toEqual([1, 256]);
    expect(latency.every((l) => l.p50Ms > 0 && l.p99Ms >= l.p50Ms)).toBe(true);
    const onnx = exp.refs!.onnx!;
    expect((await fs.stat(storage.file(onnx.path))).size).toBe(onnx.size);
    const card = JSON.parse((await store.get(exp.refs!.modelCard!)).toString());
    expect(card).toEqual(
      expect.objectContaining({
        format: expect.objectContaining({ type: 'onnx', opset: 13 }),
        inputs: [expect.objectContaining({ name: 'input', shape: ['N', 4], dtype: 'float32' })],
        executionProvider: 'cpu',
        data: expect.objectContaining({ datasetSha256: expect.any(String) }),
      }),
    );

    const { out: ev, beats: evBeats } = await run(
      steps.evaluate,
      input('iris', 'evaluate', 'evaluate', {}, { export: exp }),
    );
    expect(ev.summary.source).toBe('onnx file runs/iris/export/model.onnx');
    const metrics = ev.summary.metrics as Record<string, number>;
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(metrics).toEqual(
      expect.objectContaining({
        precisionMacro: expect.any(Number),
        recallMacro: expect.any(Number),
        f1Macro: expect.any(Number),
      }),
    );
    expect(evBeats.at(-1)?.metrics?.accuracy).toBe(metrics.accuracy);

    const { out: viz } = await run(steps.visualize, input('iris', 'viz', 'visualize', {}, { evaluate: ev }));
    const plots = viz.summary.plots as { kind: string; path: string }[];
    expect(plots.map((p) => p.kind)).toEqual(['loss', 'confusion']);
    for (const p of plots) expect((await fs.readFile(storage.file(p.path), 'utf8')).startsWith('<svg')).toBe(true);
    const listed = await store.listAll('runs/iris');
    expect(listed.map((r) => r.path)).toEqual(
      expect.arrayContaining(['runs/iris/export/model.onnx', 'runs/iris/viz/plots/loss.svg']),
    );
  });

  test('breast cancer: default MLP, evaluated through ONNX converted in memory, ROC-AUC ≥ 0.97, ROC plot', async () => {
    const prep = await prepare('bc', 'breast_cancer');
    const { out: train } = await run(steps.train, input('bc', 'train', 'train', {}, { prep }));
    const { out: ev } = await run(steps.evaluate, input('bc', 'evaluate', 'evaluate', {}, { train }));
    expect(ev.summary.source).toBe('trained model converted to ONNX in memory');
    expect((ev.summary.metrics as Record<string, number>).rocAuc).toBeGreaterThanOrEqual(0.97);
    const { out: viz } = await run(
      steps.visualize,
      input('bc', 'viz', 'visualize', { plots: ['roc'] }, { evaluate: ev }),
    );
    expect((viz.summary.plots as { kind: string }[]).map((p) => p.kind)).toEqual(['roc']);
  });

  test('regression (cars, with missing values and a categorical column): export + evaluate + predicted-vs-actual', async () => {
    const prep = await prepare('cars', 'cars', { impute: 'median' });
    const { out: train } = await run(
      steps.train,
      input('cars', 'train', 'train', { model: 'mlp_regressor', epochs: 60 }, { prep }),
    );
    const { out: exp } = await run(steps.export, input('cars', 'export', 'export', { latencyRuns: 5 }, { train }));
    expect((exp.summary.parity as { passed: boolean }).passed).toBe(true);
    const { out: ev } = await run(steps.evaluate, input('cars', 'evaluate', 'evaluate', {}, { export: exp }));
    const m = ev.summary.metrics as Record<string, number>;
    expect(m.r2).toBeGreaterThan(0.7);
    expect(m.rmse).toBeGreaterThan(0);
    const { out: viz } = await run(steps.visualize, input('cars', 'viz', 'visualize', {}, { evaluate: ev }));
    expect((viz.summary.plots as { kind: string }[]).map((p) => p.kind)).toEqual(['loss', 'pred_vs_actual']);
  });

  test('train resumed from a checkpoint continues at that epoch and ends with the same weights as an uninterrupted run', async () => {
    const cfg = { epochs: 30, checkpointEvery: 5 };
    const prep = await prepare('resume', 'iris');
    const straight = (await run(steps.train, input('resume-a', 'train', 'train', cfg, { prep }))).out;

    // First attempt: cancelled (as a crashed/stopped attempt) after epoch 12; its last checkpoint is epoch 10.
    const beatsA: StepHeartbeat[] = [];
    await expect(
      run(steps.train, input('resume-b', 'train', 'train', cfg, { prep }), {
        onHeartbeat: (d, env) => {
          beatsA.push(d);
          if (d.epoch === 12 && d.phase === 'running') env.cancel();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledFailure);
    const last = beatsA.at(-1)!;
    expect(last.checkpoint?.path).toBe('runs/resume-b/train/checkpoints/epoch-000010.json');

    // Retry: Temporal hands the last heartbeat back as heartbeatDetails.
    const { out, beats } = await run(steps.train, input('resume-b', 'train', 'train', cfg, { prep }), {
      attempt: 2,
      heartbeatDetails: last,
    });
    expect(beats.find((b) => b.phase === 'running')?.epoch).toBe(11);
    expect(out.summary.resumedFromEpoch).toBe(10);
    const log = await fs.readFile(storage.logFile('runs/resume-b', 'train'), 'utf8');
    expect(log).toContain('resumed from checkpoint at epoch 10');
    const a = JSON.parse((await store.get(straight.refs!.model!)).toString()) as ModelArtifact;
    const b = JSON.parse((await store.get(out.refs!.model!)).toString()) as ModelArtifact;
    expect(b.model).toEqual(a.model);
    const ha = JSON.parse((await store.get(straight.refs!.lossHistory!)).toString());
    const hb = JSON.parse((await store.get(out.refs!.lossHistory!)).toString());
    expect(hb).toEqual(ha);
  });

  test('when a checkpoint-now request (preemption notice) comes, then train checkpoints at the end of the epoch in progress, and a retry resumes there', async () => {
    const cfg = { epochs: 200, checkpointEvery: 50, epochDelayMs: 10 };
    const prep = await prepare('notice', 'iris');
    let answered: Promise<unknown> | undefined;
    const beats: StepHeartbeat[] = [];
    await expect(
      run(steps.train, input('notice', 'train', 'train', cfg, { prep }), {
        onHeartbeat: (d, env) => {
          beats.push(d);
          if (d.epoch === 73 && d.phase === 'running' && !answered) {
            answered = checkpointRequests.requestAll({ reason: 'preemption', deadlineMs: Date.now() + 10_000 });
            void answered.then(() => setTimeout(() => env.cancel(), 30));
          }
        },
      }),
    ).rejects.toBeInstanceOf(CancelledFailure);
    const [answer] = (await answered) as { step: string; checkpoint?: ArtifactRef }[];
    expect(answer?.step).toBe('notice/train#1');
    expect(answer?.checkpoint?.path).toBe('runs/notice/train/checkpoints/epoch-000074.json');
    expect(checkpointRequests.size).toBe(0);
    const last = beats.at(-1)!;
    expect(last.checkpoint?.path).toBe('runs/notice/train/checkpoints/epoch-000074.json');
    const { out } = await run(steps.train, input('notice', 'train', 'train', { ...cfg, epochDelayMs: 0 }, { prep }), {
      attempt: 2,
      heartbeatDetails: last,
    });
    expect(out.summary.resumedFromEpoch).toBe(74);
    const log = await fs.readFile(storage.logFile('runs/notice', 'train'), 'utf8');
    expect(log).toContain('checkpoint now (preemption notice): checkpointed at epoch 74');
  });

  test('cancellation stops train within an epoch, even while it sleeps (epochDelayMs)', async () => {
    const prep = await prepare('cancel', 'iris');
    const beats: StepHeartbeat[] = [];
    const t0 = Date.now();
    await expect(
      run(steps.train, input('cancel', 'train', 'train', { epochs: 10_000, epochDelayMs: 2000 }, { prep }), {
        onHeartbeat: (d, env) => {
          beats.push(d);
          if (d.epoch === 2) setTimeout(() => env.cancel(), 50);
        },
      }),
    ).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - t0).toBeLessThan(2000 * 2 + 1500);
    expect(Math.max(...beats.map((b) => b.epoch ?? 0))).toBe(2);
  });

  test('a retried export never leaves a partial model.onnx', async () => {
    const prep = await prepare('retry', 'iris');
    const { out: train } = await run(steps.train, input('retry', 'train', 'train', { epochs: 20 }, { prep }));
    // A store whose first model.onnx write dies half-way (as a crash would), after writing part of the temp file.
    let failed = false;
    const flaky: Artifacts = Object.create(store);
    flaky.put = async (
      jobDir: string,
      nodeId: string,
      name: string,
      data: Uint8Array | string,
      mediaType: string,
    ): Promise<ArtifactRef> => {
      if (name === 'model.onnx' && !failed) {
        failed = true;
        const dir = path.dirname(storage.file(`${jobDir}/${nodeId}/${name}`));
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(
          path.join(dir, `.trainyard-tmp-model.onnx-${process.pid}-dead`),
          (data as Uint8Array).subarray(0, 10),
        );
        throw new Error('disk went away');
      }
      return store.put(jobDir, nodeId, name, data, mediaType);
    };
    const flakySteps = createMlSteps({ store: flaky, dataRoot: root });
    await expect(
      run(flakySteps.export, input('retry', 'export', 'export', { latencyRuns: 3 }, { train })),
    ).rejects.toThrow(/disk went away/);
    await expect(fs.access(storage.file('runs/retry/export/model.onnx'))).rejects.toThrow();
    // Nothing but the node's log (which says why the attempt failed).
    expect(
      (await store.listAll('runs/retry')).filter((r) => r.path.startsWith('runs/retry/export/')).map((r) => r.name),
    ).toEqual(['logs/output.log']);
    const { out } = await run(flakySteps.export, input('retry', 'export', 'export', { latencyRuns: 3 }, { train }), {
      attempt: 2,
    });
    const ref = out.refs!.onnx!;
    const bytes = await store.get(ref); // sha256 verified
    expect(bytes.length).toBe(ref.size);
    expect((out.summary.parity as { passed: boolean }).passed).toBe(true);
  });

  test('export fails non-retryably with the numbers when parity is out of tolerance', async () => {
    const prep = await prepare('parity', 'diabetes');
    const { out: train } = await run(
      steps.train,
      input('parity', 'train', 'train', { model: 'linear_regression', epochs: 5 }, { prep }),
    );
    const err = await run(
      steps.export,
      input('parity', 'export', 'export', { parityTolerance: 1e-12, latencyRuns: 1 }, { train }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'TrainyardOnnxParity', nonRetryable: true });
    expect((err as Error).message).toMatch(/parity failed .* > tolerance 1e-12/);
  });

  test('evaluate below two trains fails non-retryably naming both models; one train through two paths is fine', async () => {
    const prep = await prepare('fanin', 'iris');
    const cfg = { epochs: 3, hiddenLayers: [4] };
    const { out: a } = await run(steps.train, input('fanin', 'train-a', 'train', cfg, { prep }));
    const { out: b } = await run(steps.train, input('fanin', 'train-b', 'train', { ...cfg, seed: 7 }, { prep }));
    const err = await run(steps.evaluate, input('fanin', 'eval', 'evaluate', {}, { 'train-a': a, 'train-b': b })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'TrainyardAmbiguousInput', nonRetryable: true });
    expect((err as Error).message).toMatch(
      /needs exactly one "model" from upstream but finds 2: train-a\/model\.json \(through train-a\), train-b\/model\.json \(through train-b\)/,
    );
    // A diamond: the same model reaches evaluate through export and through train.
    const { out: exp } = await run(
      steps.export,
      input('fanin', 'export', 'export', { latencyRuns: 1 }, { 'train-a': a }),
    );
    const { out: ev } = await run(
      steps.evaluate,
      input('fanin', 'eval2', 'evaluate', {}, { export: exp, 'train-a': a }),
    );
    expect(ev.summary.source).toBe('onnx file runs/fanin/export/model.onnx');
    // visualize takes its inputs optionally, but two models are still two.
    await expect(
      run(steps.visualize, input('fanin', 'viz', 'visualize', {}, { 'train-a': a, 'train-b': b })),
    ).rejects.toMatchObject({ type: 'TrainyardAmbiguousInput', message: expect.stringMatching(/"lossHistory"/) });
  });

  test('bad inputs fail non-retryably with a clear message', async () => {
    const err = await run(steps.train, input('bad', 'train', 'train', {}, {})).catch((e: unknown) => e);
    expect(err).toMatchObject({
      type: 'TrainyardMissingInput',
      nonRetryable: true,
      message: expect.stringMatching(/needs "trainProcessed"/),
    });
    const prep = await prepare('bad', 'diabetes');
    const err2 = await run(steps.train, input('bad', 'train', 'train', { model: 'mlp' }, { prep })).catch(
      (e: unknown) => e,
    );
    expect(err2).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/classification.*regression/) });
    const err3 = await run(steps.dataset, input('bad', 'data', 'dataset', { path: 'nope.csv', target: 'y' })).catch(
      (e: unknown) => e,
    );
    expect(err3).toMatchObject({ nonRetryable: true, message: expect.stringMatching(/not found/) });
  });

  test('dataset from a CSV file under the data root; profile reports missing values and class balance', async () => {
    await fs.mkdir(path.join(root, 'data'), { recursive: true });
    await fs.writeFile(path.join(root, 'data', 'tiny.csv'), 'a,b,label\n1,x,yes\n2,,no\n,y,yes\n4,x,\n');
    const { out } = await run(
      steps.dataset,
      input('file', 'data', 'dataset', { path: 'tiny.csv', target: 'label', task: 'classification' }),
    );
    expect(out.summary).toEqual(
      expect.objectContaining({
        rows: 3,
        droppedRowsMissingTarget: 1,
        classBalance: { no: 1, yes: 2 },
        source: 'tiny.csv',
      }),
    );
    expect((out.summary.features as { name: string; missing: number }[]).map((f) => [f.name, f.missing])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });
});
