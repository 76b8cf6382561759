import { JobSpec } from '../../src/domain/job-spec';
import { JobPlan, planJob } from '../../src/domain/plan';
import { resolvePools, choosePool } from '../../src/domain/pools';

const spec = JobSpec.parse({
  name: 'iris-demo',
  parallelism: 4,
  nodes: [
    { id: 'data', type: 'dataset', config: { name: 'iris' }, estimatedDuration: '10s' },
    { id: 'split', type: 'split', dependsOn: ['data'], estimatedDuration: 5000 },
    { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
    { id: 'train', type: 'train', dependsOn: ['prep'], resources: { gpus: 2 }, estimatedDuration: '5m' },
    { id: 'eval', type: 'evaluate', dependsOn: ['train', 'export'], estimatedDuration: '30s' },
    { id: 'export', type: 'export', dependsOn: ['train'], estimatedDuration: '1m' },
    { id: 'viz', type: 'visualize', dependsOn: ['eval'] },
  ],
});

const POOLS = [
  { name: 'big', gpusPerWorker: 8, memoryGb: 80 },
  { name: 'default', gpusPerWorker: 2, memoryGb: 16 },
  { name: 'tiny', gpusPerWorker: 1, memoryGb: 8 },
];

describe('planJob', () => {
  const pools = resolvePools(spec, POOLS);
  const plan = planJob(spec, { queuePrefix: 'ty', pools });

  it('conforms to its schema', () => {
    expect(JobPlan.parse(plan)).toEqual(plan);
  });

  it('gives stages, counts and parallelism', () => {
    expect(plan.stages).toEqual([['data'], ['split'], ['prep'], ['train'], ['export'], ['eval'], ['viz']]);
    expect(plan).toMatchObject({ nodeCount: 7, edgeCount: 7, parallelism: 4, maxStageWidth: 1 });
  });

  it('routes each node to its task queue and pool', () => {
    const byId = Object.fromEntries(plan.nodes.map((n) => [n.id, n]));
    expect(byId.data).toEqual({
      id: 'data',
      type: 'dataset',
      stage: 0,
      taskQueue: 'ty-workflows',
      gpus: 0,
      dependsOn: [],
      estimatedMs: 10_000,
    });
    expect(byId.train).toMatchObject({ taskQueue: 'ty-gpu-train-default', pool: 'default', gpus: 2, stage: 3 });
    expect(byId.export).toMatchObject({ taskQueue: 'ty-gpu-export-tiny', pool: 'tiny', gpus: 0 });
    expect(byId.eval).toMatchObject({ taskQueue: 'ty-workflows', dependsOn: ['train', 'export'] });
    expect(byId.eval!.pool).toBeUndefined();
  });

  it('estimates the critical path and GPU time from durations', () => {
    expect(plan.criticalPath).toEqual({
      nodes: ['data', 'split', 'prep', 'train', 'export', 'eval', 'viz'],
      estimatedMs: 10_000 + 5000 + 300_000 + 60_000 + 30_000,
    });
    // Only train asks for GPUs (2 × 5 min); export asks for none.
    expect(plan.estimatedGpuMs).toBe(600_000);
  });

  it('without durations, counts nodes and leaves the estimates out', () => {
    const s = JobSpec.parse({
      name: 'x',
      nodes: [
        { id: 'a', type: 'dataset', config: { name: 'iris' } },
        { id: 'b', type: 'split', dependsOn: ['a'] },
        { id: 'c', type: 'split', dependsOn: ['a'] },
        { id: 'd', type: 'train', dependsOn: ['b'] },
      ],
    });
    const p = planJob(s, { queuePrefix: 'trainyard', pools: {} });
    expect(p.criticalPath).toEqual({ nodes: ['a', 'b', 'd'] });
    expect(p.estimatedGpuMs).toBeUndefined();
    expect(p.stages).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(p.maxStageWidth).toBe(2);
    expect(p.nodes.find((n) => n.id === 'd')).toMatchObject({
      taskQueue: 'trainyard-gpu-train-default',
      pool: 'default',
      gpus: 1,
    });
  });
});

describe('pools', () => {
  const node = (gpus: number | undefined, gpuMemoryGb = 0, type: 'train' | 'export' | 'command' = 'train') => ({
    type,
    resources: { gpus, gpuMemoryGb },
  });

  it('chooses the smallest pool that fits', () => {
    expect(choosePool(node(undefined), POOLS)?.name).toBe('tiny');
    expect(choosePool(node(1, 12), POOLS)?.name).toBe('default');
    expect(choosePool(node(3), POOLS)?.name).toBe('big');
    expect(choosePool(node(9), POOLS)).toBeNull();
    expect(choosePool(node(0, 0, 'export'), POOLS)?.name).toBe('tiny');
  });

  it('breaks ties by memory, then name', () => {
    const pools = [
      { name: 'b', gpusPerWorker: 1, memoryGb: 16 },
      { name: 'a', gpusPerWorker: 1, memoryGb: 16 },
      { name: 'c', gpusPerWorker: 1, memoryGb: 24 },
    ];
    expect(choosePool(node(1), pools)?.name).toBe('a');
  });

  it('resolves only GPU-queue nodes; throws when none fits; {} without pools', () => {
    const s = JobSpec.parse({
      name: 'x',
      nodes: [
        { id: 'c', type: 'command', config: { command: ['node'] } },
        { id: 'g', type: 'command', config: { command: ['node'] }, resources: { gpus: 2 }, dependsOn: ['c'] },
      ],
    });
    expect(resolvePools(s, POOLS)).toEqual({ g: 'default' });
    expect(resolvePools(s, [])).toEqual({});
    expect(() => resolvePools(s, [POOLS[2]!])).toThrow('node "g" fits no GPU pool (2 GPUs)');
  });
});
