// Job and node statuses as plain constants and the sets of them the code asks about — no zod, so
// the dashboard's bundle imports the same sets as the server (src/domain/statuses.ts adds the
// schemas). Every "is it finished / still going" question in the tree goes through these sets.

/**
 * Node statuses. The order is part of the continue-as-new state (carried as an index): append new
 * statuses at the end, never reorder.
 */
export const NODE_STATUSES = [
  'pending',
  'queued',
  'running',
  'retrying',
  'paused',
  'completed',
  'failed',
  'skipped',
  'cancelled',
  /** Dispatched to a GPU worker, which holds it until GPUs are free (a view status: the workflow counts it `running`). */
  'waiting_for_gpu',
  /** A sweep trial stopped early (its metric was worse than the other trials' median): not a failure. */
  'stopped',
  /** A view status: completed from the step cache (the workflow's state says `completed`; its output has cache.hit). */
  'cached',
] as const;
type NodeStatus = (typeof NODE_STATUSES)[number];

/** Dispatched to a step activity and not back yet. */
export const IN_FLIGHT_NODE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  'queued',
  'running',
  'retrying',
  'waiting_for_gpu',
]);
/**
 * The in-flight statuses the job workflow itself records (workflows/job-state.ts): `queued` while a
 * started node waits for GPU quota, else `running`. The others are told apart by the API from the
 * step's pending activity (src/job-service/job-view.ts refineNodes).
 */
export const WORKFLOW_IN_FLIGHT_NODE_STATUSES: readonly NodeStatus[] = ['queued', 'running'];
/** Not finished: waiting to start, paused, or in flight. */
export const ACTIVE_NODE_STATUSES: ReadonlySet<NodeStatus> = new Set(['pending', 'paused', ...IN_FLIGHT_NODE_STATUSES]);
/** Finished, one way or another (a recovery may reset failed/skipped/cancelled nodes to pending). */
export const TERMINAL_NODE_STATUSES: ReadonlySet<NodeStatus> = new Set([
  'completed',
  'failed',
  'skipped',
  'cancelled',
  'stopped',
  'cached',
]);

/**
 * Job statuses. Append new ones at the end. `terminated` and `timed_out` are Temporal's own ends
 * (a terminate, a workflow timeout): no workflow code ran to record them, so the status read takes
 * them from the execution's status, never from the JobStatus search attribute.
 */
export const JOB_STATUSES = [
  'queued',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
] as const;
type JobStatus = (typeof JOB_STATUSES)[number];

/** The job is going (or about to). */
export const ACTIVE_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['queued', 'running', 'paused']);
/**
 * The job has an outcome: streams end, watchers stop. A `failed` job may still be open for
 * `recover` (JobProgress.recoverable), which starts it again.
 */
export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set([
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
]);

export function isTerminalJobStatus(status: string): status is JobStatus {
  return TERMINAL_JOB_STATUSES.has(status as JobStatus);
}
