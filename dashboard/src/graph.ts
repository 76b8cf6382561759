// The DAG as the page draws it: fan-outs collapsed into groups, then laid out. Pure (no DOM), so the
// unit tests run it under Node.
//
// Grouping: nodes are taken level by level (longest path from a root); two nodes of one level fall
// into the same class when they have the same type, the same sweep group and the same drawn
// parents. A class with more than COLLAPSE_OVER members is drawn as one group vertex unless the
// user expanded it. This collapses a fan-out (train ×64 under one prep), and, through it, the
// chains hanging from it (eval ×64, one per train).

export const COLLAPSE_OVER = 8;

export interface GraphNode {
  id: string;
  type: string;
  dependsOn: readonly string[];
  trial?: { group: string } | undefined;
}

export interface Vertex {
  id: string;
  kind: 'node' | 'group';
  type: string;
  /** Node ids (one for a node vertex), in spec order. */
  members: string[];
  level: number;
}

export interface VisibleGraph {
  vertices: Vertex[];
  /** [from, to] vertex ids, no duplicates. */
  edges: [string, string][];
  /** Node id → the vertex that draws it. */
  vertexOf: Map<string, string>;
  /** Every collapsible class (collapsed or expanded): group id → member node ids. */
  groups: Map<string, string[]>;
  /** Node id → its group id, for nodes of a collapsible class. */
  groupOf: Map<string, string>;
}

export const groupIdOf = (firstMember: string) => `group:${firstMember}`;

/** Longest-path level of every node (unknown dependencies are ignored; a cycle leaves its nodes at 0). */
export function levels(nodes: readonly GraphNode[]): Map<string, number> {
  const ids = new Set(nodes.map((n) => n.id));
  const indegree = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    let d = 0;
    for (const p of new Set(n.dependsOn)) {
      if (!ids.has(p)) continue;
      d++;
      let c = children.get(p);
      if (!c) children.set(p, (c = []));
      c.push(n.id);
    }
    indegree.set(n.id, d);
  }
  const level = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    const l = level.get(id)!;
    for (const c of children.get(id) ?? []) {
      if (level.get(c)! < l + 1) level.set(c, l + 1);
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) queue.push(c);
    }
  }
  return level;
}

export function buildVisibleGraph(
  nodes: readonly GraphNode[],
  expanded: ReadonlySet<string> = new Set(),
  collapseOver = COLLAPSE_OVER,
): VisibleGraph {
  const level = levels(nodes);
  const byLevel: GraphNode[][] = [];
  for (const n of nodes) {
    const l = level.get(n.id) ?? 0;
    (byLevel[l] ??= []).push(n);
  }
  const ids = new Set(nodes.map((n) => n.id));
  const vertexOf = new Map<string, string>();
  const groups = new Map<string, string[]>();
  const groupOf = new Map<string, string>();
  const vertices: Vertex[] = [];
  byLevel.forEach((levelNodes, l) => {
    const classes = new Map<string, GraphNode[]>();
    for (const n of levelNodes) {
      const parents = [...new Set(n.dependsOn.filter((p) => ids.has(p)).map((p) => vertexOf.get(p) ?? p))].sort();
      const key = `${n.type}\u0000${n.trial?.group ?? ''}\u0000${parents.join('\u0000')}`;
      let c = classes.get(key);
      if (!c) classes.set(key, (c = []));
      c.push(n);
    }
    for (const members of classes.values()) {
      const gid = groupIdOf(members[0]!.id);
      if (members.length > collapseOver) {
        groups.set(
          gid,
          members.map((m) => m.id),
        );
        for (const m of members) groupOf.set(m.id, gid);
      }
      if (members.length > collapseOver && !expanded.has(gid)) {
        vertices.push({ id: gid, kind: 'group', type: members[0]!.type, members: members.map((m) => m.id), level: l });
        for (const m of members) vertexOf.set(m.id, gid);
      } else
        for (const m of members) {
          vertices.push({ id: m.id, kind: 'node', type: m.type, members: [m.id], level: l });
          vertexOf.set(m.id, m.id);
        }
    }
  });
  const seen = new Set<string>();
  const edges: [string, string][] = [];
  for (const n of nodes) {
    const to = vertexOf.get(n.id)!;
    for (const p of n.dependsOn) {
      const from = vertexOf.get(p);
      if (from === undefined || from === to) continue;
      const k = `${from}\u0000${to}`;
      if (seen.has(k)) continue;
      seen.add(k);
      edges.push([from, to]);
    }
  }
  return { vertices, edges, vertexOf, groups, groupOf };
}

export interface TimedNode {
  id: string;
  dependsOn: readonly string[];
  startedAt?: string | undefined;
  completedAt?: string | undefined;
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : NaN);

/**
 * The critical path of what ran: from the node that finished last (a running one counts as
 * finishing now), back through the dependency that finished last, to a root. Node ids, first to last.
 */
export function actualCriticalPath(nodes: readonly TimedNode[], now = Date.now()): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const endOf = (n: TimedNode): number => {
    const end = ms(n.completedAt);
    if (!Number.isNaN(end)) return end;
    return Number.isNaN(ms(n.startedAt)) ? NaN : now;
  };
  let last: TimedNode | undefined;
  for (const n of nodes) {
    const e = endOf(n);
    if (!Number.isNaN(e) && (last === undefined || e > endOf(last))) last = n;
  }
  const path: string[] = [];
  const visited = new Set<string>();
  while (last && !visited.has(last.id)) {
    visited.add(last.id);
    path.push(last.id);
    let next: TimedNode | undefined;
    for (const p of last.dependsOn) {
      const pn = byId.get(p);
      if (!pn) continue;
      const e = endOf(pn);
      if (!Number.isNaN(e) && (next === undefined || e > endOf(next))) next = pn;
    }
    last = next;
  }
  return path.reverse();
}

/** "train ×64: 40 done, 8 running, 1 failed". */
export function groupSummary(
  type: string,
  statuses: readonly string[],
  words: readonly (readonly [string, string])[],
): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  const parts: string[] = [];
  for (const [status, word] of words) {
    const c = counts.get(status);
    if (c) parts.push(`${c} ${word}`);
    counts.delete(status);
  }
  for (const [status, c] of counts) parts.push(`${c} ${status}`);
  return `${type} ×${statuses.length}: ${parts.join(', ')}`;
}
