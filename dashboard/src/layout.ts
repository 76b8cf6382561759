// Layout of the drawn graph, left to right. Two engines:
// - dagre (Sugiyama with crossing reduction): the good-looking one, run in a Web Worker
//   (layout-worker.ts) because it takes seconds for a thousand vertices;
// - `layered`: longest-path ranks and two barycenter sweeps, linear in the graph's size; the
//   page draws it at once (without the sweeps) so a job is usable before dagre is done, and the
//   worker falls back to it above DAGRE_MAX vertices, where dagre would take too long to be useful.
// Pure: no DOM, no worker API.

export const NODE_W = 190;
export const NODE_H = 58;
const GAP_X = 64;
const GAP_Y = 18;
export const DAGRE_MAX = 300;

export interface LayoutInput {
  vertices: { id: string; level: number }[];
  edges: [string, string][];
}

export interface Layout {
  /** Top-left corner of each vertex. */
  positions: Map<string, { x: number; y: number }>;
  /** Polyline of each edge, keyed "from\u0000to". */
  edgePoints: Map<string, { x: number; y: number }[]>;
  width: number;
  height: number;
  engine: 'layered' | 'dagre';
}

export interface LayoutMessage {
  positions: [string, number, number][];
  edges: [string, string, number[]][];
  width: number;
  height: number;
  engine: 'layered' | 'dagre';
}

export const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

function straightEdges(input: LayoutInput, positions: Map<string, { x: number; y: number }>) {
  const edgePoints = new Map<string, { x: number; y: number }[]>();
  for (const [a, b] of input.edges) {
    const pa = positions.get(a);
    const pb = positions.get(b);
    if (!pa || !pb) continue;
    edgePoints.set(edgeKey(a, b), [
      { x: pa.x + NODE_W, y: pa.y + NODE_H / 2 },
      { x: pb.x, y: pb.y + NODE_H / 2 },
    ]);
  }
  return edgePoints;
}

/** Ranks by the vertices' levels; order within a rank by `sweeps` barycenter passes. */
export function layeredLayout(input: LayoutInput, sweeps = 2): Layout {
  const ranks: string[][] = [];
  for (const v of input.vertices) (ranks[v.level] ??= []).push(v.id);
  for (let r = 0; r < ranks.length; r++) ranks[r] ??= [];
  const index = new Map<string, number>();
  const renumber = (rank: string[]) => rank.forEach((id, i) => index.set(id, i));
  ranks.forEach(renumber);
  if (sweeps > 0) {
    const preds = new Map<string, string[]>();
    const succs = new Map<string, string[]>();
    for (const [a, b] of input.edges) {
      (preds.get(b) ?? preds.set(b, []).get(b)!).push(a);
      (succs.get(a) ?? succs.set(a, []).get(a)!).push(b);
    }
    const sortBy = (rank: string[], nbrs: Map<string, string[]>) => {
      const key = new Map<string, number>();
      for (const id of rank) {
        const ns = nbrs.get(id);
        key.set(id, ns?.length ? ns.reduce((s, n) => s + (index.get(n) ?? 0), 0) / ns.length : index.get(id)!);
      }
      rank.sort((a, b) => key.get(a)! - key.get(b)! || index.get(a)! - index.get(b)!);
      renumber(rank);
    };
    for (let s = 0; s < sweeps; s++) {
      for (let r = 1; r < ranks.length; r++) sortBy(ranks[r]!, preds);
      for (let r = ranks.length - 2; r >= 0; r--) sortBy(ranks[r]!, succs);
    }
  }
  const tallest = Math.max(1, ...ranks.map((r) => r.length));
  const positions = new Map<string, { x: number; y: number }>();
  ranks.forEach((rank, r) => {
    // Centre each rank against the tallest one.
    const offset = ((tallest - rank.length) * (NODE_H + GAP_Y)) / 2;
    rank.forEach((id, i) => positions.set(id, { x: 20 + r * (NODE_W + GAP_X), y: 20 + offset + i * (NODE_H + GAP_Y) }));
  });
  return {
    positions,
    edgePoints: straightEdges(input, positions),
    width: 40 + ranks.length * (NODE_W + GAP_X) - GAP_X,
    height: 40 + tallest * (NODE_H + GAP_Y) - GAP_Y,
    engine: 'layered',
  };
}

export function toMessage(l: Layout): LayoutMessage {
  return {
    positions: [...l.positions].map(([id, p]) => [id, p.x, p.y]),
    edges: [...l.edgePoints].map(([k, pts]) => {
      const [a, b] = k.split('\u0000') as [string, string];
      return [a, b, pts.flatMap((p) => [p.x, p.y])];
    }),
    width: l.width,
    height: l.height,
    engine: l.engine,
  };
}

export function fromMessage(m: LayoutMessage): Layout {
  const edgePoints = new Map<string, { x: number; y: number }[]>();
  for (const [a, b, flat] of m.edges) {
    const pts: { x: number; y: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pts.push({ x: flat[i]!, y: flat[i + 1]! });
    edgePoints.set(edgeKey(a, b), pts);
  }
  return {
    positions: new Map(m.positions.map(([id, x, y]) => [id, { x, y }])),
    edgePoints,
    width: m.width,
    height: m.height,
    engine: m.engine,
  };
}
