// What the SDK returns: job views built from the `progress` query plus describe().
import type { JobStatus, NodeState, RecoveryRecord, NodeStatus } from '../domain/progress';
import type { StepHeartbeat } from '../domain/step-io';

/** Live progress of a running node, from its activity's last heartbeat (checkpoint omitted). */
export type LiveProgress = Omit<StepHeartbeat, 'checkpoint'> & { lastHeartbeatAt?: string };

/** A node as the API shows it: the workflow's state refined by the pending activity. */
export interface NodeView extends NodeState {
  live?: LiveProgress;
  /** Current Temporal attempt of the pending activity (1 = first). */
  attempt?: number;
  /** Message of the previous attempt's failure, while retrying. */
  lastFailure?: string;
  nextAttemptAt?: string;
}

export interface JobView {
  id: string;
  name: string;
  owner: string;
  status: JobStatus;
  recoverable: boolean;
  progress: number;
  currentNodes: string[];
  counts: Partial<Record<NodeStatus, number>>;
  recoveryAttempts: number;
  recoveries: RecoveryRecord[];
  recoverableUntil?: string;
  pauseMode?: 'drain' | 'now';
  submittedAt?: string;
  startedAt?: string;
  completedAt?: string;
  specHash?: string;
  runs: number;
  nodes: NodeView[];
  /** Temporal's own view of the execution. */
  workflow: { runId: string; status: string; startTime: string; closeTime?: string; historyLength: number };
  /** "query": from the workflow's progress query; "describe": the query failed, so only Temporal's status and memo. */
  source: 'query' | 'describe';
}

export interface JobSummary {
  id: string;
  name?: string;
  owner?: string;
  status: JobStatus;
  types: string[];
  tags: string[];
  priority?: number;
  recoverable: boolean;
  startTime: string;
  closeTime?: string;
  workflowStatus: string;
}

export interface JobPage {
  jobs: JobSummary[];
  /** Opaque token for the next page; absent on the last page. */
  nextPageToken?: string;
}

export interface SubmitResult {
  id: string;
  /** False when an Idempotency-Key named a job that already existed (the same job is returned). */
  created: boolean;
  specHash: string;
  runId?: string;
}

export interface ControlOutcome {
  id: string;
  status: JobStatus;
  message: string;
}

export interface ListJobsOptions {
  /** Only this owner's jobs; omitted = all owners (admin). */
  owner?: string;
  status?: JobStatus;
  jobType?: string;
  tag?: string;
  recoverable?: boolean;
  pageSize?: number;
  pageToken?: string;
}

/** Limits a call to one owner's jobs: another owner's job is reported as not found. */
export interface OwnerScope {
  owner?: string;
}
