// The dashboard's graph model (dashboard/src/graph.ts, layout.ts): pure code, tested under Node.
import {
  actualCriticalPath,
  buildVisibleGraph,
  groupIdOf,
  groupSummary,
  type GraphNode,
} from '../../dashboard/src/graph';
import { layeredLayout } from '../../dashboard/src/layout';

function sweep(n: number): GraphNode[] {
  const nodes: GraphNode[] = [
    { id: 'data', type: 'dataset', dependsOn: [] },
    { id: 'prep', type: 'preprocess', dependsOn: ['data'] },
  ];
  for (let i = 0; i < n; i++) nodes.push({ id: `train-${i}`, type: 'train', dependsOn: ['prep'] });
  for (let i = 0; i < n; i++) nodes.push({ id: `eval-${i}`, type: 'evaluate', dependsOn: [`train-${i}`] });
  nodes.push({ id: 'select', type: 'command', dependsOn: Array.from({ length: n }, (_, i) => `eval-${i}`) });
  return nodes;
}

test('when a fan-out is wider than the threshold, then it and the chains under it collapse into groups', () => {
  const g = buildVisibleGraph(sweep(64));
  expect(g.vertices.map((v) => v.id)).toEqual(['data', 'prep', groupIdOf('train-0'), groupIdOf('eval-0'), 'select']);
  expect(g.vertices.find((v) => v.kind === 'group' && v.type === 'train')?.members).toHaveLength(64);
  expect(g.edges).toEqual([
    ['data', 'prep'],
    ['prep', groupIdOf('train-0')],
    [groupIdOf('train-0'), groupIdOf('eval-0')],
    [groupIdOf('eval-0'), 'select'],
  ]);
  expect(g.vertexOf.get('eval-17')).toBe(groupIdOf('eval-0'));
});

test('when a group is expanded, then its members and their chains are drawn one by one', () => {
  const g = buildVisibleGraph(sweep(64), new Set([groupIdOf('train-0')]));
  expect(g.vertices).toHaveLength(2 + 64 + 64 + 1);
  expect(g.edges).toContainEqual(['train-5', 'eval-5']);
  expect(g.groups.get(groupIdOf('train-0'))).toHaveLength(64);
});

test('when a fan-out is at most the threshold, then nothing collapses', () => {
  const g = buildVisibleGraph(sweep(8));
  expect(g.vertices.every((v) => v.kind === 'node')).toBe(true);
});

test('when nodes ran, then the critical path goes back from the last to finish through the latest-finishing parent', () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const path = actualCriticalPath([
    { id: 'a', dependsOn: [], startedAt: t(0), completedAt: t(1) },
    { id: 'b', dependsOn: ['a'], startedAt: t(1), completedAt: t(5) },
    { id: 'c', dependsOn: ['a'], startedAt: t(1), completedAt: t(2) },
    { id: 'd', dependsOn: ['b', 'c'], startedAt: t(5), completedAt: t(6) },
    { id: 'e', dependsOn: ['d'] },
  ]);
  expect(path).toEqual(['a', 'b', 'd']);
});

test('when a group summarises its members, then it counts each status in a fixed order', () => {
  const words = [
    ['completed', 'done'],
    ['running', 'running'],
    ['failed', 'failed'],
  ] as const;
  const statuses = [
    ...Array(40).fill('completed'),
    ...Array(8).fill('running'),
    'failed',
    ...Array(15).fill('pending'),
  ];
  expect(groupSummary('train', statuses, words)).toBe('train ×64: 40 done, 8 running, 1 failed, 15 pending');
});

test('when 10,000 nodes are laid out by the linear layered layout, then every vertex gets a distinct place', () => {
  const nodes = sweep(5000);
  const g = buildVisibleGraph(nodes, new Set([groupIdOf('train-0')]));
  const l = layeredLayout({ vertices: g.vertices.map((v) => ({ id: v.id, level: v.level })), edges: g.edges }, 2);
  expect(l.positions.size).toBe(g.vertices.length);
  const places = new Set([...l.positions.values()].map((p) => `${p.x},${p.y}`));
  expect(places.size).toBe(g.vertices.length);
});
