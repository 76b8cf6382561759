// The rerun's spec (src/job-service/rerun.ts), the shared override format (src/domain/overrides.ts)
// and the plan's cache marks (withCachePredictions): pure functions, no stack.
import type { JobSpecInput } from '../../src/domain/job-spec';
import { applyOverrides, OverrideError, overrideTarget } from '../../src/domain/overrides';
import { planJob, withCachePredictions } from '../../src/domain/plan';
import { validateJob } from '../../src/domain/validate';
import { rerunSpec } from '../../src/job-service/rerun';
import { SpecValidationError } from '../../src/sdk/errors';

const spec = (): JobSpecInput => ({
  name: 'p',
  nodes: [
    { id: 'data', type: 'dataset', config: { name: 'iris' } },
    { id: 'split', type: 'split', dependsOn: ['data'] },
    { id: 'prep', type: 'preprocess', dependsOn: ['split'], cache: false },
    { id: 'train', type: 'train', dependsOn: ['prep'], config: { epochs: 5 } },
    { id: 'side', type: 'preprocess', dependsOn: ['split'] },
  ],
});
const cacheOf = (s: unknown) => Object.fromEntries((s as JobSpecInput).nodes.map((n) => [n.id, n.cache]));

test('when overrides name a node, then its field is set; otherwise the spec root; the input is not changed', () => {
  const old = spec();
  const out = applyOverrides(old, { 'train.config.epochs': 9, 'train.config.hiddenLayers': [4], priority: 2 }) as any;
  expect(out.nodes[3].config).toEqual({ epochs: 9, hiddenLayers: [4] });
  expect(out.priority).toBe(2);
  expect(old.nodes[3]!.config).toEqual({ epochs: 5 });
  expect(overrideTarget(old, 'train.config.epochs')).toBe('nodes[3].config.epochs');
  expect(overrideTarget(old, 'priority')).toBe('priority');
  expect(() => applyOverrides(old, { 'train.config.epochs.x': 1 })).toThrow(
    new OverrideError('train.config.epochs.x', '"epochs" is not a mapping in the spec'),
  );
});

test('when a job is rerun, then its cache is on (a node opting out stays out); fromNode and its descendants run uncached', () => {
  expect(rerunSpec(spec(), {}).cache).toBe(true);
  expect(rerunSpec({ ...spec(), cache: { version: 'v2' } }, {}).cache).toEqual({ version: 'v2' });
  expect(cacheOf(rerunSpec(spec(), {}))).toEqual({
    data: undefined,
    split: undefined,
    prep: false,
    train: undefined,
    side: undefined,
  });
  expect(cacheOf(rerunSpec(spec(), { fromNode: 'split' }))).toEqual({
    data: undefined,
    split: false,
    prep: false,
    train: false,
    side: false,
  });
  expect(cacheOf(rerunSpec(spec(), { fromNode: 'train' }))).toEqual({
    data: undefined,
    split: undefined,
    prep: false,
    train: false,
    side: undefined,
  });
});

test('when fromNode is not in the job or an override cannot apply, then a 400 naming it', () => {
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as SpecValidationError;
    }
    throw new Error('did not throw');
  };
  const from = err(() => rerunSpec(spec(), { fromNode: 'nope' }));
  expect(from).toBeInstanceOf(SpecValidationError);
  expect(from.details).toEqual([{ path: 'fromNode', message: 'no node "nope" in the job' }]);
  const over = err(() => rerunSpec(spec(), { overrides: { 'train.config.epochs.deep': 1 } }));
  expect(over.status).toBe(400);
  expect(over.details[0]!.path).toBe('overrides.train.config.epochs.deep');
});

test('when predictions are merged into a plan, then the nodes carry them and cacheHits counts the hits', () => {
  const v = validateJob(spec());
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const plan = planJob(v.spec, { queuePrefix: 'q', pools: {} });
  expect(plan.cacheHits).toBeUndefined();
  const marked = withCachePredictions(plan, {
    data: { prediction: 'hit', key: 'k', from: { jobId: 'j', nodeId: 'data', storedAt: 't' } },
    split: { prediction: 'miss', key: 'k2' },
    train: { prediction: 'unknown' },
  });
  expect(marked.cacheHits).toBe(1);
  expect(Object.fromEntries(marked.nodes.map((n) => [n.id, n.cache?.prediction]))).toEqual({
    data: 'hit',
    split: 'miss',
    prep: undefined,
    train: 'unknown',
    side: undefined,
  });
});
