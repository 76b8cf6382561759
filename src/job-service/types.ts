// Options and results of the server-side job service (src/job-service/job-service.ts). The shapes the
// API sends are in the HTTP contract (src/http/contracts.ts).
import type { JobStatus } from '../domain/statuses';

export type {
  ControlOutcome,
  JobPage,
  JobSpecView,
  JobSummary,
  JobView,
  LiveProgress,
  NodeView,
} from '../http/contracts';

export interface SubmitResult {
  id: string;
  /** False when an Idempotency-Key named a job that already existed (the same job is returned). */
  created: boolean;
  specHash: string;
  runId?: string;
}

export interface ListJobsOptions {
  /** Only this owner's jobs; omitted = all owners (admin). */
  owner?: string;
  status?: JobStatus;
  jobType?: string;
  tag?: string;
  recoverable?: boolean;
  /** Only the runs of this schedule (its Temporal schedule id). */
  scheduledBy?: string;
  pageSize?: number;
  pageToken?: string;
}

/** Limits a call to one owner's jobs: another owner's job is reported as not found. */
export interface OwnerScope {
  owner?: string;
}
