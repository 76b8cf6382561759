// The select step's ranking (src/domain/select.ts) and the candidates the job state hands it
// (status, trial params, GPU time summed over a trial's nodes).
import { JobSpec } from '../../src/domain/job-spec';
import { metricOf, rankCandidates } from '../../src/domain/select';
import type { SelectCandidate, StepOutput } from '../../src/domain/step-io';
import { expandSweeps } from '../../src/domain/sweeps';
import { validateJob } from '../../src/domain/validate';
import { JobState } from '../../workflows/job-state';

const out = (summary: Record<string, unknown>): StepOutput => ({ summary, artifacts: [] });
const cand = (nodeId: string, status: SelectCandidate['status'] = 'completed'): SelectCandidate => ({
  nodeId,
  status,
  params: { id: nodeId },
  gpuSeconds: 0,
});

describe('metricOf', () => {
  test('when an output carries the metric in metrics, result, valMetric or at the top, then it is found', () => {
    expect(metricOf(out({ metrics: { accuracy: 0.9 } }), 'accuracy')).toBe(0.9);
    expect(metricOf(out({ result: { score: 3 } }), 'score')).toBe(3);
    expect(metricOf(out({ valMetric: 0.7, valMetricName: 'accuracy' }), 'valMetric')).toBe(0.7);
    expect(metricOf(out({ valMetric: 0.7, valMetricName: 'accuracy' }), 'accuracy')).toBe(0.7);
    expect(metricOf(out({ finalLoss: 0.25 }), 'finalLoss')).toBe(0.25);
    expect(metricOf(out({ metrics: { accuracy: 'high' } }), 'accuracy')).toBeUndefined();
    expect(metricOf(out({ metrics: { r2: Number.NaN } }), 'r2')).toBeUndefined();
  });
});

describe('rankCandidates', () => {
  const metrics: Record<string, number> = { a: 0.61, b: 0.93, c: 0.42, d: 0.88, e: 0.93 };
  const outputs = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, out({ metrics: { acc: v } })]));
  const all = Object.keys(metrics).map((k) => cand(k));

  test('when mode is max, then the highest wins and ties go to the earlier candidate', () => {
    const r = rankCandidates(all, outputs, { metric: 'acc', mode: 'max' });
    expect(r.winner).toBe('b');
    expect(r.rows.map((x) => [x.rank, x.nodeId, x.metric])).toEqual([
      [1, 'b', 0.93],
      [2, 'e', 0.93],
      [3, 'd', 0.88],
      [4, 'a', 0.61],
      [5, 'c', 0.42],
    ]);
  });

  test('when mode is min, then the lowest wins', () => {
    expect(rankCandidates(all, outputs, { metric: 'acc', mode: 'min' }).winner).toBe('c');
  });

  test('when candidates failed or lack the metric, then they are listed unranked and never win', () => {
    const r = rankCandidates(
      [cand('a'), { ...cand('b', 'failed'), error: 'boom' }, cand('x')],
      { ...outputs, x: out({ metrics: { other: 1 } }) },
      { metric: 'acc', mode: 'max' },
    );
    expect(r.winner).toBe('a');
    expect(r.rows.map((x) => [x.rank, x.nodeId, x.status, x.note])).toEqual([
      [1, 'a', 'completed', undefined],
      [undefined, 'b', 'failed', 'boom'],
      [undefined, 'x', 'completed', 'not ranked: its output has no metric "acc" (it has: other)'],
    ]);
  });

  test('when nothing has the metric, then there is no winner', () => {
    expect(rankCandidates(all, outputs, { metric: 'nope', mode: 'max' }).winner).toBeUndefined();
  });
});

describe('select candidates from the job state', () => {
  function stateOf(body: unknown): JobState {
    const x = expandSweeps(body);
    expect(x.errors).toEqual([]);
    const v = validateJob(x.body);
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return new JobState(JobSpec.parse(v.spec), () => 'q');
  }
  const node = (id: string, type: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) => ({
    id,
    type,
    dependsOn,
    ...extra,
  });

  test('when trials ran with GPUs, then each candidate carries its params, status and the GPU time of its trial', () => {
    const spec = {
      name: 'sel',
      nodes: [
        node('data', 'dataset', [], { config: { name: 'iris' } }),
        node('split', 'split', ['data']),
        node('prep', 'preprocess', ['split']),
        { ...node('train', 'train', ['prep'], { resources: { gpus: 2 } }), matrix: { learningRate: [0.1, 0.01] } },
        { ...node('eval', 'evaluate', ['train']), perTrial: true },
        node('best', 'select', ['eval'], { config: { metric: 'accuracy', mode: 'max' } }),
      ],
    };
    const s = stateOf(spec);
    const at = (id: string) => s.byId.get(id)!;
    const meta = (startMs: number, endMs: number) => ({
      attempt: 1,
      startedAt: new Date(startMs).toISOString(),
      finishedAt: new Date(endMs).toISOString(),
    });
    for (const id of ['data', 'split', 'prep']) {
      s.markStarted(at(id), 0);
      s.markCompleted(at(id), out({}), 1);
    }
    s.markStarted(at('train-t0'), 1_000);
    s.markCompleted(at('train-t0'), { ...out({}), meta: meta(2_000, 12_000) }, 12_500); // 10 s × 2 GPUs
    s.markStarted(at('train-t1'), 1_000);
    s.markFailed(at('train-t1'), { message: 'loss diverged\nstack' }, 3, 5_000); // 4 s seen × 2 GPUs
    s.skipDescendants(at('train-t1'));
    s.markStarted(at('eval-t0'), 13_000);
    s.markCompleted(at('eval-t0'), { ...out({ metrics: { accuracy: 0.9 } }), meta: meta(13_000, 14_000) }, 14_000);
    expect(s.selectCandidates(at('best'))).toEqual([
      {
        nodeId: 'eval-t0',
        status: 'completed',
        trial: { group: 'train', index: 0 },
        params: { learningRate: 0.1 },
        gpuSeconds: 20,
      },
      {
        nodeId: 'eval-t1',
        status: 'skipped',
        trial: { group: 'train', index: 1 },
        params: { learningRate: 0.01 },
        gpuSeconds: 8,
        error: 'loss diverged',
      },
    ]);
  });

  test('when a select node has no upstream, then validation names it', () => {
    const v = validateJob({ name: 'x', nodes: [node('best', 'select', [], { config: { metric: 'a', mode: 'max' } })] });
    expect(v.ok).toBe(false);
    if (!v.ok)
      expect(v.errors.map((e) => e.message).join('\n')).toMatch(/select\) needs upstream nodes to choose from/);
  });
});
