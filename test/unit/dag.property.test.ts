import fc from 'fast-check';
import {
  DagCycleError,
  ancestors,
  buildDag,
  criticalPath,
  findCycle,
  stages,
  topologicalOrder,
} from '../../src/domain/dag';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import { validateJob } from '../../src/domain/validate';
import { JobDAG } from '../../src/sdk/job-dag';

interface Node {
  id: string;
  dependsOn: string[];
}

/**
 * Random acyclic graphs: node i may depend only on nodes generated before it, then the list is
 * shuffled so input order says nothing about dependency order.
 */
const acyclic: fc.Arbitrary<Node[]> = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc
    .tuple(
      fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          i === 0
            ? fc.constant<number[]>([])
            : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, 4) }),
        ),
      ),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
    )
    .map(([deps, perm]) => perm.map((i) => ({ id: `n${i}`, dependsOn: deps[i]!.map((d) => `n${d}`) }))),
);

/** Every edge goes from an earlier position to a later one. */
function respectsEdges(nodes: readonly Node[], order: readonly string[]): boolean {
  const pos = new Map(order.map((id, i) => [id, i]));
  return nodes.every((n) => n.dependsOn.every((d) => pos.get(d)! < pos.get(n.id)!));
}

/** `path` = [x0, x1, …, x0] and each x(k+1) depends on x(k). */
function isRealCycle(nodes: readonly Node[], path: readonly string[]): boolean {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  if (path.length < 2 || path[0] !== path[path.length - 1]) return false;
  for (let k = 0; k + 1 < path.length; k++) if (!byId.get(path[k + 1]!)?.dependsOn.includes(path[k]!)) return false;
  return new Set(path.slice(0, -1)).size === path.length - 1;
}

const asCommands = (nodes: readonly Node[]): NodeSpecInput[] =>
  nodes.map((n) => ({ ...n, type: 'command', config: { command: ['node'] } }));

describe('DAG properties', () => {
  it('the topological order is a permutation that respects every edge', () => {
    fc.assert(
      fc.property(acyclic, (nodes) => {
        const order = topologicalOrder(nodes);
        expect([...order].sort()).toEqual(nodes.map((n) => n.id).sort());
        expect(respectsEdges(nodes, order)).toBe(true);
        expect(findCycle(nodes)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('stages partition the nodes and every edge goes to a later stage', () => {
    fc.assert(
      fc.property(acyclic, (nodes) => {
        const st = stages(nodes);
        const stageOf = new Map<string, number>();
        st.forEach((s, k) => s.forEach((id) => stageOf.set(id, k)));
        expect(stageOf.size).toBe(nodes.length);
        expect(st.flat()).toHaveLength(nodes.length);
        const wrong: string[] = [];
        for (const n of nodes) {
          for (const d of n.dependsOn) if (stageOf.get(d)! >= stageOf.get(n.id)!) wrong.push(`${d} -> ${n.id}`);
          // A node sits right after its latest dependency (levels, not just any order).
          const expected = n.dependsOn.length === 0 ? 0 : Math.max(...n.dependsOn.map((d) => stageOf.get(d)!)) + 1;
          if (stageOf.get(n.id) !== expected) wrong.push(`${n.id} at stage ${stageOf.get(n.id)}, expected ${expected}`);
        }
        expect(wrong).toEqual([]);
        // The execution order of the SDK builder is the same.
        expect(new JobDAG('p').add(asCommands(nodes)).getExecutionOrder()).toEqual(st);
        // The critical path by node count is as long as the number of stages, and is a real chain.
        const cp = criticalPath(nodes).nodes;
        expect(cp).toHaveLength(st.length);
        const byId = new Map(nodes.map((n) => [n.id, n]));
        for (let k = 1; k < cp.length; k++)
          if (!byId.get(cp[k]!)!.dependsOn.includes(cp[k - 1]!)) wrong.push(`critical path ${cp[k - 1]} -> ${cp[k]}`);
        expect(wrong).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('validation of an acyclic graph reports no graph error but orphans', () => {
    fc.assert(
      fc.property(acyclic, (nodes) => {
        const r = validateJob({ name: 'p', nodes: asCommands(nodes) });
        const messages = r.ok ? [] : r.errors.map((e) => e.message);
        expect(messages.filter((m) => !m.includes('is not connected'))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('adding a back edge always produces a cycle that findCycle reports and that is real', () => {
    fc.assert(
      fc.property(acyclic, fc.nat(), fc.nat(), (nodes, pickTarget, pickSource) => {
        // Make `from` depend on one of its own descendants (or itself): that closes a cycle.
        const to = nodes[pickTarget % nodes.length]!;
        const up = [...ancestors(nodes, to.id)].sort();
        const fromId = up.length === 0 ? to.id : up[pickSource % up.length]!;
        const cyclic = nodes.map((n) => (n.id === fromId ? { ...n, dependsOn: [...n.dependsOn, to.id] } : n));

        const cycle = findCycle(cyclic);
        expect(cycle).not.toBeNull();
        expect(isRealCycle(cyclic, cycle!)).toBe(true);
        expect(() => topologicalOrder(cyclic)).toThrow(DagCycleError);
        expect(() => new JobDAG('p').add(asCommands(cyclic)).getExecutionOrder()).toThrow('has a dependency cycle');

        const r = validateJob({ name: 'p', nodes: asCommands(cyclic) });
        expect(r.ok).toBe(false);
        if (r.ok) return;
        const expected = fromId === to.id ? 'depends on itself' : 'dependency cycle: ';
        const hit = r.errors.find((e) => e.message.includes(expected));
        expect(hit).toBeDefined();
        if (fromId !== to.id)
          expect(isRealCycle(cyclic, hit!.message.slice('dependency cycle: '.length).split(' -> '))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('validates a shuffled 10,000-node chain without overflowing the stack', () => {
    const n = 10_000;
    const chain: NodeSpecInput[] = [{ id: 'n0', type: 'dataset', config: { name: 'iris' } }];
    for (let i = 1; i < n; i++)
      chain.push({ id: `n${i}`, type: 'command', config: { command: ['node'] }, dependsOn: [`n${i - 1}`] });
    // Deterministic shuffle (Fisher-Yates with a fixed LCG).
    let seed = 12345;
    for (let i = n - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [chain[i], chain[j]] = [chain[j]!, chain[i]!];
    }
    const r = validateJob({ name: 'chain', nodes: chain });
    expect(r.ok).toBe(true);
    const order = topologicalOrder(chain as Node[]);
    expect(order[0]).toBe('n0');
    expect(order[n - 1]).toBe(`n${n - 1}`);
    expect(stages(buildDag(chain as Node[]))).toHaveLength(n);

    // Closing the chain into a ring: the whole ring comes back as the cycle.
    const ring = chain.map((c) =>
      c.id === 'n0'
        ? { id: 'n0', type: 'command' as const, config: { command: ['node'] }, dependsOn: [`n${n - 1}`] }
        : c,
    );
    const bad = validateJob({ name: 'ring', nodes: ring });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => e.message.split(' -> ').length)).toEqual([n + 1]);
  });
});
