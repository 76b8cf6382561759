// The layout Web Worker: dagre for graphs up to DAGRE_MAX vertices, the linear layered layout
// above that. The page's main thread never runs dagre, so a large job stays responsive.
import dagre from '@dagrejs/dagre';
import { DAGRE_MAX, NODE_H, NODE_W, layeredLayout, toMessage, type LayoutInput, type LayoutMessage } from './layout';

export interface LayoutRequest extends LayoutInput {
  seq: number;
}
export interface LayoutReply extends LayoutMessage {
  seq: number;
  ms: number;
}

function dagreLayout(input: LayoutInput): LayoutMessage {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 64, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const v of input.vertices) g.setNode(v.id, { width: NODE_W, height: NODE_H });
  for (const [a, b] of input.edges) g.setEdge(a, b);
  dagre.layout(g);
  const positions: [string, number, number][] = input.vertices.map((v) => {
    const n = g.node(v.id);
    return [v.id, n.x - NODE_W / 2, n.y - NODE_H / 2];
  });
  const edges: [string, string, number[]][] = input.edges.map(([a, b]) => {
    const e = g.edge(a, b);
    return [a, b, (e?.points ?? []).flatMap((p: { x: number; y: number }) => [p.x, p.y])];
  });
  const graph = g.graph();
  return { positions, edges, width: graph.width ?? 0, height: graph.height ?? 0, engine: 'dagre' };
}

interface WorkerScope {
  onmessage: ((e: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(m: LayoutReply): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const t0 = performance.now();
  const { seq, ...input } = e.data;
  const out = input.vertices.length <= DAGRE_MAX ? dagreLayout(input) : toMessage(layeredLayout(input, 4));
  scope.postMessage({ ...out, seq, ms: Math.round(performance.now() - t0) });
};
