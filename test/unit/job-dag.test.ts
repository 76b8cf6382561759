import { JobDAG } from '../../src/sdk/job-dag';

function demo(): JobDAG {
  return new JobDAG('iris-demo', { tags: ['demo'], parallelism: 4 })
    .add({ id: 'data', type: 'dataset', config: { name: 'iris' } })
    .add({ id: 'split', type: 'split', dependsOn: ['data'] })
    .add({ id: 'prep', type: 'preprocess', dependsOn: ['split'] })
    .add({ id: 'train', type: 'train', dependsOn: ['prep'], config: { epochs: 20 } })
    .add([
      { id: 'eval', type: 'evaluate', dependsOn: ['train'] },
      { id: 'export', type: 'export', dependsOn: ['train'] },
    ])
    .add({ id: 'viz', type: 'visualize', dependsOn: ['eval'] });
}

describe('JobDAG', () => {
  it('builds a spec that validates', () => {
    const dag = demo();
    const spec = dag.toSpec();
    expect(spec).toMatchObject({ name: 'iris-demo', tags: ['demo'], parallelism: 4 });
    expect(spec.nodes.map((n) => n.id)).toEqual(['data', 'split', 'prep', 'train', 'eval', 'export', 'viz']);
    expect(dag.validate().ok).toBe(true);
    expect(dag.size).toBe(7);
    expect(dag.has('viz')).toBe(true);
  });

  it('gives the execution order as stages', () => {
    expect(demo().getExecutionOrder()).toEqual([['data'], ['split'], ['prep'], ['train'], ['eval', 'export'], ['viz']]);
  });

  it('connects nodes added without dependencies, in any order', () => {
    const dag = new JobDAG('x')
      .add({ id: 'b', type: 'split' })
      .add({ id: 'a', type: 'dataset', config: { name: 'wine' } })
      .connect('a', 'b')
      .connect('a', 'b');
    expect(dag.toSpec().nodes[0]!.dependsOn).toEqual(['a']);
    expect(dag.getExecutionOrder()).toEqual([['a'], ['b']]);
    expect(() => dag.connect('zz', 'b')).toThrow('no node "zz"');
  });

  it('throws a clear error on a cycle, naming its path', () => {
    const dag = new JobDAG('loop')
      .add({ id: 'a', type: 'command', config: { command: ['node'] }, dependsOn: ['c'] })
      .add({ id: 'b', type: 'command', config: { command: ['node'] }, dependsOn: ['a'] })
      .add({ id: 'c', type: 'command', config: { command: ['node'] }, dependsOn: ['b'] });
    expect(() => dag.getExecutionOrder()).toThrow('JobDAG "loop" has a dependency cycle: a -> b -> c -> a');
    const r = dag.validate();
    expect(!r.ok && r.errors).toEqual([
      { path: 'nodes[0].dependsOn[0]', message: 'dependency cycle: a -> b -> c -> a' },
    ]);
  });

  it('throws on an unknown dependency and on a repeated id', () => {
    const dag = new JobDAG('x').add({ id: 'a', type: 'dataset', config: { name: 'iris' }, dependsOn: ['ghost'] });
    expect(() => dag.getExecutionOrder()).toThrow('JobDAG "x": node "a" depends on unknown node "ghost"');
    expect(() => dag.add({ id: 'a', type: 'dataset' })).toThrow('node "a" was already added');
  });

  it('passes the validation context through', () => {
    const dag = new JobDAG('c').add({ id: 'run', type: 'command', config: { command: ['bash', '-c', 'echo'] } });
    expect(dag.validate().ok).toBe(true);
    const r = dag.validate({ allowedCommands: ['node'] });
    expect(!r.ok && r.errors.map((e) => e.path)).toEqual(['nodes[0].config.command[0]']);
  });

  it('round-trips through fromSpec, and toSpec copies do not leak', () => {
    const spec = demo().toSpec();
    const again = JobDAG.fromSpec(spec);
    expect(again.toSpec()).toEqual(spec);
    spec.nodes[1]!.dependsOn!.push('prep');
    expect(again.toSpec().nodes[1]!.dependsOn).toEqual(['data']);
  });
});
