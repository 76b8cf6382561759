// Live job events without job state in the API: poll getJobStatus (one poller per watched job,
// shared by its subscribers; its reads are shared with GET /v1/jobs/:id through STATUS_REUSE_MS)
// and turn the differences between views into stream messages.
import { TERMINAL_JOB_STATUSES, type NodeStatus } from '../domain/statuses';
import type { JobService } from '../job-service/job-service';
import { JobNotFoundError } from '../sdk/errors';
import type { JobView, NodeView, StreamMessage } from '../http/contracts';

/**
 * How long the API reuses a job's status read (describe + progress query) for other readers of the
 * same job: many readers of one job cost about one read per interval. Control actions through the
 * API's client drop the reused read at once.
 */
export const STATUS_REUSE_MS = 250;

const NOT_STARTED: ReadonlySet<NodeStatus> = new Set(['pending', 'queued']);
/** Node statuses a node passes through only after it ran. */
const FINISHED_RUNNING: ReadonlySet<NodeStatus> = new Set(['completed', 'failed']);

interface NodeMemo {
  status: NodeStatus;
  attempts: number;
  live: string;
  metricsSent: boolean;
  /** The reason of its `waiting`: a node not pending whose reason changes gets a node_status again. */
  waiting: string;
}

function liveKey(n: NodeView): string {
  if (!n.live) return '';
  const { lastHeartbeatAt: _at, ...rest } = n.live;
  return JSON.stringify(rest);
}

function metricsOf(n: NodeView): Record<string, unknown> | undefined {
  if (n.type !== 'evaluate' || n.status !== 'completed') return undefined;
  const m = n.output?.summary?.metrics;
  return m && typeof m === 'object' ? (m as Record<string, unknown>) : undefined;
}

/** Turns successive job views into stream messages for one subscriber. */
export class JobDiffer {
  private started = false;
  private nodes = new Map<string, NodeMemo>();
  private finished = false;

  /**
   * @param catchUpMs A subscriber arriving this soon after the job started (the usual submit, then
   *   subscribe) gets the whole story from `job_started`, caught up from the job's state.
   */
  constructor(
    private readonly jobId: string,
    private readonly catchUpMs = 5000,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /** Fields every message has. */
  private stamp(): { job_id: string; timestamp: string } {
    return { job_id: this.jobId, timestamp: new Date().toISOString() };
  }

  /**
   * The first view: a subscriber that arrives before anything ran, or within catchUpMs of the
   * start, gets the whole story from `job_started` on; a late one first gets a `snapshot`.
   */
  first(view: JobView): StreamMessage[] {
    const nothingRan = view.nodes.every((n) => NOT_STARTED.has(n.status) && n.executions === 0);
    const since = Date.parse(view.workflow.startTime);
    const justStarted = Number.isFinite(since) && Date.now() - since < this.catchUpMs;
    // A short job may already have finished by the first poll: the catch-up still tells it all.
    const early = ((view.status === 'queued' || view.status === 'running') && nothingRan) || justStarted;
    if (early) {
      for (const n of view.nodes)
        this.nodes.set(n.id, { status: 'pending', attempts: 0, live: '', metricsSent: false, waiting: '' });
      return this.next(view);
    }
    this.started = view.status !== 'queued';
    for (const n of view.nodes)
      this.nodes.set(n.id, {
        status: n.status,
        attempts: n.attempts,
        live: liveKey(n),
        metricsSent: metricsOf(n) !== undefined,
        waiting: n.waiting?.reason ?? '',
      });
    const out: StreamMessage[] = [
      { type: 'snapshot', ...this.stamp(), status: view.status, progress: view.progress, data: view },
    ];
    out.push(...this.terminal(view));
    return out;
  }

  next(view: JobView): StreamMessage[] {
    if (this.finished) return [];
    const out: StreamMessage[] = [];
    if (!this.started && view.status !== 'queued') {
      this.started = true;
      out.push({
        type: 'job_started',
        ...this.stamp(),
        status: 'running',
        progress: view.progress,
        data: { name: view.name, nodes: view.nodes.map((n) => ({ id: n.id, type: n.type })) },
      });
    }
    for (const n of view.nodes) {
      const memo = this.nodes.get(n.id) ?? {
        status: 'pending',
        attempts: 0,
        live: '',
        metricsSent: false,
        waiting: '',
      };
      const waiting = n.waiting?.reason ?? '';
      if (
        n.status !== memo.status ||
        (n.status === 'retrying' && n.attempts !== memo.attempts) ||
        (n.status !== 'pending' && waiting !== memo.waiting)
      ) {
        // Polling can miss a short `running`: a node that completed or failed did run.
        if (FINISHED_RUNNING.has(n.status) && memo.status !== 'running') {
          out.push({
            type: 'node_status',
            ...this.stamp(),
            node_id: n.id,
            status: 'running',
            data: { type: n.type, inferred: true },
          });
        }
        out.push({
          type: 'node_status',
          ...this.stamp(),
          node_id: n.id,
          status: n.status,
          data: {
            type: n.type,
            attempts: n.attempts,
            ...(n.attempt !== undefined && { attempt: n.attempt }),
            ...(n.lastFailure && { lastFailure: n.lastFailure }),
            ...(n.error && {
              error: {
                message: n.error.message,
                type: n.error.type,
                ...(n.error.where && { where: n.error.where }),
                ...(n.error.stderrTail && { stderrTail: n.error.stderrTail }),
              },
            }),
            ...(n.durationMs !== undefined && { durationMs: n.durationMs }),
            ...(n.output?.summary && n.status === 'completed' && { summary: n.output.summary }),
            ...(n.waiting && { waiting: n.waiting }),
          },
        });
        memo.status = n.status;
        memo.attempts = n.attempts;
        memo.waiting = waiting;
      }
      const lk = liveKey(n);
      if (lk && n.live && lk !== memo.live && (n.status === 'running' || n.status === 'retrying')) {
        out.push({
          type: 'node_progress',
          ...this.stamp(),
          node_id: n.id,
          status: n.status,
          ...(typeof n.live.percent === 'number' && { progress: n.live.percent }),
          data: n.live,
        });
      }
      memo.live = lk;
      const metrics = metricsOf(n);
      if (metrics && !memo.metricsSent) {
        out.push({ type: 'metrics', ...this.stamp(), node_id: n.id, data: metrics });
        memo.metricsSent = true;
      }
      this.nodes.set(n.id, memo);
    }
    out.push(...this.terminal(view));
    return out;
  }

  private terminal(view: JobView): StreamMessage[] {
    if (!TERMINAL_JOB_STATUSES.has(view.status)) return [];
    this.finished = true;
    // Timed out is a failure; terminated is a stop from outside, like a cancel. `status` says which.
    const type =
      view.status === 'completed'
        ? 'job_completed'
        : view.status === 'failed' || view.status === 'timed_out'
          ? 'job_failed'
          : 'job_cancelled';
    return [
      {
        type,
        ...this.stamp(),
        status: view.status,
        progress: view.progress,
        data: {
          counts: view.counts,
          recoverable: view.recoverable,
          ...(view.completedAt && { completedAt: view.completedAt }),
          ...(view.failure && { failure: view.failure }),
        },
      },
    ];
  }
}

export interface Subscriber {
  send(msg: StreamMessage): void;
  /** Called once after the terminal message (or when the job disappears / the hub closes). */
  close(reason: string): void;
}

interface Watched {
  subs: Map<Subscriber, JobDiffer>;
  timer?: NodeJS.Timeout;
  failures: number;
}

/** One poller per watched job; every subscriber diffs on its own. */
export class StreamHub {
  private readonly jobs = new Map<string, Watched>();
  private closed = false;

  private readonly maxFailures: number;
  private readonly catchUpMs: number | undefined;
  private readonly reuseMs: number;

  constructor(
    private readonly client: JobService,
    private readonly intervalMs = 250,
    opts: { maxFailures?: number; catchUpMs?: number; reuseMs?: number } = {},
  ) {
    this.maxFailures = opts.maxFailures ?? 40;
    this.catchUpMs = opts.catchUpMs;
    this.reuseMs = opts.reuseMs ?? STATUS_REUSE_MS;
  }

  /** Starts a subscription from a view the caller already fetched (after its ownership check). */
  subscribe(jobId: string, firstView: JobView, sub: Subscriber): () => void {
    const differ = new JobDiffer(jobId, this.catchUpMs);
    for (const m of differ.first(firstView)) sub.send(m);
    if (differ.done) {
      sub.close('job finished');
      return () => undefined;
    }
    let w = this.jobs.get(jobId);
    if (!w) {
      w = { subs: new Map(), failures: 0 };
      this.jobs.set(jobId, w);
      this.schedule(jobId, w);
    }
    w.subs.set(sub, differ);
    return () => this.unsubscribe(jobId, sub);
  }

  private unsubscribe(jobId: string, sub: Subscriber): void {
    const w = this.jobs.get(jobId);
    if (!w) return;
    w.subs.delete(sub);
    if (w.subs.size === 0) {
      if (w.timer) clearTimeout(w.timer);
      this.jobs.delete(jobId);
    }
  }

  private schedule(jobId: string, w: Watched): void {
    if (this.closed) return;
    w.timer = setTimeout(() => void this.tick(jobId, w), this.intervalMs);
  }

  private async tick(jobId: string, w: Watched): Promise<void> {
    if (this.jobs.get(jobId) !== w) return;
    let view: JobView;
    try {
      view = await this.client.getJobStatus(jobId, {}, { maxAgeMs: Math.min(this.reuseMs, this.intervalMs) });
      w.failures = 0;
    } catch (err) {
      w.failures++;
      if (err instanceof JobNotFoundError || w.failures >= this.maxFailures) {
        for (const sub of [...w.subs.keys()]) {
          sub.send({
            type: 'error',
            job_id: jobId,
            data: { message: err instanceof JobNotFoundError ? 'job not found' : 'cannot reach Temporal' },
            timestamp: new Date().toISOString(),
          });
          sub.close('error');
          this.unsubscribe(jobId, sub);
        }
        return;
      }
      this.schedule(jobId, w);
      return;
    }
    for (const [sub, differ] of [...w.subs]) {
      for (const m of differ.next(view)) sub.send(m);
      if (differ.done) {
        sub.close('job finished');
        this.unsubscribe(jobId, sub);
      }
    }
    if (this.jobs.get(jobId) === w) this.schedule(jobId, w);
  }

  get watchedJobs(): number {
    return this.jobs.size;
  }

  close(): void {
    this.closed = true;
    for (const [jobId, w] of [...this.jobs]) {
      if (w.timer) clearTimeout(w.timer);
      for (const sub of w.subs.keys()) sub.close('server shutting down');
      this.jobs.delete(jobId);
    }
  }
}
