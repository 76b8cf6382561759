// A job as the page shows it, kept up to date from its stream (Server-Sent Events with the session
// cookie) and from reads of GET /v1/jobs/:id. Each change makes new node objects, so the drawing
// re-renders only what changed; listeners are told at most once per animation frame.
import type { JobView, NodeView, StreamMessage } from '../../src/http/contracts';
import { TERMINAL_NODE_STATUSES } from '../../src/domain/status-sets';
import { getJson, jobUrl } from './api';

export type StreamState = 'connecting' | 'live' | 'ended' | 'lost';

const STREAM_TYPES: StreamMessage['type'][] = [
  'snapshot',
  'job_started',
  'node_status',
  'node_progress',
  'metrics',
  'job_completed',
  'job_failed',
  'job_cancelled',
  'error',
];
const ACTIVE_JOB = new Set(['queued', 'running', 'paused']);

export interface ProgressPoint {
  t: number;
  epoch?: number | undefined;
  loss?: number | undefined;
  valMetric?: number | undefined;
}

export class LiveJob {
  view: JobView | undefined;
  nodes = new Map<string, NodeView>();
  /** Node ids in spec order. */
  order: string[] = [];
  stream: StreamState = 'connecting';
  /** Bumped on every change (the page re-renders on it). */
  version = 0;
  loadError: string | undefined;
  /** Heartbeat progress seen on the stream, per node (the live loss curve). */
  readonly progress = new Map<string, ProgressPoint[]>();
  private es: EventSource | undefined;
  private listeners = new Set<() => void>();
  private frame = 0;
  private refetchTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRefetch = 0;
  private closed = false;

  constructor(readonly id: string) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.version++;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      for (const l of this.listeners) l();
    });
  }

  async load(): Promise<void> {
    try {
      const v = await getJson<JobView>(jobUrl(this.id));
      this.lastRefetch = Date.now();
      this.setView(v);
      this.loadError = undefined;
    } catch (err) {
      this.loadError = (err as Error).message;
      this.changed();
      throw err;
    }
  }

  setView(v: JobView): void {
    this.view = v;
    // The same node list keeps its identity, so the graph is not rebuilt nor laid out again.
    const same = v.nodes.length === this.order.length && v.nodes.every((n, i) => n.id === this.order[i]);
    if (!same) this.order = v.nodes.map((n) => n.id);
    const next = new Map<string, NodeView>();
    for (const n of v.nodes) next.set(n.id, n);
    // Keep what the stream knew when the view left it out (trimmed views of huge jobs).
    if (v.trimmed === 'completedNodes' || v.trimmed === 'summary')
      for (const [id, n] of this.nodes) if (!next.has(id)) next.set(id, n);
    this.nodes = next;
    this.changed();
  }

  /** Opens the stream (again, after a control action brought a finished job back). */
  connect(): void {
    if (this.closed || (this.es && this.es.readyState !== EventSource.CLOSED)) return;
    this.stream = 'connecting';
    const es = new EventSource(`${jobUrl(this.id)}/events`);
    this.es = es;
    es.onopen = () => {
      this.stream = 'live';
      this.changed();
    };
    for (const type of STREAM_TYPES)
      es.addEventListener(type, (e: Event) => {
        if (!('data' in e)) return; // the EventSource's own "error" (connection) event
        this.apply(JSON.parse(String((e as MessageEvent).data)) as StreamMessage);
      });
    es.addEventListener('error', (e: Event) => {
      if ('data' in e) return;
      // EventSource retries by itself while CONNECTING; CLOSED means it gave up (e.g. 401/404).
      if (es.readyState === EventSource.CLOSED && this.stream !== 'ended') {
        this.stream = 'lost';
        this.changed();
      }
    });
    this.changed();
  }

  private endStream(state: StreamState): void {
    this.es?.close();
    this.es = undefined;
    this.stream = state;
  }

  close(): void {
    this.closed = true;
    this.endStream('ended');
    clearTimeout(this.refetchTimer);
    if (this.frame) cancelAnimationFrame(this.frame);
  }

  /** Reads the view again soon (at most every few seconds; less often for big jobs). */
  refetchSoon(delayMs = 600): void {
    if (this.refetchTimer || this.closed) return;
    const minGap = this.order.length > 500 ? 15_000 : 2_000;
    const wait = Math.max(delayMs, this.lastRefetch + minGap - Date.now());
    this.refetchTimer = setTimeout(() => {
      this.refetchTimer = undefined;
      this.load().catch(() => undefined);
    }, wait);
  }

  private patch(id: string, fn: (n: NodeView) => NodeView): void {
    const n = this.nodes.get(id);
    if (!n) return;
    this.nodes.set(id, fn(n));
  }

  apply(m: StreamMessage): void {
    switch (m.type) {
      case 'snapshot':
        this.setView(m.data);
        // A finished job's stream sends the snapshot and ends; EventSource would reconnect for ever.
        if (!ACTIVE_JOB.has(m.data.status)) this.endStream('ended');
        break;
      case 'job_started':
        if (this.view) this.view = { ...this.view, status: m.status, progress: m.progress };
        break;
      case 'node_status': {
        const d = m.data;
        this.patch(m.node_id, (n) => ({
          ...n,
          status: m.status,
          ...(d.attempts !== undefined && { attempts: d.attempts }),
          ...(d.attempt !== undefined && { attempt: d.attempt }),
          ...(d.lastFailure !== undefined && { lastFailure: d.lastFailure }),
          ...(d.error && { error: { ...n.error, ...d.error } }),
          ...(d.durationMs !== undefined && { durationMs: d.durationMs }),
          ...(m.status === 'running' && !n.startedAt && { startedAt: m.timestamp }),
          ...(TERMINAL_NODE_STATUSES.has(m.status) && !n.completedAt && { completedAt: m.timestamp }),
          ...(!TERMINAL_NODE_STATUSES.has(m.status) && n.completedAt && { completedAt: undefined }),
        }));
        if (this.view) {
          const counts: Record<string, number> = {};
          for (const n of this.nodes.values()) counts[n.status] = (counts[n.status] ?? 0) + 1;
          const done = (counts.completed ?? 0) + (counts.skipped ?? 0);
          this.view = {
            ...this.view,
            counts,
            progress: this.nodes.size ? (100 * done) / this.nodes.size : 0,
            ...(this.view.status === 'queued' && m.status === 'running' && { status: 'running' }),
          };
        }
        if (TERMINAL_NODE_STATUSES.has(m.status) || m.status === 'paused') this.refetchSoon();
        break;
      }
      case 'node_progress': {
        this.patch(m.node_id, (n) => ({ ...n, status: m.status, live: m.data }));
        const pts = this.progress.get(m.node_id) ?? [];
        if (m.data.epoch !== undefined || m.data.loss !== undefined) {
          const last = pts[pts.length - 1];
          if (!last || last.epoch !== m.data.epoch || last.loss !== m.data.loss) {
            pts.push({
              t: Date.parse(m.timestamp),
              epoch: m.data.epoch,
              loss: m.data.loss,
              valMetric: m.data.valMetric,
            });
            if (pts.length > 5000) pts.splice(0, pts.length - 5000);
            this.progress.set(m.node_id, pts);
          }
        }
        break;
      }
      case 'metrics':
        break;
      case 'job_completed':
      case 'job_failed':
      case 'job_cancelled':
        if (this.view)
          this.view = {
            ...this.view,
            status: m.status,
            progress: m.progress,
            counts: m.data.counts,
            recoverable: m.data.recoverable,
          };
        this.endStream('ended');
        // Now, and once more a little later: the server reuses a status read for a moment, and a
        // cancelled job's nodes settle just after the job does.
        this.refetchSoon(0);
        setTimeout(() => this.refetchSoon(0), 3000);
        break;
      case 'error':
        this.endStream('lost');
        this.loadError = m.data.message;
        break;
    }
    this.changed();
  }

  /**
   * Opens the page's data: the stream, whose first message is the whole job (so a large job is
   * read and parsed once); a plain read when the stream has not delivered it soon, or failed (the
   * read's error says why: unknown job, signed out).
   */
  start(): void {
    this.connect();
    const fallback = setTimeout(() => {
      if (!this.view) this.load().catch(() => undefined);
    }, 2500);
    const off = this.subscribe(() => {
      if (this.view) {
        clearTimeout(fallback);
        off();
      } else if (this.stream === 'lost') {
        clearTimeout(fallback);
        off();
        this.load().catch(() => undefined);
      }
    });
  }

  /** After a control action: the server's view, and the stream again if the job is going. */
  async refresh(): Promise<void> {
    await this.load();
    if (this.view && ACTIVE_JOB.has(this.view.status)) this.connect();
  }
}
