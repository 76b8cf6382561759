// The DAG drawing: an SVG of the visible graph (fan-outs collapsed), each vertex focusable with the
// accessible name "<node id>: <status>" (a group: "<type> ×N: …"), coloured and icon-marked by status.
import { Component, type ComponentChild } from 'preact';
import { useCallback, useRef } from 'preact/hooks';
import type { NodeView } from '../../src/http/contracts';
import { groupSummary, type Vertex, type VisibleGraph } from './graph';
import { NODE_H, NODE_W, edgeKey, type Layout } from './layout';
import { duration, num } from './format';
import { ATTENTION, SUMMARY_WORDS, nodeStyle } from './status';

export interface NodeExtra {
  maxAttempts?: number | undefined;
  gpus?: number | undefined;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The node's second line: what its status means right now. */
export function nodeDetail(n: NodeView, extra: NodeExtra): string {
  const live = n.live;
  const attempt = n.attempt ?? n.attempts;
  const attemptText =
    attempt > 1 || n.status === 'retrying'
      ? `attempt ${attempt}${extra.maxAttempts ? ` of ${extra.maxAttempts}` : ''}`
      : '';
  switch (n.status) {
    case 'running': {
      const parts: string[] = [];
      if (live?.epoch !== undefined) parts.push(`epoch ${live.epoch}${live.epochs ? `/${live.epochs}` : ''}`);
      if (live?.loss !== undefined) parts.push(`loss ${num(live.loss)}`);
      if (!parts.length && live?.phase) parts.push(live.phase);
      if (attemptText) parts.push(attemptText);
      return parts.join(' · ') || 'running';
    }
    case 'retrying':
      return attemptText || 'retrying';
    case 'queued':
      return n.waitingFor ? `waiting for GPU quota (${n.waitingFor.pool})` : 'waiting for a worker';
    case 'paused':
      return live?.epoch !== undefined ? `paused at epoch ${live.epoch}` : 'paused';
    case 'completed': {
      const gpuMs = gpuTimeMs(n, extra);
      return `${duration(n.durationMs)}${gpuMs ? ` · GPU ${duration(gpuMs)}` : ''}`;
    }
    case 'waiting_for_gpu':
      return n.usage?.gpuWaitMs ? `for ${duration(n.usage.gpuWaitMs)}` : 'GPUs busy';
    case 'failed':
      return n.error?.type ?? n.error?.message ?? 'failed';
    case 'pending':
      return 'waiting for upstream';
    default:
      return nodeStyle(n.status).label;
  }
}

/** GPU time: measured (usage.gpuSeconds) when the node reports it, else GPUs × duration. */
export function gpuTimeMs(n: NodeView, extra: NodeExtra): number | undefined {
  if (n.usage) return n.usage.gpuSeconds ? n.usage.gpuSeconds * 1000 : undefined;
  return extra.gpus && n.durationMs !== undefined ? n.durationMs * extra.gpus : undefined;
}

export function percentOf(n: NodeView): number | undefined {
  const live = n.live;
  if (!live) return undefined;
  if (live.percent !== undefined) return live.percent;
  if (live.epoch !== undefined && live.epochs) return (100 * live.epoch) / live.epochs;
  return undefined;
}

interface VertexProps {
  v: Vertex;
  x: number;
  y: number;
  /** The node (node vertices) or members' statuses (groups), as a string so memo can compare. */
  node?: NodeView | undefined;
  groupStatuses?: string | undefined;
  extra?: NodeExtra | undefined;
  selected: boolean;
  critical: boolean;
  onActivate: (v: Vertex) => void;
}

/** Re-renders only when a prop changed (shallow), so a status change redraws one vertex. */
class DagVertex extends Component<VertexProps> {
  override shouldComponentUpdate(next: VertexProps): boolean {
    const cur = this.props as unknown as Record<string, unknown>;
    const nxt = next as unknown as Record<string, unknown>;
    for (const k in nxt) if (cur[k] !== nxt[k]) return true;
    return false;
  }
  override render(): ComponentChild {
    return renderVertex(this.props);
  }
}

function renderVertex(p: VertexProps) {
  let status: string;
  let title: string;
  let detail: string;
  let label: string;
  let pct: number | undefined;
  if (p.v.kind === 'group') {
    const statuses = (p.groupStatuses ?? '').split(',');
    status = ATTENTION.find((s) => statuses.includes(s)) ?? statuses[0] ?? 'pending';
    const summary = groupSummary(p.v.type, statuses, SUMMARY_WORDS);
    label = `${p.v.type} ×${statuses.length}`;
    detail = summary.slice(summary.indexOf(':') + 2);
    title = `${summary} (group; press Enter to expand)`;
    const done = statuses.filter((s) => s === 'completed' || s === 'skipped').length;
    pct = (100 * done) / statuses.length;
  } else {
    const n = p.node;
    status = n?.status ?? 'pending';
    label = p.v.id;
    detail = n ? nodeDetail(n, p.extra ?? {}) : '';
    title = `${p.v.id}: ${nodeStyle(status).label}`;
    pct = n && n.status === 'running' ? percentOf(n) : undefined;
  }
  const st = nodeStyle(status);
  const activate = () => p.onActivate(p.v);
  return (
    <g
      class={`vertex ${p.v.kind}${p.selected ? ' selected' : ''}${p.critical ? ' critical' : ''}`}
      transform={`translate(${p.x},${p.y})`}
      // Lower case: Preact sets SVG attributes as written, and SVG's attribute is `tabindex`.
      tabindex={0}
      role="button"
      aria-label={p.v.kind === 'group' ? title : `${p.v.id}: ${st.label}`}
      aria-pressed={p.v.kind === 'node' ? p.selected : undefined}
      data-status={status}
      data-vertex={p.v.id}
      onClick={activate}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          activate();
        }
      }}
    >
      <title>{title}</title>
      {p.v.kind === 'group' && (
        <rect x={6} y={-6} width={NODE_W} height={NODE_H} rx={7} fill={st.fill} stroke={st.color} opacity={0.6} />
      )}
      <rect
        class="box"
        width={NODE_W}
        height={NODE_H}
        rx={7}
        fill={st.fill}
        stroke={st.color}
        stroke-width={p.critical ? 3 : 1.5}
        stroke-dasharray={st.dashed ? '5 3' : undefined}
      />
      <svg x={8} y={8} width={14} height={14} viewBox="0 0 12 12" aria-hidden="true">
        <path
          d={st.icon}
          fill={st.solid ? st.color : 'none'}
          stroke={st.color}
          stroke-width={1.6}
          stroke-linecap="round"
          stroke-linejoin="round"
        />
      </svg>
      <text x={28} y={19} class="v-label">
        {clip(label, 24)}
      </text>
      <text x={8} y={38} class="v-detail">
        {clip(`${st.label} · ${detail}`, 34)}
      </text>
      {pct !== undefined && (
        <g aria-hidden="true">
          <rect
            x={8}
            y={46}
            width={NODE_W - 16}
            height={5}
            rx={2}
            fill="#ffffff"
            stroke={st.color}
            stroke-width={0.5}
          />
          <rect
            x={8}
            y={46}
            width={((NODE_W - 16) * Math.max(0, Math.min(100, pct))) / 100}
            height={5}
            rx={2}
            fill={st.color}
          />
        </g>
      )}
    </g>
  );
}

export interface DagProps {
  graph: VisibleGraph;
  layout: Layout;
  nodes: Map<string, NodeView>;
  extras: Map<string, NodeExtra>;
  selected: string | undefined;
  critical: ReadonlySet<string>;
  zoom: number;
  onNode: (id: string) => void;
  onGroup: (id: string) => void;
}

export function Dag(p: DagProps) {
  const latest = useRef(p);
  latest.current = p;
  const onActivate = useCallback(
    (v: Vertex) => (v.kind === 'group' ? latest.current.onGroup(v.id) : latest.current.onNode(v.id)),
    [],
  );
  const criticalEdge = (a: string, b: string) => p.critical.has(a) && p.critical.has(b);
  return (
    <svg
      class="dag"
      width={Math.max(200, p.layout.width * p.zoom)}
      height={Math.max(100, p.layout.height * p.zoom)}
      viewBox={`0 0 ${Math.max(200, p.layout.width)} ${Math.max(100, p.layout.height)}`}
      role="group"
      aria-label="Job graph"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 8 8" refX={7} refY={4} markerWidth={7} markerHeight={7} orient="auto">
          <path d="M0 0 L8 4 L0 8 Z" fill="#8a8a8a" />
        </marker>
      </defs>
      <g class="edges" aria-hidden="true">
        {p.graph.edges.map(([a, b]) => {
          const pts = p.layout.edgePoints.get(edgeKey(a, b));
          if (!pts || pts.length < 2) return null;
          const crit = criticalEdge(a, b);
          return (
            <polyline
              key={edgeKey(a, b)}
              points={pts.map((q) => `${q.x},${q.y}`).join(' ')}
              fill="none"
              stroke={crit ? '#1a1a1a' : '#9a9a9a'}
              stroke-width={crit ? 2.5 : 1.2}
              marker-end="url(#arrow)"
            />
          );
        })}
      </g>
      <g class="vertices">
        {p.graph.vertices.map((v) => {
          const pos = p.layout.positions.get(v.id);
          if (!pos) return null;
          const groupStatuses =
            v.kind === 'group' ? v.members.map((id) => p.nodes.get(id)?.status ?? 'pending').join(',') : undefined;
          return (
            <DagVertex
              key={v.id}
              v={v}
              x={pos.x}
              y={pos.y}
              node={v.kind === 'node' ? p.nodes.get(v.id) : undefined}
              groupStatuses={groupStatuses}
              extra={p.extras.get(v.id)}
              selected={p.selected === v.id}
              critical={v.members.some((m) => p.critical.has(m))}
              onActivate={onActivate}
            />
          );
        })}
      </g>
    </svg>
  );
}
