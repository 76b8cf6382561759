// Pure graph helpers over job nodes, used by validation, the plan, the job workflow and the SDK
// builder. Sandbox-safe (no imports). Every function is iterative and O(nodes + edges): a
// 10,000-node chain must not blow the stack.
//
// Edge direction: a node's `dependsOn` lists its parents; a parent runs before its children.
// Paths and cycles are written in execution order: `a -> b` means b depends on a.

/** The part of a node the graph needs. */
export interface DagNodeLike {
  readonly id: string;
  readonly dependsOn?: readonly string[];
}

/** Adjacency built once from a node list; indices follow the input order. */
export interface Dag {
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** parents[i]: indices of node i's dependencies, deduplicated, in dependsOn order. */
  readonly parents: readonly (readonly number[])[];
  /** children[i]: indices of the nodes that depend on node i, in input order. */
  readonly children: readonly (readonly number[])[];
  /** indegree[i] = parents[i].length. */
  readonly indegree: readonly number[];
  readonly edgeCount: number;
}

/** Either a built Dag or the node list to build one from. */
export type DagInput = Dag | readonly DagNodeLike[];

/** A graph that cannot be built or ordered (duplicate id, unknown dependency, unknown node). */
export class DagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DagError';
  }
}

/** Thrown where an order is asked of a graph with a cycle; `cycle` is its path, first node repeated last. */
export class DagCycleError extends DagError {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(' -> ')}`);
    this.name = 'DagCycleError';
  }
}

/**
 * Builds the adjacency. Ids must be unique and every dependency must name a node (validation
 * reports those problems with paths; here they throw). Repeated dependencies count once; a self
 * dependency is kept as an edge (it is a cycle).
 */
export function buildDag(nodes: readonly DagNodeLike[]): Dag {
  const n = nodes.length;
  const ids: string[] = new Array<string>(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = nodes[i]!.id;
    if (index.has(id)) throw new DagError(`duplicate node id "${id}" (nodes[${index.get(id)!}] and nodes[${i}])`);
    index.set(id, i);
    ids[i] = id;
  }
  const parents: number[][] = new Array<number[]>(n);
  const children: number[][] = new Array<number[]>(n);
  const indegree: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) children[i] = [];
  let edgeCount = 0;
  for (let i = 0; i < n; i++) {
    const deps = nodes[i]!.dependsOn ?? [];
    const ps: number[] = [];
    for (const dep of deps) {
      const p = index.get(dep);
      if (p === undefined) throw new DagError(`node "${ids[i]!}" depends on unknown node "${dep}"`);
      if (ps.includes(p)) continue;
      ps.push(p);
    }
    parents[i] = ps;
    indegree[i] = ps.length;
    edgeCount += ps.length;
    for (const p of ps) children[p]!.push(i);
  }
  return { ids, index, parents, children, indegree, edgeCount };
}

function isDag(input: DagInput): input is Dag {
  return !Array.isArray(input);
}

/** Returns `input` when it is already a Dag, else builds one. */
export function toDag(input: DagInput): Dag {
  return isDag(input) ? input : buildDag(input);
}

function indexOf(dag: Dag, id: string): number {
  const i = dag.index.get(id);
  if (i === undefined) throw new DagError(`unknown node "${id}"`);
  return i;
}

/**
 * Kahn's algorithm over indices. Returns every node that is not on or downstream of a cycle, in
 * a topological order (roots in input order first); shorter than the graph when it has a cycle.
 */
export function topologicalIndices(dag: Dag): number[] {
  const n = dag.ids.length;
  const remaining = dag.indegree.slice();
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (remaining[i] === 0) order.push(i);
  // `order` doubles as the FIFO queue.
  for (let head = 0; head < order.length; head++) {
    for (const c of dag.children[order[head]!]!) {
      const left = remaining[c]! - 1;
      remaining[c] = left;
      if (left === 0) order.push(c);
    }
  }
  return order;
}

function completeOrder(dag: Dag): number[] {
  const order = topologicalIndices(dag);
  if (order.length < dag.ids.length) throw new DagCycleError(findCycle(dag) ?? []);
  return order;
}

/** Node ids in an order where every node comes after all its dependencies. Throws DagCycleError. */
export function topologicalOrder(input: DagInput): string[] {
  const dag = toDag(input);
  return completeOrder(dag).map((i) => dag.ids[i]!);
}

/** Stage (topological level) of each node by index: 0 for roots, else 1 + the highest parent stage. */
export function stageIndices(dag: Dag): number[] {
  const level = new Array<number>(dag.ids.length).fill(0);
  for (const i of completeOrder(dag)) {
    let l = 0;
    for (const p of dag.parents[i]!) if (level[p]! + 1 > l) l = level[p]! + 1;
    level[i] = l;
  }
  return level;
}

/** Topological levels: stage k holds the nodes whose longest dependency chain has k edges; input order within a stage. */
export function stages(input: DagInput): string[][] {
  const dag = toDag(input);
  const level = stageIndices(dag);
  const out: string[][] = [];
  for (let i = 0; i < level.length; i++) {
    const l = level[i]!;
    while (out.length <= l) out.push([]);
    out[l]!.push(dag.ids[i]!);
  }
  return out;
}

/**
 * Up to `limit` cycles, each as a path in execution order with its first node repeated last
 * (`[a, b, c, a]`: b depends on a, c on b, a on c), rotated to start at its earliest node in input
 * order. Cycles found share no start/end nodes with one another. Iterative DFS, O(nodes + edges).
 */
export function findCycles(input: DagInput, limit = 1): string[][] {
  const dag = toDag(input);
  const n = dag.ids.length;
  const cycles: number[][] = [];
  if (limit <= 0) return [];
  // 0 = unvisited, 1 = on the DFS stack, 2 = done.
  const color = new Uint8Array(n);
  const posOnStack = new Int32Array(n).fill(-1);
  const inReported = new Uint8Array(n);
  const stack: number[] = [];
  const next: number[] = []; // next child pointer for each stack frame
  for (let root = 0; root < n && cycles.length < limit; root++) {
    if (color[root] !== 0) continue;
    color[root] = 1;
    posOnStack[root] = 0;
    stack.push(root);
    next.push(0);
    while (stack.length > 0 && cycles.length < limit) {
      const top = stack.length - 1;
      const u = stack[top]!;
      const kids = dag.children[u]!;
      const k = next[top]!;
      if (k < kids.length) {
        next[top] = k + 1;
        const v = kids[k]!;
        if (color[v] === 0) {
          color[v] = 1;
          posOnStack[v] = stack.length;
          stack.push(v);
          next.push(0);
        } else if (color[v] === 1 && !inReported[v] && !inReported[u]) {
          const cycle = stack.slice(posOnStack[v]!);
          for (const c of cycle) inReported[c] = 1;
          cycles.push(cycle);
        }
      } else {
        color[u] = 2;
        posOnStack[u] = -1;
        stack.pop();
        next.pop();
      }
    }
  }
  return cycles.map((c) => {
    let m = 0;
    for (let i = 1; i < c.length; i++) if (c[i]! < c[m]!) m = i;
    const rotated = c.slice(m).concat(c.slice(0, m));
    rotated.push(rotated[0]!);
    return rotated.map((i) => dag.ids[i]!);
  });
}

/** One cycle's path (see findCycles), or null when the graph is acyclic. */
export function findCycle(input: DagInput): string[] | null {
  return findCycles(input, 1)[0] ?? null;
}

function reach(dag: Dag, start: number, edges: readonly (readonly number[])[]): Set<string> {
  const seen = new Uint8Array(dag.ids.length);
  const out = new Set<string>();
  const todo: number[] = [start];
  while (todo.length > 0) {
    const u = todo.pop()!;
    for (const v of edges[u]!) {
      if (seen[v]) continue;
      seen[v] = 1;
      out.add(dag.ids[v]!);
      todo.push(v);
    }
  }
  return out;
}

/** Every node `id` depends on, directly or transitively (not `id` itself unless on a cycle). */
export function ancestors(input: DagInput, id: string): Set<string> {
  const dag = toDag(input);
  return reach(dag, indexOf(dag, id), dag.parents);
}

/** Every node that depends on `id`, directly or transitively (not `id` itself unless on a cycle). */
export function descendants(input: DagInput, id: string): Set<string> {
  const dag = toDag(input);
  return reach(dag, indexOf(dag, id), dag.children);
}

/** Nodes without dependencies, in input order. */
export function roots(input: DagInput): string[] {
  const dag = toDag(input);
  return dag.ids.filter((_, i) => dag.indegree[i] === 0);
}

/** Nodes nothing depends on, in input order. */
export function leaves(input: DagInput): string[] {
  const dag = toDag(input);
  return dag.ids.filter((_, i) => dag.children[i]!.length === 0);
}

export interface CriticalPath {
  /** The heaviest dependency chain, in execution order. */
  nodes: string[];
  /** Sum of its node weights. */
  length: number;
}

/**
 * The heaviest chain of dependencies. `weights` gives each node's weight (missing = 0 for a
 * record; every node weighs 1 when omitted). Ties go to the chain with more nodes, then to the
 * earlier node in topological order. Throws DagCycleError.
 */
export function criticalPath(
  input: DagInput,
  weights?: Readonly<Record<string, number>> | ((id: string) => number),
): CriticalPath {
  const dag = toDag(input);
  const order = completeOrder(dag);
  const n = dag.ids.length;
  const weightOf =
    weights === undefined
      ? () => 1
      : typeof weights === 'function'
        ? weights
        : (id: string) => (Object.hasOwn(weights, id) ? weights[id]! : 0);
  const dist = new Float64Array(n);
  const count = new Int32Array(n);
  const via = new Int32Array(n).fill(-1);
  let best = -1;
  for (const i of order) {
    let d = 0;
    let c = 0;
    let from = -1;
    for (const p of dag.parents[i]!) {
      if (from === -1 || dist[p]! > d || (dist[p]! === d && count[p]! > c)) {
        d = dist[p]!;
        c = count[p]!;
        from = p;
      }
    }
    const w = weightOf(dag.ids[i]!);
    dist[i] = d + (Number.isFinite(w) ? w : 0);
    count[i] = c + 1;
    via[i] = from;
    if (best === -1 || dist[i]! > dist[best]! || (dist[i] === dist[best] && count[i]! > count[best]!)) best = i;
  }
  if (best === -1) return { nodes: [], length: 0 };
  const path: string[] = [];
  for (let i = best; i !== -1; i = via[i]!) path.push(dag.ids[i]!);
  path.reverse();
  return { nodes: path, length: dist[best]! };
}
