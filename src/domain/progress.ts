// Job and node state as reported by the `progress` query. Sandbox-safe.
import type { NodeType } from './node-types';
import type { StepOutput } from './step-io';

export const NODE_STATUSES = ['pending', 'queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export interface NodeError {
  message: string;
  type?: string;
  stack?: string;
}

export interface NodeState {
  id: string;
  type: NodeType;
  status: NodeStatus;
  taskQueue: string;
  /** Attempts of the current execution (Temporal's activity attempt count). */
  attempts: number;
  /** Times this node was started by the workflow (recover/pause-now restart it). */
  executions: number;
  startedAt?: string;
  completedAt?: string;
  durationMs?: number;
  output?: StepOutput;
  error?: NodeError;
}

export interface RecoveryRecord {
  at: string;
  fromNode?: string;
  /** Nodes reset to pending by this recovery. */
  nodes: string[];
}

export interface JobProgress {
  jobId: string;
  name: string;
  status: JobStatus;
  /** 0–100: finished (completed + skipped) nodes over all nodes. */
  progress: number;
  currentNodes: string[];
  counts: Record<NodeStatus, number>;
  recoverable: boolean;
  recoveryAttempts: number;
  recoveries: RecoveryRecord[];
  /** When recoverable, the time the recovery window closes. */
  recoverableUntil?: string;
  pauseMode?: 'drain' | 'now';
  startedAt?: string;
  completedAt?: string;
  /** How many continue-as-new runs this job has gone through. */
  runs: number;
  nodes: NodeState[];
  /**
   * Set when node details were trimmed to stay under Temporal's 2 MiB payload limit (very large
   * DAGs): 'outputs' = node outputs left out; 'completedNodes' = completed nodes left out too.
   */
  trimmed?: 'outputs' | 'completedNodes';
}
