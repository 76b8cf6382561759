// Finding a job's workflow and what describe says of it: whether it is a job, whose, and its status.
// Shared by submission (idempotent ids), the status read model, control and listing.
import { status as grpcStatus } from '@grpc/grpc-js';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { JobStatus } from '../domain/statuses';
import { JOB_WORKFLOW_TYPE, SA } from '../domain/search-attributes';
import { JobNotFoundError } from '../sdk/errors';
import type { OwnerScope } from './types';

const { WorkflowExecutionStatus } = temporal.api.enums.v1;
const STATUS_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';

/** Temporal's name of an execution status code without its prefix (`RUNNING`, `TIMED_OUT`, …), as describe names it. */
export function workflowStatusName(code: number | null | undefined): string {
  const name: string | undefined =
    WorkflowExecutionStatus[code ?? WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED];
  return name?.startsWith(STATUS_PREFIX) ? name.slice(STATUS_PREFIX.length) : 'UNSPECIFIED';
}

/** A job status from Temporal's execution status, for when the workflow cannot be queried. */
export function jobStatusFromWorkflow(status: string): JobStatus {
  switch (status) {
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
    case 'CANCELED':
      return 'cancelled';
    case 'FAILED':
      return 'failed';
    case 'TERMINATED':
      return 'terminated';
    case 'TIMED_OUT':
      return 'timed_out';
    default:
      return 'running';
  }
}

/** Workflow ends no workflow code records: the JobStatus search attribute still says what it said before. */
export const ENDED_FROM_OUTSIDE: ReadonlySet<string> = new Set(['TERMINATED', 'TIMED_OUT']);

export function ownerOf(desc: WorkflowExecutionDescription): string | undefined {
  const sa = desc.typedSearchAttributes.get(SA.JobOwner);
  if (typeof sa === 'string') return sa;
  return typeof desc.memo?.owner === 'string' ? desc.memo.owner : undefined;
}

export function jobStatusOf(desc: WorkflowExecutionDescription): JobStatus {
  const sa = desc.typedSearchAttributes.get(SA.JobStatus);
  const parsed = JobStatus.safeParse(sa);
  if (desc.status.name === 'RUNNING' && parsed.success) return parsed.data;
  return jobStatusFromWorkflow(desc.status.name);
}

/** The gRPC status code of a server error (undefined for anything else). */
export function grpcCodeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Describes a job workflow; not found (or an id the server refuses, another owner's, or not a job) → JobNotFoundError. */
export async function describeJob(
  client: Client,
  jobId: string,
  scope: OwnerScope = {},
): Promise<WorkflowExecutionDescription> {
  let desc: WorkflowExecutionDescription;
  try {
    desc = await client.workflow.getHandle(jobId).describe();
  } catch (err) {
    const code = grpcCodeOf(err);
    if (err instanceof WorkflowNotFoundError || code === grpcStatus.NOT_FOUND || code === grpcStatus.INVALID_ARGUMENT)
      throw new JobNotFoundError(jobId);
    throw err;
  }
  if (desc.type !== JOB_WORKFLOW_TYPE) throw new JobNotFoundError(jobId);
  if (scope.owner !== undefined && ownerOf(desc) !== scope.owner) throw new JobNotFoundError(jobId);
  return desc;
}
