// Job and node state as reported by the `progress` query (and returned by the workflow). Sandbox-safe.
import { z } from 'zod';
import { JobCredits } from './credits';
import { NotificationDelivery } from './notify';
import { NodeType } from './node-types';
import { JobStatus, NodeStatus } from './statuses';
import { StepOutput } from './step-io';
import { Trial } from './sweep-spec';
import { cachedSchema } from './schema-cache';

/** Where a node failed: the node, the attempt, and the worker and task queue that ran it. */
export const FailureWhere = cachedSchema('src/domain/progress#FailureWhere', () =>
  z.object({
    node: z.string(),
    attempt: z.number().int().optional(),
    worker: z.string().optional(),
    taskQueue: z.string().optional(),
  }),
);
export type FailureWhere = z.infer<typeof FailureWhere>;

/** Why a node failed. */
export const NodeError = cachedSchema('src/domain/progress#NodeError', () =>
  z.object({
    message: z.string(),
    /** The failure type (see FAILURE_TYPES), an error class name, or `Timeout:<kind>`. */
    type: z.string().optional(),
    /** The worker's stack trace: kept in the workflow state and the logs, never sent to API clients. */
    stack: z.string().optional(),
    where: FailureWhere.optional(),
    /** A command step's last lines of stderr (oldest first). */
    stderrTail: z.array(z.string()).optional(),
  }),
);
export type NodeError = z.infer<typeof NodeError>;

/** A failed node as every place that shows a job's failure shows it. */
export const FailedNodeSummary = cachedSchema('src/domain/progress#FailedNodeSummary', () =>
  z.object({
    id: z.string(),
    type: NodeType,
    /** The failure type (NodeError.type). */
    errorType: z.string().optional(),
    /** The first line of the error message. */
    message: z.string(),
    stderrTail: z.array(z.string()).optional(),
    where: FailureWhere.optional(),
  }),
);
export type FailedNodeSummary = z.infer<typeof FailedNodeSummary>;

/** Why a job failed: its failed nodes (the first 10), with the cause of each. */
export const JobFailure = cachedSchema('src/domain/progress#JobFailure', () =>
  z.object({
    /** One line: `node train failed: python3 exited with code 1: ModuleNotFoundError: …`. */
    message: z.string(),
    /** How many nodes failed (nodes lists at most 10). */
    failedCount: z.number().int(),
    nodes: z.array(FailedNodeSummary),
  }),
);
export type JobFailure = z.infer<typeof JobFailure>;

/**
 * Why a started node is not running yet, as the workflow knows it. `quota`: the owner holds its GPU
 * quota in the node's pool, so the node is not scheduled until the quota entity grants a lease.
 */
export const NodeWaiting = cachedSchema('src/domain/progress#NodeWaiting', () =>
  z.object({
    reason: z.literal('quota'),
    pool: z.string(),
    gpus: z.number().int(),
    /** GPUs the owner held in the pool and the limit in force (null = none), when the request was answered. */
    held: z.number().int().optional(),
    limit: z.number().int().nullable().optional(),
    /** The owner's requests ahead of this one in the pool. */
    ahead: z.number().int().optional(),
    since: z.string(),
  }),
);
export type NodeWaiting = z.infer<typeof NodeWaiting>;

/**
 * Where a node's time went, over every execution (retries, pause-now segments, recoveries).
 * `wallMs`: from its first start to its last end (or to now, while it runs); `runningMs`: its step
 * ran (a GPU step: holding its GPUs), summed over attempts and segments; `gpuWaitMs`: started but
 * waiting for GPUs (the owner's GPU quota, then free GPUs on the worker); `gpuSeconds`: GPUs held ×
 * seconds held. Attempts still running count up to their last heartbeat.
 */
export const NodeUsage = cachedSchema('src/domain/progress#NodeUsage', () =>
  z.object({
    wallMs: z.number(),
    runningMs: z.number(),
    gpuWaitMs: z.number(),
    gpuSeconds: z.number(),
  }),
);
export type NodeUsage = z.infer<typeof NodeUsage>;

export const NodeState = cachedSchema('src/domain/progress#NodeState', () =>
  z.object({
    id: z.string(),
    type: NodeType,
    /** The node's direct dependencies (as in the spec), so a client can draw the DAG from a view. */
    dependsOn: z.array(z.string()),
    /** The sweep trial this node is (or runs per): its group (the swept node's id), index and values. */
    trial: Trial.optional(),
    /** An item of a foreach: its map node and index (the item itself is in the node's params or config). */
    item: z.object({ map: z.string(), index: z.number().int() }).optional(),
    /** A foreach node once expanded: its items, how many ended, how many completed. */
    map: z.object({ items: z.number().int(), done: z.number().int(), completed: z.number().int() }).optional(),
    status: NodeStatus,
    taskQueue: z.string(),
    /** Attempts of the current execution (Temporal's activity attempt count). */
    attempts: z.number().int(),
    /** Times this node was started by the workflow (recover/pause-now restart it). */
    executions: z.number().int(),
    /** The current (last) execution's start and end. */
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    /** The last execution, start to end, waits included (see `usage` for where the time went). */
    durationMs: z.number().optional(),
    /** The node's first start (its first execution). */
    firstStartedAt: z.string().optional(),
    usage: NodeUsage.optional(),
    output: StepOutput.optional(),
    error: NodeError.optional(),
    /** Why the node, started, is not scheduled yet. */
    waitingFor: NodeWaiting.optional(),
  }),
);
export type NodeState = z.infer<typeof NodeState>;

export const RecoveryRecord = cachedSchema('src/domain/progress#RecoveryRecord', () =>
  z.object({
    at: z.string(),
    fromNode: z.string().optional(),
    /** Nodes reset to pending by this recovery. */
    nodes: z.array(z.string()),
    /** Asked to start from scratch (checkpoints dropped). */
    fromScratch: z.boolean().optional(),
    /** Reset nodes that resume from their last checkpoint. */
    resumed: z.array(z.string()).optional(),
  }),
);
export type RecoveryRecord = z.infer<typeof RecoveryRecord>;

export const PauseMode = cachedSchema('src/domain/progress#PauseMode', () => z.enum(['drain', 'now']));
export type PauseMode = z.infer<typeof PauseMode>;

/**
 * How a job's node list was cut: 'outputs' = node outputs left out; 'completedNodes' = completed
 * nodes left out too, and the others' stacks; 'summary' (jobs over PROGRESS_SUMMARY_ABOVE_NODES,
 * or when even the unfinished nodes do not fit) = at most PROGRESS_SUMMARY_NODES nodes (and
 * PROGRESS_SUMMARY_BUDGET_BYTES), without stacks — in flight, failed or stopped first, then the
 * next pending ones (every count stays in `counts`; GET /v1/jobs/:id/nodes pages through all).
 */
export const ProgressTrim = cachedSchema('src/domain/progress#ProgressTrim', () =>
  z.enum(['outputs', 'completedNodes', 'summary']),
);
export type ProgressTrim = z.infer<typeof ProgressTrim>;

/** Jobs over this many nodes answer a summary (their full node list is megabytes). */
export const PROGRESS_SUMMARY_ABOVE_NODES = 10_000;
/** Most nodes in a summary. */
export const PROGRESS_SUMMARY_NODES = 2_000;
/**
 * Most bytes of JSON a summary's nodes take (without outputs and stacks): fewer than
 * PROGRESS_SUMMARY_NODES when their errors are long, so the job view stays under 1 MiB.
 */
export const PROGRESS_SUMMARY_BUDGET_BYTES = 576 * 1024;

export const JobProgress = cachedSchema('src/domain/progress#JobProgress', () =>
  z.object({
    jobId: z.string(),
    name: z.string(),
    status: JobStatus,
    /** 0–100: finished (completed + skipped) nodes over all nodes. */
    progress: z.number(),
    currentNodes: z.array(z.string()),
    counts: z.record(NodeStatus, z.number().int()),
    recoverable: z.boolean(),
    recoveryAttempts: z.number().int(),
    recoveries: z.array(RecoveryRecord),
    /** When recoverable, the time the recovery window closes. */
    recoverableUntil: z.string().optional(),
    pauseMode: PauseMode.optional(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    /** How many continue-as-new runs this job has gone through. */
    runs: z.number().int(),
    nodes: z.array(NodeState),
    /**
     * Set when node details were trimmed to stay under Temporal's 2 MiB payload limit (very large
     * DAGs): 'outputs' = node outputs left out; 'completedNodes' = completed nodes left out too;
     * 'summary' (jobs over 10,000 nodes, or too many unfinished nodes to list) = `counts` for all, and only the nodes that matter now.
     */
    trimmed: ProgressTrim.optional(),
    /** Credits on for this job: its estimate, reservation, and (once it ended) charge and refund. */
    credits: JobCredits.optional(),
    /** Notifications (spec `notify` and the owner's defaults): each delivery's outcome. */
    notifications: z.array(NotificationDelivery).optional(),
  }),
);
export type JobProgress = z.infer<typeof JobProgress>;
