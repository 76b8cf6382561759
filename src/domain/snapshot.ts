// The immutable snapshot a job workflow runs from (the spec as submitted + decisions made at
// submit time). Re-running a job = starting a new workflow from the same snapshot. Sandbox-safe.
import type { JobSpecInput } from './job-spec';

export interface JobSnapshot {
  /** = workflow id. */
  jobId: string;
  /** Set by the API from the caller's key; never taken from the body. */
  owner: string;
  /** The spec as submitted (configPath already resolved into config); parsed by the workflow. */
  spec: JobSpecInput;
  /** sha256 of the canonical spec JSON (also in the memo). */
  specHash: string;
  /** ISO time of submission. */
  submittedAt: string;
  /** Task queue prefix of the deployment (TRAINYARD_QUEUE_PREFIX). */
  queuePrefix: string;
  /** GPU pool chosen for each node routed to a GPU queue (smallest pool that fits). */
  pools: Record<string, string>;
  /** Deployment defaults for nodes whose spec gives no timeout. */
  defaults: { stepTimeoutMs: number; heartbeatTimeoutMs: number };
}

/** Input of the job workflow; `carried` is set only by continue-as-new. */
export interface JobWorkflowInput {
  snapshot: JobSnapshot;
  carried?: unknown;
}
