import type { JobSpecInput, NodeSpecInput } from '../../src/domain/job-spec';
import {
  validateJob,
  validateSubmission,
  type ValidationContext,
  type ValidationError,
} from '../../src/domain/validate';

/** The demo pipeline: dataset → split → preprocess → train → {evaluate, export} → visualize. */
function demo(): JobSpecInput {
  return {
    name: 'iris-demo',
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'iris' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.25 } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
      { id: 'train', type: 'train', dependsOn: ['prep'], config: { model: 'mlp', epochs: 50 } },
      { id: 'eval', type: 'evaluate', dependsOn: ['train', 'export'] },
      { id: 'export', type: 'export', dependsOn: ['train'] },
      { id: 'viz', type: 'visualize', dependsOn: ['eval'] },
    ],
  };
}

/** demo() with node `id` replaced by `patch(node)`. */
function withNode(id: string, patch: (n: NodeSpecInput) => NodeSpecInput, spec: JobSpecInput = demo()): JobSpecInput {
  return { ...spec, nodes: spec.nodes.map((n) => (n.id === id ? patch(n) : n)) };
}

function errorsOf(input: unknown, ctx?: ValidationContext): ValidationError[] {
  const r = validateJob(input, ctx);
  return r.ok ? [] : r.errors;
}

const CTX: ValidationContext = {
  allowedCommands: ['python3', 'node', '/usr/local/bin/trainer'],
  pools: [
    { name: 'default', gpusPerWorker: 2, memoryGb: 16 },
    { name: 'small', gpusPerWorker: 1, memoryGb: 8 },
  ],
  requireResolvedConfig: true,
};

const cmd = (id: string, command: unknown, extra: Partial<NodeSpecInput> = {}): NodeSpecInput => ({
  id,
  type: 'command',
  config: { command } as Record<string, unknown>,
  ...extra,
});

describe('validateJob', () => {
  it('when the demo pipeline is given, then it passes with defaults applied', () => {
    const r = validateJob(demo(), CTX);
    expect(r).toMatchObject({ ok: true });
    if (!r.ok) return;
    expect(r.spec.priority).toBe(3);
    expect(r.spec.nodes[1]!.dependsOn).toEqual(['data']);
    expect(r.spec.nodes[3]!.retry.maxAttempts).toBe(3);
  });

  it('when a single node is given, then it is not an orphan', () => {
    expect(errorsOf({ name: 'one', nodes: [{ id: 'data', type: 'dataset', config: { name: 'wine' } }] })).toEqual([]);
  });

  it('when a command node sits between the dataset and split, then split accepts it (refs pass through)', () => {
    const spec: JobSpecInput = {
      name: 'cmd',
      nodes: [
        { id: 'data', type: 'dataset', config: { name: 'iris' } },
        cmd('fetch', ['python3', 'fetch.py'], { dependsOn: ['data'] }),
        { id: 'split', type: 'split', dependsOn: ['fetch'] },
      ],
    };
    expect(errorsOf(spec, CTX)).toEqual([]);
  });

  it('when only a command node is upstream of split, then split is refused (it reads a dataset table)', () => {
    const spec: JobSpecInput = {
      name: 'cmd',
      nodes: [cmd('fetch', ['python3', 'fetch.py']), { id: 'split', type: 'split', dependsOn: ['fetch'] }],
    };
    expect(errorsOf(spec, CTX)).toEqual([
      {
        path: 'nodes[1].dependsOn',
        message: 'node "split" (split) needs a "dataset" ancestor (split divides its table); it has none',
      },
    ]);
  });

  type Case = [
    name: string,
    input: unknown,
    ctx: ValidationContext,
    expected: { path: string; message: string | RegExp }[],
  ];
  const cases: Case[] = [
    ['schema: missing name', { nodes: demo().nodes }, {}, [{ path: 'name', message: /expected string/ }]],
    [
      'schema: bad node id',
      withNode('viz', (n) => ({ ...n, id: 'Viz Node' })),
      {},
      [{ path: 'nodes[6].id', message: 'must match' }],
    ],
    [
      'schema: unknown node type',
      withNode('viz', (n) => ({ ...n, type: 'plot' as never })),
      {},
      [
        {
          path: 'nodes[6].type',
          message: /unknown node type "plot": use a built-in type \(dataset, .*command, select\)/,
        },
      ],
    ],
    [
      'schema: unknown field',
      withNode('viz', (n) => ({ ...n, colour: 'red' }) as never),
      {},
      [{ path: 'nodes[6].colour', message: 'unknown field "colour"' }],
    ],
    [
      'schema: bad duration',
      withNode('train', (n) => ({ ...n, timeout: { startToClose: '5 minutes' } })),
      {},
      [{ path: 'nodes[3].timeout.startToClose', message: 'invalid duration' }],
    ],
    [
      'schema: duration of the wrong type',
      withNode('train', (n) => ({ ...n, timeout: { heartbeat: true as never } })),
      {},
      [{ path: 'nodes[3].timeout.heartbeat', message: 'expected string or number' }],
    ],
    [
      'schema: parallelism above the bound',
      { ...demo(), parallelism: 5000 },
      {},
      [{ path: 'parallelism', message: /500/ }],
    ],
    ['schema: no nodes', { name: 'x', nodes: [] }, {}, [{ path: 'nodes', message: /1/ }]],
    [
      'duplicate id',
      { ...demo(), nodes: [...demo().nodes, { id: 'prep', type: 'preprocess', dependsOn: ['split'] }] },
      {},
      [{ path: 'nodes[7].id', message: 'duplicate id "prep": already used by nodes[2]' }],
    ],
    [
      'dangling dependency',
      withNode('viz', (n) => ({ ...n, dependsOn: ['eval', 'evaluate'] })),
      {},
      [{ path: 'nodes[6].dependsOn[1]', message: 'unknown node "evaluate"' }],
    ],
    [
      'self dependency',
      withNode('viz', (n) => ({ ...n, dependsOn: ['eval', 'viz'] })),
      {},
      [{ path: 'nodes[6].dependsOn[1]', message: 'node "viz" depends on itself' }],
    ],
    [
      'duplicate dependsOn entry',
      withNode('viz', (n) => ({ ...n, dependsOn: ['eval', 'train', 'eval'] })),
      {},
      [{ path: 'nodes[6].dependsOn[2]', message: '"eval" is listed more than once (first at dependsOn[0])' }],
    ],
    [
      'cycle',
      withNode('prep', (n) => ({ ...n, dependsOn: ['split', 'train'] })),
      {},
      [{ path: 'nodes[2].dependsOn[1]', message: 'dependency cycle: prep -> train -> prep' }],
    ],
    [
      'three-node cycle',
      {
        name: 'c',
        nodes: [
          { id: 'a', type: 'command', config: { command: ['node'] }, dependsOn: ['c'] },
          { id: 'b', type: 'command', config: { command: ['node'] }, dependsOn: ['a'] },
          { id: 'c', type: 'command', config: { command: ['node'] }, dependsOn: ['b'] },
        ],
      },
      {},
      [{ path: 'nodes[0].dependsOn[0]', message: 'dependency cycle: a -> b -> c -> a' }],
    ],
    [
      'orphan in a multi-node DAG',
      { ...demo(), nodes: [...demo().nodes, { id: 'lonely', type: 'dataset', config: { name: 'wine' } }] },
      {},
      [{ path: 'nodes[7]', message: 'node "lonely" is not connected' }],
    ],
    [
      'evaluate without a split ancestor',
      {
        name: 'x',
        nodes: [
          { id: 'data', type: 'dataset', config: { name: 'iris' } },
          { id: 'train', type: 'train', dependsOn: ['data'] },
          { id: 'eval', type: 'evaluate', dependsOn: ['train'] },
        ],
      },
      {},
      [
        { path: 'nodes[1].dependsOn', message: 'node "train" (train) needs a "preprocess" ancestor' },
        {
          path: 'nodes[2].dependsOn',
          message: 'node "eval" (evaluate) needs a "train" ancestor and a "split" ancestor; it has no "split" ancestor',
        },
      ],
    ],
    [
      'evaluate without a train ancestor',
      withNode('eval', (n) => ({ ...n, dependsOn: ['prep'] }), {
        ...demo(),
        nodes: demo().nodes.filter((n) => n.id !== 'viz' && n.id !== 'export' && n.id !== 'train'),
      }),
      {},
      [{ path: 'nodes[3].dependsOn', message: 'it has no "train" ancestor' }],
    ],
    [
      'export without a train ancestor',
      withNode('export', (n) => ({ ...n, dependsOn: ['prep'] })),
      {},
      [{ path: 'nodes[5].dependsOn', message: 'node "export" (export) needs a "train" ancestor' }],
    ],
    [
      'visualize without a train or evaluate ancestor',
      withNode('viz', (n) => ({ ...n, dependsOn: ['split'] })),
      {},
      [
        // eval loses its only dependent only if nothing else depends on it: export still feeds eval, so no orphan.
        { path: 'nodes[6].dependsOn', message: 'needs a "train", "evaluate" or "command" ancestor' },
      ],
    ],
    [
      'train without a data-producing ancestor',
      {
        name: 'x',
        nodes: [
          { id: 'train', type: 'train' },
          { id: 'export', type: 'export', dependsOn: ['train'] },
        ],
      },
      {},
      [{ path: 'nodes[0].dependsOn', message: 'node "train" (train) needs a "preprocess" ancestor' }],
    ],
    [
      'per-type config: out of range',
      withNode('split', (n) => ({ ...n, config: { testSize: 0.9 } })),
      {},
      [{ path: 'nodes[1].config.testSize', message: /0\.5/ }],
    ],
    [
      'per-type config: unknown key',
      withNode('train', (n) => ({ ...n, config: { epoch: 5 } })),
      {},
      [{ path: 'nodes[3].config.epoch', message: 'unknown field "epoch"' }],
    ],
    [
      'per-type config: refinement',
      withNode('data', (n) => ({ ...n, config: {} })),
      {},
      [{ path: 'nodes[0].config', message: 'exactly one of "name"' }],
    ],
    [
      'per-type config: escaping cwd',
      { name: 'c', nodes: [cmd('c', ['node'], { config: { command: ['node'], cwd: '../x' } })] },
      {},
      [{ path: 'nodes[0].config.cwd', message: 'relative path' }],
    ],
    [
      'unresolved configPath',
      withNode('train', (n) => ({ ...n, config: {}, configPath: 'configs/train.yaml' })),
      CTX,
      [{ path: 'nodes[3].configPath', message: 'must be resolved at submit time' }],
    ],
    [
      'command not on the allowlist',
      { name: 'c', nodes: [cmd('c', ['bash', '-c', 'x'])] },
      CTX,
      [
        {
          path: 'nodes[0].config.command[0]',
          message: '"bash" is not an allowed command (allowed: python3, node, /usr/local/bin/trainer)',
        },
      ],
    ],
    [
      'command given as a path',
      { name: 'c', nodes: [cmd('c', ['/usr/bin/python3', 'x.py'])] },
      CTX,
      [
        {
          path: 'nodes[0].config.command[0]',
          message: '"/usr/bin/python3" is a path; only an exact path on the allowlist may run',
        },
      ],
    ],
    [
      'command as a shell line',
      { name: 'c', nodes: [cmd('c', ['python3 train.py --epochs 3'])] },
      CTX,
      [{ path: 'nodes[0].config.command', message: 'use an argv array, e.g. ["python3","train.py","--epochs","3"]' }],
    ],
    [
      'command with an empty executable',
      { name: 'c', nodes: [cmd('c', [''])] },
      CTX,
      [{ path: 'nodes[0].config.command[0]', message: 'must not be empty' }],
    ],
    [
      'GPU request no pool fits',
      withNode('train', (n) => ({ ...n, resources: { gpus: 3, gpuMemoryGb: 40 } })),
      CTX,
      [
        {
          path: 'nodes[3].resources',
          message: 'node "train" asks for 3 GPUs with 40 GB each; the largest pool "default" has 2 GPUs of 16 GB',
        },
      ],
    ],
    [
      'GPU memory no pool fits',
      withNode('train', (n) => ({ ...n, resources: { gpuMemoryGb: 24 } })),
      CTX,
      [{ path: 'nodes[3].resources', message: 'asks for 1 GPU with 24 GB each' }],
    ],
    [
      'GPU request without pools',
      withNode('train', (n) => n),
      { pools: [] },
      [{ path: 'nodes[3].resources', message: 'no GPU pool is configured' }],
    ],
  ];

  it.each(cases)('%s', (_name, input, ctx, expected) => {
    const errors = errorsOf(input, ctx);
    expect(errors).toHaveLength(expected.length);
    expected.forEach((e, k) => {
      expect(errors[k]!.path).toBe(e.path);
      if (typeof e.message === 'string') expect(errors[k]!.message).toContain(e.message);
      else expect(errors[k]!.message).toMatch(e.message);
    });
  });

  it('when the allowlist is not given (workflow re-validation), then commands are not checked against it', () => {
    expect(errorsOf({ name: 'c', nodes: [cmd('c', ['/opt/tool', 'x'])] })).toEqual([]);
    expect(errorsOf({ name: 'c', nodes: [cmd('c', ['/usr/local/bin/trainer'])] }, CTX)).toEqual([]);
  });

  it('when configPath is present but resolution is not required, then config is checked later', () => {
    expect(errorsOf(withNode('data', (n) => ({ ...n, config: {}, configPath: 'data.yaml' })))).toEqual([]);
  });

  it('when a spec has many problems, then all of them come back at once', () => {
    const spec = {
      name: 'messy',
      priority: 9,
      nodes: [
        { id: 'data', type: 'dataset', config: { name: 'iris', path: 'x.csv' } },
        { id: 'split', type: 'split', dependsOn: ['data', 'data'], config: { testSize: 2 } },
        { id: 'split', type: 'split', dependsOn: ['data'] },
        { id: 'train', type: 'train', dependsOn: ['split', 'ghost'] },
        { id: 'a', type: 'command', config: { command: ['rm -rf /'] }, dependsOn: ['b'] },
        { id: 'b', type: 'command', config: { command: ['bash'] }, dependsOn: ['a'] },
        { id: 'export', type: 'export', dependsOn: ['split'], resources: { gpus: 8 } },
        { id: 'lonely', type: 'visualize' },
      ],
    };
    const paths = errorsOf(spec, CTX).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'priority',
        'nodes[0].config',
        'nodes[1].config.testSize',
        'nodes[1].dependsOn[1]',
        'nodes[2].id',
        'nodes[3].dependsOn[1]',
        'nodes[4].dependsOn[0]',
        'nodes[4].config.command',
        'nodes[5].config.command[0]',
        'nodes[6].dependsOn',
        'nodes[6].resources',
        'nodes[7]',
        'nodes[7].dependsOn',
      ]),
    );
    // Job-level errors first, then grouped by node in node order.
    const nodeIndex = paths.map((p) => Number(/^nodes\[(\d+)\]/.exec(p)?.[1] ?? -1));
    expect(nodeIndex).toEqual([...nodeIndex].sort((a, b) => a - b));
    // train's only problem is the dangling dependency: no knock-on connection error.
    expect(paths.filter((p) => p.startsWith('nodes[3]'))).toEqual(['nodes[3].dependsOn[1]']);
  });

  it('when the schema fails, then graph rules still run on the well-formed parts', () => {
    const errors = errorsOf({
      name: 'x',
      nodes: [
        { id: 'a', type: 'command', config: { command: ['node'] }, dependsOn: ['b'], retry: { maxAttempts: 0 } },
        { id: 'b', type: 'command', config: { command: ['node'] }, dependsOn: ['a'] },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['nodes[0].retry.maxAttempts', 'nodes[0].dependsOn[0]']);
    expect(errors[1]!.message).toBe('dependency cycle: a -> b -> a');
  });

  it('when a node type is invalid, then its descendants get no knock-on connection errors', () => {
    const errors = errorsOf({
      name: 'x',
      nodes: [
        { id: 'data', type: 'datset', config: { name: 'iris' } },
        { id: 'split', type: 'split', dependsOn: ['data'] },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual(['nodes[0].type']);
  });

  it('when the input is not an object, then one root error comes back', () => {
    expect(errorsOf(42)).toEqual([{ path: '', message: expect.stringContaining('expected object') }]);
    expect(errorsOf(null).length).toBe(1);
  });

  it('when several independent cycles exist, then each is reported', () => {
    const n = (id: string, dep: string) => ({ id, type: 'command', config: { command: ['node'] }, dependsOn: [dep] });
    const errors = errorsOf({ name: 'x', nodes: [n('a', 'b'), n('b', 'a'), n('c', 'd'), n('d', 'c')] });
    expect(errors.map((e) => e.message)).toEqual(['dependency cycle: a -> b -> a', 'dependency cycle: c -> d -> c']);
  });

  // How fast is a benchmark (bench/validate.ts, `npm run bench -- --only validate`); that it works is this test.
  it('when a chain of 10,000 nodes is validated, then it is valid (no recursion limit)', () => {
    const nodes: NodeSpecInput[] = [{ id: 'n0', type: 'dataset', config: { name: 'iris' } }];
    for (let i = 1; i < 10_000; i++)
      nodes.push({ id: `n${i}`, type: 'command', config: { command: ['node'] }, dependsOn: [`n${i - 1}`] });
    const r = validateJob({ name: 'chain', nodes }, CTX);
    expect(r.ok).toBe(true);
  });

  it('when a 10,000-node chain closes into a cycle, then the cycle is reported without recursion', () => {
    const nodes: NodeSpecInput[] = [];
    for (let i = 0; i < 10_000; i++)
      nodes.push({
        id: `n${i}`,
        type: 'command',
        config: { command: ['node'] },
        dependsOn: [`n${(i + 9_999) % 10_000}`],
      });
    const errors = errorsOf({ name: 'ring', nodes });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('nodes[0].dependsOn[0]');
    expect(errors[0]!.message.split(' -> ')).toHaveLength(10_001);
  });
});

describe('validateSubmission', () => {
  it('when the DAG form is given, then it validates it', () => {
    expect(validateSubmission(demo(), CTX).ok).toBe(true);
  });

  it('when the single-job form is valid, then it becomes a one-node DAG', () => {
    const r = validateSubmission(
      { jobType: 'dataset', config: { name: 'penguins' }, outputDir: 'exp', priority: 2, tags: ['a'] },
      CTX,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.nodes).toHaveLength(1);
    expect(r.spec.nodes[0]).toMatchObject({ id: 'dataset', type: 'dataset', config: { name: 'penguins' } });
    expect(r.spec).toMatchObject({ name: 'dataset-job', outputDir: 'exp', priority: 2, tags: ['a'] });
  });

  it('when the single-job form has schema and config problems, then both come back with single-job paths', () => {
    const r = validateSubmission({ jobType: 'split', config: { testSize: 3 }, gpuCount: -1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(['gpuCount', 'config.testSize']);
  });

  it('when the jobType is unknown, then the error is on jobType', () => {
    const r = validateSubmission({ jobType: 'finetune' });
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(['jobType']);
  });

  it('when a single job breaks a DAG rule, then its errors use single-job paths', () => {
    const r = validateSubmission({ jobType: 'train', config: { epochs: 0 }, gpuCount: 4, configPath: 'x.yaml' }, CTX);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e.message]));
    expect(Object.keys(byPath).sort()).toEqual(['configPath', 'gpuCount', 'jobType']);
    expect(byPath.jobType).toContain('use the DAG form');
    expect(byPath.gpuCount).toContain('asks for 4 GPUs');
  });

  it('when a single job has a config error, then the path starts with config', () => {
    const r = validateSubmission({ jobType: 'command', config: { command: ['node'], killGraceMs: -1 } });
    expect(!r.ok && r.errors).toEqual([{ path: 'config.killGraceMs', message: expect.any(String) }]);
  });
});
