import fc from 'fast-check';
import { JobSpec, LIMITS } from '../../src/domain/job-spec';
import { trialNodeId } from '../../src/domain/sweep-spec';
import { SWEEP_LIMITS, expandSweeps, remapSweepErrors, trialValues } from '../../src/domain/sweeps';
import { validateSubmission } from '../../src/domain/validate';
import { JobState } from '../../workflows/job-state';

type Rec = Record<string, unknown>;
const base = [
  { id: 'data', type: 'dataset', config: { name: 'iris' } },
  { id: 'split', type: 'split', dependsOn: ['data'] },
  { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
];
const job = (nodes: unknown[]): Rec => ({ name: 'sweep', nodes: [...base, ...nodes] });
const nodesOf = (body: unknown) => (body as { nodes: Rec[] }).nodes;
const trialsOf = (body: unknown, group: string) =>
  nodesOf(body).filter(
    (n) => (n.trial as { group?: string } | undefined)?.group === group && String(n.id).startsWith(`${group}-t`),
  );

/** Matrices of 1–3 paths with 1–4 distinct values each. */
const matrix = fc
  .uniqueArray(fc.constantFrom('learningRate', 'batchSize', 'epochs', 'l2', 'seed'), { minLength: 1, maxLength: 3 })
  .chain((keys) =>
    fc
      .tuple(...keys.map(() => fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 })))
      .map((lists) =>
        Object.fromEntries(
          keys.map((k, i) => [k, lists[i]!.map((v) => (k === 'learningRate' || k === 'l2' ? v / 100 : v))]),
        ),
      ),
  );

describe('matrix sweeps', () => {
  it('expand to the cartesian product, with stable unique ids, values merged into config and a trial record', () => {
    fc.assert(
      fc.property(matrix, (m) => {
        const body = job([{ id: 'train', type: 'train', dependsOn: ['prep'], matrix: m, config: { epochs: 3 } }]);
        const a = expandSweeps(body);
        const b = expandSweeps(structuredClone(body));
        expect(a.errors).toEqual([]);
        const expected = Object.values(m).reduce((k, l) => k * l.length, 1);
        const trials = trialsOf(a.body, 'train');
        expect(trials).toHaveLength(expected);
        expect(nodesOf(a.body)).toHaveLength(base.length + expected);
        expect(trials.map((t) => t.id)).toEqual(
          nodesOf(b.body)
            .slice(base.length)
            .map((t) => t.id),
        );
        expect(new Set(trials.map((t) => t.id)).size).toBe(expected);
        expect(new Set(trials.map((t) => JSON.stringify((t.trial as Rec).params))).size).toBe(expected);
        trials.forEach((t, i) => {
          expect(t.id).toBe(trialNodeId('train', i, expected));
          const { params, index, group } = t.trial as { params: Rec; index: number; group: string };
          expect([group, index]).toEqual(['train', i]);
          expect(Object.keys(params).sort()).toEqual(Object.keys(m).sort());
          expect(t.config).toEqual({ epochs: 3, ...params });
          for (const [k, v] of Object.entries(params)) expect(m[k]).toContain(v);
          expect(t).not.toHaveProperty('matrix');
        });
        const v = validateSubmission(a.body);
        expect(v.ok ? [] : v.errors).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('orders the product with the last path varying fastest', () => {
    expect(trialValues({ strategy: 'grid', space: { a: [1, 2], b: ['x', 'y', 'z'] } })).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 1, b: 'z' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 2, b: 'z' },
    ]);
  });

  it('merges dotted paths into nested config, and sweeps the params of command nodes', () => {
    const r = expandSweeps({
      name: 'cmd',
      nodes: [
        {
          id: 'fit',
          type: 'command',
          config: { command: ['python3', 'fit.py'], env: { A: '1' } },
          params: { optimizer: { name: 'adam' } },
          matrix: { 'optimizer.lr': [0.1, 0.01], 'config.env.B': ['x'] },
        },
      ],
    });
    expect(r.errors).toEqual([]);
    expect(nodesOf(r.body).map((n) => [n.id, n.params, (n.config as Rec).env])).toEqual([
      ['fit-t0', { optimizer: { name: 'adam', lr: 0.1 } }, { A: '1', B: 'x' }],
      ['fit-t1', { optimizer: { name: 'adam', lr: 0.01 } }, { A: '1', B: 'x' }],
    ]);
    // Lone trials are not orphans.
    expect(validateSubmission(r.body).ok).toBe(true);
  });
});

describe('random sweeps', () => {
  const space = {
    learningRate: { min: 1e-4, max: 1e-1, log: true },
    batchSize: [16, 32, 64],
    l2: { min: 0, max: 0.1 },
    epochs: { min: 2, max: 9, int: true },
  };
  it('draw exactly `count` trials inside the space, the same for the same seed, extending a smaller sweep', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (count, seed) => {
        const draw = (n: number) => trialValues({ strategy: 'random', count: n, seed, space: SweepSpecSpace(space) });
        const t = draw(count);
        expect(t).toHaveLength(count);
        expect(draw(count)).toEqual(t);
        expect(draw(count + 3).slice(0, count)).toEqual(t);
        for (const v of t) {
          expect(v.learningRate as number).toBeGreaterThanOrEqual(1e-4);
          expect(v.learningRate as number).toBeLessThanOrEqual(1e-1);
          expect([16, 32, 64]).toContain(v.batchSize);
          expect(v.l2 as number).toBeGreaterThanOrEqual(0);
          expect(v.l2 as number).toBeLessThanOrEqual(0.1);
          expect(Number.isInteger(v.epochs)).toBe(true);
          expect(v.epochs as number).toBeGreaterThanOrEqual(2);
          expect(v.epochs as number).toBeLessThanOrEqual(9);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('samples a log range log-uniformly (about half the draws below the geometric mean)', () => {
    const t = trialValues({
      strategy: 'random',
      count: 2000,
      seed: 7,
      space: SweepSpecSpace({ lr: { min: 1e-4, max: 1 } }),
    });
    const lin = t.filter((v) => (v.lr as number) < 1e-2).length;
    const log = trialValues({
      strategy: 'random',
      count: 2000,
      seed: 7,
      space: SweepSpecSpace({ lr: { min: 1e-4, max: 1, log: true } }),
    }).filter((v) => (v.lr as number) < 1e-2).length;
    expect(lin).toBeLessThan(100); // uniform: ~1% below 0.01
    expect(log).toBeGreaterThan(900); // log-uniform: ~50%
    expect(log).toBeLessThan(1100);
  });

  it('expands through expandSweeps with seeds and validates', () => {
    const r = expandSweeps(
      job([
        { id: 'train', type: 'train', dependsOn: ['prep'], sweep: { strategy: 'random', count: 16, seed: 7, space } },
      ]),
    );
    expect(r.errors).toEqual([]);
    expect(trialsOf(r.body, 'train')).toHaveLength(16);
    expect((r.body as Rec).sweeps).toEqual({ train: { strategy: 'random', trials: 16 } });
    expect(validateSubmission(r.body).ok).toBe(true);
  });
});

// The space as the schema would have parsed it (defaults filled in).
function SweepSpecSpace(s: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? v : { log: false, int: false, ...(v as object) }]),
  ) as never;
}

describe('dependents of a sweep', () => {
  const swept = { id: 'train', type: 'train', dependsOn: ['prep'], matrix: { learningRate: [0.1, 0.01, 0.001] } };
  it('fan in over every trial by default, and run once per trial with perTrial (copies depend on their trial)', () => {
    const r = expandSweeps(
      job([
        swept,
        { id: 'export', type: 'export', dependsOn: ['train'], perTrial: true },
        { id: 'evaluate', type: 'evaluate', dependsOn: ['export'], perTrial: true },
        { id: 'viz', type: 'visualize', dependsOn: ['evaluate'] },
      ]),
    );
    expect(r.errors).toEqual([]);
    const byId = new Map(nodesOf(r.body).map((n) => [n.id, n]));
    expect(byId.get('export-t1')?.dependsOn).toEqual(['train-t1']);
    expect(byId.get('evaluate-t2')?.dependsOn).toEqual(['export-t2']);
    expect(byId.get('evaluate-t2')?.trial).toEqual({ group: 'train', index: 2, params: { learningRate: 0.001 } });
    expect(byId.get('viz')?.dependsOn).toEqual(['evaluate-t0', 'evaluate-t1', 'evaluate-t2']);
    expect(byId.has('export')).toBe(false);
    expect(validateSubmission(r.body).ok).toBe(true);
  });

  it('refuses perTrial without a sweep upstream, or over two sweeps, naming the node', () => {
    const r = expandSweeps(
      job([
        swept,
        { id: 'other', type: 'train', dependsOn: ['prep'], matrix: { epochs: [1, 2] } },
        { id: 'both', type: 'visualize', dependsOn: ['train', 'other'], perTrial: true },
        { id: 'none', type: 'visualize', dependsOn: ['prep'], perTrial: true },
      ]),
    );
    expect(r.errors).toEqual([
      expect.objectContaining({
        path: 'nodes[5].perTrial',
        message: expect.stringContaining('several sweeps (train, other)'),
      }),
      expect.objectContaining({
        path: 'nodes[6].perTrial',
        message: expect.stringContaining('depends on no swept node'),
      }),
    ]);
  });
});

describe('limits and bad input', () => {
  it('refuses a product over the limit without building it', () => {
    const lists = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`p${i}`, Array.from({ length: 10 }, (_, v) => v)]),
    );
    const t0 = Date.now();
    const r = expandSweeps(job([{ id: 'train', type: 'train', dependsOn: ['prep'], matrix: lists }]));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.errors).toEqual([
      {
        path: 'nodes[3].matrix',
        message: `expands to 100000000 trials; at most ${SWEEP_LIMITS.maxTrials} (a job has at most ${LIMITS.maxNodes} nodes)`,
      },
    ]);
  });

  it('names the field of a bad sweep, and server-set fields given by hand', () => {
    const r = expandSweeps({
      name: 'x',
      sweeps: {},
      nodes: [
        { id: 'a', type: 'train', matrix: { lr: [] } },
        {
          id: 'b',
          type: 'train',
          sweep: { strategy: 'random', count: 0, space: { lr: { min: 0, max: 1, log: true } } },
        },
        { id: 'c', type: 'train', maxParallel: 2, trial: { group: 'c', index: 0, params: {} } },
      ],
    });
    expect(r.errors.map((e) => e.path).sort()).toEqual(
      [
        'sweeps',
        'nodes[0].matrix.lr',
        'nodes[1].sweep.count',
        'nodes[1].sweep.space.lr',
        'nodes[2].trial',
        'nodes[2].maxParallel',
      ].sort(),
    );
  });

  it('maps validation errors of a trial back to the swept node, naming the trial', () => {
    const r = expandSweeps(
      job([{ id: 'train', type: 'train', dependsOn: ['prep'], matrix: { learningRate: [0.1, -1] } }]),
    );
    const v = validateSubmission(r.body);
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(remapSweepErrors(v.errors, r.origins)).toEqual([
      { path: 'nodes[3].config.learningRate', message: expect.stringMatching(/^trial train-t1: /) },
    ]);
  });

  it('leaves a body without sweeps alone', () => {
    const body = job([{ id: 'train', type: 'train', dependsOn: ['prep'] }]);
    expect(expandSweeps(body)).toEqual({ body, errors: [], origins: [] });
  });
});

describe('maxParallel in the job state', () => {
  it('never has more than maxParallel trials of a sweep in flight, and runs them all', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (n, max, salt) => {
          const r = expandSweeps({
            name: 'x',
            parallelism: 50,
            nodes: [
              { id: 'root', type: 'command', config: { command: ['true'] } },
              {
                id: 'fit',
                type: 'command',
                dependsOn: ['root'],
                config: { command: ['true'] },
                matrix: { seed: Array.from({ length: n }, (_, i) => i) },
                maxParallel: max,
              },
              { id: 'pick', type: 'command', dependsOn: ['fit'], config: { command: ['true'] } },
            ],
          });
          const spec = JobSpec.parse(r.body);
          const s = new JobState(spec, () => 'q');
          s.rebuildReady();
          const running: number[] = [];
          let done = 0;
          let peak = 0;
          let step = salt;
          while (done < spec.nodes.length) {
            for (let i = s.takeReady(); i !== undefined; i = s.takeReady()) {
              s.markStarted(i, 0);
              running.push(i);
            }
            const fits = running.filter((i) => s.node(i).spec.trial).length;
            peak = Math.max(peak, fits);
            expect(fits).toBeLessThanOrEqual(max);
            // Complete one running node, chosen pseudo-randomly.
            step = (step * 1103515245 + 12345) % 2 ** 31;
            const [i] = running.splice(step % running.length, 1);
            s.markCompleted(i!, { summary: {}, artifacts: [] }, 0);
            done++;
          }
          expect(s.allCompleted()).toBe(true);
          expect(peak).toBe(Math.min(max, n));
        },
      ),
      { numRuns: 80 },
    );
  });
});
