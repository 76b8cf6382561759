// The Gantt timeline: one row per drawn vertex (a collapsed group spans its members), bars from
// start to end (running: to now), the critical path of what ran marked in the bar and the text.
import type { NodeView } from '../../src/http/contracts';
import type { VisibleGraph } from './graph';
import { duration } from './format';
import type { LiveJob } from './live';
import { nodeStyle, ATTENTION } from './status';

const MAX_ROWS = 400;

/** A node's start and end as epoch ms, parsed once per node object (the live job replaces a node's object when it changes). */
const parsed = new WeakMap<NodeView, [number, number]>();
function timesOf(n: NodeView): [number, number] {
  let t = parsed.get(n);
  if (!t) {
    t = [n.startedAt ? Date.parse(n.startedAt) : NaN, n.completedAt ? Date.parse(n.completedAt) : NaN];
    parsed.set(n, t);
  }
  return t;
}

export function Timeline(props: {
  live: LiveJob;
  graph: VisibleGraph;
  critical: ReadonlySet<string>;
  onNode: (id: string) => void;
}) {
  const now = Date.now();
  const rows: {
    id: string;
    label: string;
    start: number;
    end: number;
    status: string;
    critical: boolean;
    node: boolean;
  }[] = [];
  for (const v of props.graph.vertices) {
    let start = Infinity;
    let end = -Infinity;
    const statuses: string[] = [];
    for (const id of v.members) {
      const n = props.live.nodes.get(id);
      if (!n) continue;
      statuses.push(n.status);
      const [s, done] = timesOf(n);
      if (Number.isNaN(s)) continue;
      const e = n.completedAt ? done : now;
      start = Math.min(start, s);
      end = Math.max(end, Number.isNaN(e) ? now : e);
    }
    if (!Number.isFinite(start)) continue;
    rows.push({
      id: v.id,
      label: v.kind === 'group' ? `${v.type} ×${v.members.length}` : v.id,
      start,
      end: Math.max(end, start),
      status: ATTENTION.find((s) => statuses.includes(s)) ?? 'pending',
      critical: v.members.some((m) => props.critical.has(m)),
      node: v.kind === 'node',
    });
  }
  rows.sort((a, b) => a.start - b.start);
  if (rows.length === 0)
    return (
      <section class="timeline" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p class="muted">Nothing has started yet.</p>
      </section>
    );
  const t0 = rows[0]!.start;
  const t1 = Math.max(...rows.map((r) => r.end), t0 + 1);
  const span = t1 - t0;
  const shown = rows.slice(0, MAX_ROWS);
  const criticalIds = [...props.critical];
  const criticalMs =
    criticalIds.length > 0
      ? (() => {
          const first = props.live.nodes.get(criticalIds[0]!);
          const last = props.live.nodes.get(criticalIds[criticalIds.length - 1]!);
          const s = first?.startedAt ? Date.parse(first.startedAt) : NaN;
          const e = last?.completedAt ? Date.parse(last.completedAt) : now;
          return Number.isNaN(s) ? undefined : e - s;
        })()
      : undefined;
  return (
    <section class="timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <p class="muted">
        {duration(span)} from the first start.{' '}
        {criticalIds.length > 0 && (
          <span>
            Critical path ({duration(criticalMs)}): <span class="crit-text">{criticalIds.join(' → ')}</span>
          </span>
        )}
      </p>
      <ol class="gantt">
        {shown.map((r) => {
          const st = nodeStyle(r.status);
          const left = (100 * (r.start - t0)) / span;
          const width = Math.max(0.5, (100 * (r.end - r.start)) / span);
          return (
            <li class={r.critical ? 'critical' : ''} data-row={r.id}>
              {r.node ? (
                <button type="button" class="row-label linklike" onClick={() => props.onNode(r.id)}>
                  {r.label}
                </button>
              ) : (
                <span class="row-label">{r.label}</span>
              )}
              <span class="track">
                <span
                  class="bar"
                  style={{ left: `${left}%`, width: `${width}%`, background: st.color }}
                  title={`${r.label}: ${st.label}, ${duration(r.end - r.start)}`}
                />
              </span>
              <span class="row-dur">
                {duration(r.end - r.start)}
                {r.critical ? ' · critical' : ''}
              </span>
            </li>
          );
        })}
      </ol>
      {rows.length > MAX_ROWS && <p class="muted">{rows.length - MAX_ROWS} more rows not shown.</p>}
    </section>
  );
}
