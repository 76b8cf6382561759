// foreach: the list at a path of an output, the item specs, validation, and a map carried across
// continue-as-new by the job state (rebuilt from its list, item states kept).
import { itemSpec, listAt } from '../../src/domain/foreach';
import { JobSpec } from '../../src/domain/job-spec';
import { validateJob } from '../../src/domain/validate';
import { JobState } from '../../workflows/job-state';

const out = (summary: Record<string, unknown>) => ({ summary, artifacts: [] });

test('when the path names a list, then it is returned; otherwise the message says what is there', () => {
  expect(listAt(out({ result: { shards: ['a', 'b'] } }), 'result.shards')).toEqual({ items: ['a', 'b'] });
  expect(listAt(out({ result: { shards: ['a'] } }), 'summary.result.shards')).toEqual({ items: ['a'] });
  expect(listAt(out({ result: { other: 1 } }), 'result.shards')).toEqual({
    error: 'its output has no "result.shards" (result has: other)',
  });
  expect(listAt(out({ n: 3 }), 'n')).toEqual({ error: '"n" in its output is number, not a list' });
  expect(listAt(out({ l: Array.from({ length: 10_001 }, () => 0) }), 'l')).toEqual({
    error: '"l" has 10001 items; a foreach takes at most 10000',
  });
});

test('when items are expanded, then a command item gets params.item and another type merges a mapping into config', () => {
  const spec = JobSpec.parse({
    name: 'x',
    nodes: [
      { id: 'src', type: 'command', config: { command: ['true'] } },
      {
        id: 'run',
        type: 'command',
        dependsOn: ['src'],
        config: { command: ['true'] },
        params: { a: 1 },
        foreach: { node: 'src', field: 'l' },
      },
      { id: 'viz', type: 'visualize', dependsOn: ['src'], foreach: { node: 'src', field: 'l' } },
    ],
  });
  const run = itemSpec(spec.nodes[1]!, 3, 'shard-3', 12);
  expect(run).toMatchObject({ id: 'run-i03', dependsOn: [], params: { a: 1, item: 'shard-3' } });
  expect(run).not.toHaveProperty('foreach');
  expect(itemSpec(spec.nodes[2]!, 0, { plots: ['loss'] }, 1)).toMatchObject({
    id: 'viz-i0',
    config: { plots: ['loss'] },
  });
  expect(itemSpec(spec.nodes[2]!, 0, 'loss', 1)).toMatch(/items of a visualize node must be mappings/);
});

test('when a foreach names a node it does not depend on, then validation says so', () => {
  const v = validateJob({
    name: 'x',
    nodes: [
      { id: 'a', type: 'command', config: { command: ['true'] } },
      {
        id: 'b',
        type: 'command',
        dependsOn: ['a'],
        config: { command: ['true'] },
        foreach: { node: 'zz', field: 'l' },
      },
    ],
  });
  expect(v.ok).toBe(false);
  if (!v.ok)
    expect(v.errors).toContainEqual({
      path: 'nodes[1].foreach.node',
      message: expect.stringMatching(/must be one of the node's dependsOn \("a"\)/),
    });
});

test('when a map is open at continue-as-new, then the next run rebuilds its items from the carried list with their states', () => {
  const spec = JobSpec.parse({
    name: 'x',
    nodes: [
      { id: 'src', type: 'command', config: { command: ['true'] } },
      {
        id: 'run',
        type: 'command',
        dependsOn: ['src'],
        config: { command: ['true'] },
        foreach: { node: 'src', field: 'l', maxParallel: 2 },
      },
      { id: 'end', type: 'command', dependsOn: ['run'], config: { command: ['true'] } },
    ],
  });
  const specsOf = (map: JobSpec['nodes'][number], items: readonly unknown[]) =>
    items.map((v, k) => itemSpec(map, k, v, items.length) as JobSpec['nodes'][number]);
  const a = new JobState(spec, () => 'q');
  a.rebuildReady();
  a.markStarted(a.takeReady()!, 0);
  a.markCompleted(0, out({ l: [10, 20, 30, 40] }), 1);
  expect(a.takeReady()).toBe(1);
  a.expandMap(1, [10, 20, 30, 40], specsOf(spec.nodes[1]!, [10, 20, 30, 40]), 2);
  // maxParallel 2: two items, then nothing until one ends; the map node itself is not "running".
  const first = [a.takeReady()!, a.takeReady()!];
  expect(first.map((i) => a.node(i).spec.id)).toEqual(['run-i0', 'run-i1']);
  first.forEach((i) => a.markStarted(i, 3));
  expect(a.takeReady()).toBeUndefined();
  expect(a.running).toBe(2);
  a.markCompleted(first[0]!, out({}), 4);
  a.markFailed(first[1]!, { message: 'x' }, 1, 4);
  expect(a.running).toBe(0);
  expect(a.mapDue(first[1]!)).toBeUndefined();

  const carried = a.carry(0, 1_000_000);
  expect(carried.maps).toEqual([[1, [10, 20, 30, 40]]]);
  const b = new JobState(spec, () => 'q');
  b.restore(carried, 0, (map, items) => specsOf(map.spec, items));
  b.rebuildReady();
  expect(b.node(1).status).toBe('running');
  expect(b.running).toBe(0);
  expect([3, 4, 5, 6].map((i) => [b.node(i).spec.id, b.node(i).status])).toEqual([
    ['run-i0', 'completed'],
    ['run-i1', 'failed'],
    ['run-i2', 'pending'],
    ['run-i3', 'pending'],
  ]);
  const rest = [b.takeReady()!, b.takeReady()!];
  expect(rest).toEqual([5, 6]);
  rest.forEach((i) => {
    b.markStarted(i, 5);
    b.markCompleted(i, out({}), 6);
  });
  expect(b.mapDue(6)).toBe(1);
  expect(b.mapTally(1)).toEqual({ items: 4, completed: 3, lost: 1, lostIds: ['run-i1'] });
  b.markCompleted(1, out({}), 7);
  b.markStarted(b.takeReady()!, 8);
  b.markCompleted(2, out({}), 9);
  // The failed item is tolerated once its map completed.
  expect(b.allCompleted()).toBe(true);
});
