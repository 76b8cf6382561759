import {
  DagCycleError,
  DagError,
  ancestors,
  buildDag,
  criticalPath,
  descendants,
  findCycle,
  findCycles,
  leaves,
  roots,
  stages,
  topologicalIndices,
  topologicalOrder,
} from '../../src/domain/dag';

const diamond = [
  { id: 'a' },
  { id: 'b', dependsOn: ['a'] },
  { id: 'c', dependsOn: ['a'] },
  { id: 'd', dependsOn: ['b', 'c'] },
];

describe('buildDag', () => {
  it('builds parents, children, indegree and counts each edge once', () => {
    const dag = buildDag([...diamond.slice(0, 3), { id: 'd', dependsOn: ['b', 'c', 'b'] }]);
    expect(dag.ids).toEqual(['a', 'b', 'c', 'd']);
    expect(dag.parents).toEqual([[], [0], [0], [1, 2]]);
    expect(dag.children).toEqual([[1, 2], [3], [3], []]);
    expect(dag.indegree).toEqual([0, 1, 1, 2]);
    expect(dag.edgeCount).toBe(4);
  });

  it('throws on a duplicate id or an unknown dependency', () => {
    expect(() => buildDag([{ id: 'a' }, { id: 'a' }])).toThrow(DagError);
    expect(() => buildDag([{ id: 'a', dependsOn: ['zz'] }])).toThrow('depends on unknown node "zz"');
  });
});

describe('order and stages', () => {
  it('orders a diamond', () => {
    expect(topologicalOrder(diamond)).toEqual(['a', 'b', 'c', 'd']);
    expect(stages(diamond)).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('puts a node at its longest chain depth, input order within a stage', () => {
    const nodes = [{ id: 'z', dependsOn: ['y', 'a'] }, { id: 'y', dependsOn: ['x'] }, { id: 'x' }, { id: 'a' }];
    expect(stages(nodes)).toEqual([['x', 'a'], ['y'], ['z']]);
    expect(topologicalOrder(nodes)).toEqual(['x', 'a', 'y', 'z']);
  });

  it('throws DagCycleError with the path on a cycle', () => {
    const nodes = [
      { id: 'a', dependsOn: ['c'] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['b'] },
      { id: 'd' },
    ];
    expect(() => topologicalOrder(nodes)).toThrow('dependency cycle: a -> b -> c -> a');
    let thrown: unknown;
    try {
      stages(nodes);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DagCycleError);
    expect((thrown as DagCycleError).cycle).toEqual(['a', 'b', 'c', 'a']);
    // Kahn's partial order still yields the nodes outside the cycle.
    expect(topologicalIndices(buildDag(nodes))).toEqual([3]);
  });

  it('handles an empty graph', () => {
    expect(topologicalOrder([])).toEqual([]);
    expect(stages([])).toEqual([]);
    expect(criticalPath([])).toEqual({ nodes: [], length: 0 });
  });
});

describe('findCycle', () => {
  it('returns null for a DAG', () => {
    expect(findCycle(diamond)).toBeNull();
  });

  it('finds a self loop', () => {
    expect(findCycle([{ id: 'a', dependsOn: ['a'] }])).toEqual(['a', 'a']);
  });

  it('starts the cycle at its earliest node', () => {
    const nodes = [
      { id: 'x' },
      { id: 'p', dependsOn: ['x', 'r'] },
      { id: 'q', dependsOn: ['p'] },
      { id: 'r', dependsOn: ['q'] },
    ];
    expect(findCycle(nodes)).toEqual(['p', 'q', 'r', 'p']);
  });

  it('finds several disjoint cycles up to a limit', () => {
    const nodes = [
      { id: 'a', dependsOn: ['b'] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['d'] },
      { id: 'd', dependsOn: ['c'] },
    ];
    expect(findCycles(nodes, 5)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'c'],
    ]);
    expect(findCycles(nodes, 1)).toHaveLength(1);
  });

  it('finds a 100,000-node ring without recursion', () => {
    const n = 100_000;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, dependsOn: [`n${(i + n - 1) % n}`] }));
    const cycle = findCycle(nodes)!;
    expect(cycle).toHaveLength(n + 1);
    expect(cycle[0]).toBe('n0');
    expect(cycle[n]).toBe('n0');
  });
});

describe('ancestors / descendants / roots / leaves', () => {
  it('walks the diamond both ways', () => {
    expect([...ancestors(diamond, 'd')].sort()).toEqual(['a', 'b', 'c']);
    expect([...ancestors(diamond, 'a')]).toEqual([]);
    expect([...descendants(diamond, 'a')].sort()).toEqual(['b', 'c', 'd']);
    expect([...descendants(diamond, 'b')]).toEqual(['d']);
    expect(roots(diamond)).toEqual(['a']);
    expect(leaves(diamond)).toEqual(['d']);
  });

  it('throws on an unknown node', () => {
    expect(() => descendants(diamond, 'nope')).toThrow('unknown node "nope"');
  });

  it('walks a 50,000-node chain', () => {
    const nodes = Array.from({ length: 50_000 }, (_, i) => ({ id: `n${i}`, dependsOn: i ? [`n${i - 1}`] : [] }));
    const dag = buildDag(nodes);
    expect(ancestors(dag, 'n49999').size).toBe(49_999);
    expect(descendants(dag, 'n0').size).toBe(49_999);
    expect(stages(dag)).toHaveLength(50_000);
  });
});

describe('criticalPath', () => {
  it('counts nodes when no weights are given', () => {
    const nodes = [...diamond, { id: 'e', dependsOn: ['c'] }, { id: 'f', dependsOn: ['e'] }];
    expect(criticalPath(nodes)).toEqual({ nodes: ['a', 'c', 'e', 'f'], length: 4 });
  });

  it('follows the heaviest branch', () => {
    expect(criticalPath(diamond, { a: 1, b: 10, c: 2, d: 1 })).toEqual({ nodes: ['a', 'b', 'd'], length: 12 });
    expect(criticalPath(diamond, (id) => (id === 'c' ? 50 : 1))).toEqual({ nodes: ['a', 'c', 'd'], length: 52 });
  });

  it('treats missing weights as 0 and prefers the longer chain on ties', () => {
    const nodes = [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }, { id: 'solo' }];
    expect(criticalPath(nodes, { solo: 5, a: 5 })).toEqual({ nodes: ['a', 'b'], length: 5 });
  });
});
