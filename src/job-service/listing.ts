// Listing: a page of job summaries from Temporal's visibility store, newest first, filtered by
// owner, status, type, tag, recoverability or schedule (search attributes set at start and by
// the workflow).
import { status as grpcStatus } from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { JOB_WORKFLOW_TYPE, tagKey, tagNeedsKey } from '../domain/search-attributes';
import { JobStatus, TERMINAL_JOB_STATUSES } from '../domain/statuses';
import type { JobPage, JobSummary } from '../http/contracts';
import { tsToIso } from './job-view';
import { ENDED_FROM_OUTSIDE, grpcCodeOf, jobStatusFromWorkflow, workflowStatusName } from './lookup';
import { InvalidPageTokenError, decodePageToken, encodePageToken } from './page-token';
import type { ListJobsOptions } from './types';

type RawExecution = temporal.api.workflow.v1.IWorkflowExecutionInfo;

/** The caller's jobs (or everyone's without an owner), newest first, one page at a time. */
export async function listJobs(client: Client, opts: ListJobsOptions = {}): Promise<JobPage> {
  const clauses = [`WorkflowType = ${q(JOB_WORKFLOW_TYPE)}`];
  if (opts.owner !== undefined) clauses.push(`JobOwner = ${q(opts.owner)}`);
  if (opts.status !== undefined) clauses.push(statusClause(opts.status));
  if (opts.jobType !== undefined) clauses.push(`JobTypes = ${q(opts.jobType)}`);
  if (opts.tag !== undefined)
    clauses.push(tagNeedsKey(opts.tag) ? `JobTagKeys = ${q(tagKey(opts.tag))}` : `JobTags = ${q(opts.tag)}`);
  if (opts.recoverable !== undefined) clauses.push(`JobRecoverable = ${opts.recoverable ? 'true' : 'false'}`);
  if (opts.scheduledBy !== undefined) clauses.push(`JobScheduledBy = ${q(opts.scheduledBy)}`);
  // Only the latest run of each job (continue-as-new leaves closed runs behind).
  clauses.push(`ExecutionStatus != 'ContinuedAsNew'`);
  const nextPageToken = opts.pageToken ? decodePageToken(opts.pageToken) : undefined;
  let res: temporal.api.workflowservice.v1.IListWorkflowExecutionsResponse;
  try {
    res = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      pageSize: opts.pageSize ?? 50,
      nextPageToken,
      query: clauses.join(' AND '),
    });
  } catch (err) {
    if (opts.pageToken && grpcCodeOf(err) === grpcStatus.INVALID_ARGUMENT) throw new InvalidPageTokenError();
    throw err;
  }
  const jobs = (res.executions ?? []).map(summaryOf);
  const token = res.nextPageToken && res.nextPageToken.length > 0 ? encodePageToken(res.nextPageToken) : undefined;
  return { jobs, ...(token && { nextPageToken: token }) };
}

/**
 * The visibility clause of a status filter. `terminated` / `timed_out` come from the execution's
 * status (no workflow code ran to upsert them); the others from JobStatus, of executions that
 * did not end from outside (a terminated job's JobStatus still says `running`).
 */
function statusClause(status: JobStatus): string {
  if (status === 'terminated') return `ExecutionStatus = 'Terminated'`;
  if (status === 'timed_out') return `ExecutionStatus = 'TimedOut'`;
  return `JobStatus = ${q(status)} AND ExecutionStatus != 'Terminated' AND ExecutionStatus != 'TimedOut'`;
}

/** Quotes a value for a visibility query. */
function q(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function decodePayload(p: Payload | null | undefined): unknown {
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(p);
  } catch {
    return undefined;
  }
}

function decodeFields(fields: Record<string, Payload> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = decodePayload(v);
  return out;
}

function summaryOf(e: RawExecution): JobSummary {
  const sa = decodeFields(e.searchAttributes?.indexedFields as Record<string, Payload> | undefined);
  const memo = decodeFields(e.memo?.fields as Record<string, Payload> | undefined);
  const wfStatus = workflowStatusName(e.status);
  const saParsed = JobStatus.safeParse(sa.JobStatus);
  const saStatus = saParsed.success ? saParsed.data : undefined;
  const status =
    !ENDED_FROM_OUTSIDE.has(wfStatus) && (wfStatus === 'RUNNING' || (saStatus && TERMINAL_JOB_STATUSES.has(saStatus)))
      ? (saStatus ?? 'running')
      : jobStatusFromWorkflow(wfStatus);
  const arr = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
  const closeTime = tsToIso(e.closeTime);
  return {
    id: e.execution?.workflowId ?? '',
    ...(typeof memo.name === 'string' && { name: memo.name }),
    ...(typeof sa.JobOwner === 'string' && { owner: sa.JobOwner }),
    status,
    types: arr(sa.JobTypes),
    tags: arr(sa.JobTags),
    ...(typeof sa.JobPriority === 'number' && { priority: sa.JobPriority }),
    recoverable: sa.JobRecoverable === true,
    ...(typeof sa.JobScheduledBy === 'string' && { scheduledBy: sa.JobScheduledBy }),
    ...(typeof memo.gpus === 'number' && { gpus: memo.gpus }),
    startTime: tsToIso(e.startTime) ?? '',
    ...(closeTime && { closeTime }),
    workflowStatus: wfStatus,
  };
}
