// Why a node that is not running is not running, as the job view and the stream say it: waiting for
// upstream nodes, paused, over the owner's GPU quota, queued behind other tasks in its pool, on a GPU
// worker waiting for free GPUs / GPU memory, or between retries. Sandbox-safe and pure: the status
// read (src/job-service/job-view.ts) gives it the node, the job's other nodes and the queues' backlogs.
import { z } from 'zod';
import type { NodeState } from './progress';
import { describeQuotaWait } from './quota';
import { TERMINAL_NODE_STATUSES } from './status-sets';
import type { NodeStatus } from './statuses';
import { cachedSchema } from './schema-cache';

export const WAIT_REASONS = ['upstream', 'paused', 'quota', 'queued', 'gpu', 'retry_backoff'] as const;

/** Why a node is not running (only on nodes that are neither running nor finished). */
export const NodeWait = cachedSchema('src/domain/waiting#NodeWait', () =>
  z.object({
    reason: z.enum(WAIT_REASONS),
    /** One line for people: "queued behind 3 tasks in pool a100-80g". */
    message: z.string(),
    /** upstream: its dependencies that have not finished. */
    nodes: z.array(z.string()).optional(),
    /** The GPU pool (quota, queued on a GPU queue, gpu). */
    pool: z.string().optional(),
    /** queued: the task queue it waits in. */
    taskQueue: z.string().optional(),
    /** queued: other tasks in that queue's backlog (Temporal's approximate count); quota: the owner's requests ahead. */
    ahead: z.number().int().optional(),
    /** quota: since when. */
    since: z.string().optional(),
    /** retry_backoff: when the next attempt is due. */
    nextAttemptAt: z.string().optional(),
  }),
);
export type NodeWait = z.infer<typeof NodeWait>;

/** `<prefix>-gpu-train-<pool>` / `<prefix>-gpu-export-<pool>` → the pool; other queues → undefined. */
export function poolOfQueue(queue: string): string | undefined {
  return /-gpu-(?:train|export)-([a-z0-9][a-z0-9-]*)$/.exec(queue)?.[1];
}

export interface WaitContext {
  /** The job is paused (`pause`), so nothing new starts. */
  jobPaused: boolean;
  /** Every node's status in the view, by id. */
  statusOf: ReadonlyMap<string, NodeStatus>;
  /** Approximate backlog per task queue (tasks not yet taken by a worker), where known. */
  backlogs?: ReadonlyMap<string, number>;
  nowMs: number;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Why the node (as the view shows it) is waiting, or undefined when it runs, has finished, or is about to be scheduled. */
export function whyWaiting(
  n: Pick<NodeState, 'status' | 'dependsOn' | 'taskQueue' | 'waitingFor'> & {
    live?: { message?: string };
    nextAttemptAt?: string;
    attempt?: number;
  },
  ctx: WaitContext,
): NodeWait | undefined {
  if (n.status === 'running' || TERMINAL_NODE_STATUSES.has(n.status)) return undefined;
  const pool = poolOfQueue(n.taskQueue);
  if (n.waitingFor?.reason === 'quota') {
    const w = n.waitingFor;
    return {
      reason: 'quota',
      message: describeQuotaWait(w),
      pool: w.pool,
      ...(w.ahead !== undefined && { ahead: w.ahead }),
      since: w.since,
    };
  }
  if (n.status === 'paused' || (n.status === 'pending' && ctx.jobPaused))
    return { reason: 'paused', message: 'paused: the job is paused; resume continues it' };
  if (n.status === 'pending') {
    const upstream = n.dependsOn.filter((d) => {
      const s = ctx.statusOf.get(d);
      return s !== undefined && !TERMINAL_NODE_STATUSES.has(s);
    });
    return upstream.length
      ? { reason: 'upstream', message: `waiting for upstream: ${upstream.join(', ')}`, nodes: upstream }
      : undefined;
  }
  if (n.status === 'waiting_for_gpu')
    return {
      reason: 'gpu',
      message: n.live?.message ?? 'on a GPU worker, waiting for free GPUs with enough memory',
      ...(pool && { pool }),
    };
  if (n.status === 'retrying' && n.nextAttemptAt && Date.parse(n.nextAttemptAt) > ctx.nowMs)
    return {
      reason: 'retry_backoff',
      message: `retrying: attempt ${n.attempt ?? 2} is due at ${n.nextAttemptAt}`,
      nextAttemptAt: n.nextAttemptAt,
    };
  // queued (or a retry past its backoff): in the task queue, not taken by a worker yet.
  const backlog = ctx.backlogs?.get(n.taskQueue);
  const ahead = backlog === undefined ? undefined : Math.max(0, backlog - 1);
  const where = pool ? `pool ${pool}` : `task queue ${n.taskQueue}`;
  return {
    reason: 'queued',
    message:
      ahead === undefined
        ? `queued in ${where}: no worker has taken it yet`
        : `queued behind ${plural(ahead, 'task')} in ${where}`,
    taskQueue: n.taskQueue,
    ...(pool && { pool }),
    ...(ahead !== undefined && { ahead }),
  };
}
