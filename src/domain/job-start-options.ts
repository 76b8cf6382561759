// How a job workflow is started: its id, queue, memo, search attributes and priority. One
// definition for the API's start (startJobWorkflow, src/job-service/submission.ts) and a schedule's
// launcher, which starts each run as a child workflow (workflows/scheduled-run-workflow.ts). Sandbox-safe.
import type { Duration, Priority, SearchAttributePair } from '@temporalio/common';
import { priorityOf } from './fairness';
import { effectiveGpus, type JobSpec } from './job-spec';
import { SA, tagKeysOf } from './search-attributes';
import { jobDirOf, type JobSnapshot, type JobWorkflowInput } from './snapshot';
import { queueNames } from './task-queues';
import { validateJob } from './validate';

export interface JobStartOptions {
  workflowId: string;
  taskQueue: string;
  args: [JobWorkflowInput];
  memo: Record<string, unknown>;
  typedSearchAttributes: SearchAttributePair[];
  priority: Priority;
  workflowTaskTimeout: Duration;
  staticSummary?: string;
  staticDetails?: string;
}

export interface JobStartLinks {
  /** The dashboard's base URL: the workflow's static summary/details then link the Temporal Web UI back to the job's page. */
  dashboardUrl?: string;
}

/**
 * `spec`: snapshot.spec as already parsed by a caller that validated it; otherwise parsed here.
 * `input`: the workflow's input when it is not the snapshot inline (a snapshot passed by reference).
 */
export function jobStartOptions(
  snapshot: JobSnapshot,
  spec?: JobSpec,
  links: JobStartLinks = {},
  input: JobWorkflowInput = { snapshot },
): JobStartOptions {
  const parsed = spec ?? validSpecOf(snapshot.spec);
  // The workflow re-validates and fails an invalid spec; these values only label the start.
  const nodes = parsed ? parsed.nodes : (snapshot.spec.nodes ?? []);
  const priority = parsed ? parsed.priority : (snapshot.spec.priority ?? 3);
  const tags = parsed ? parsed.tags : (snapshot.spec.tags ?? []);
  const outputDir = parsed ? parsed.outputDir : (snapshot.spec.outputDir ?? 'runs');
  return {
    workflowId: snapshot.jobId,
    taskQueue: queueNames(snapshot.queuePrefix).workflows,
    args: [input],
    // jobDir: where the job's files live, so readers need not fetch the snapshot from history.
    memo: {
      specHash: snapshot.specHash,
      name: snapshot.spec.name,
      owner: snapshot.owner,
      submittedAt: snapshot.submittedAt,
      jobDir: jobDirOf(snapshot, outputDir),
      ...(snapshot.scheduledBy !== undefined && { scheduledBy: snapshot.scheduledBy }),
      ...(snapshot.rerunOf !== undefined && { rerunOf: snapshot.rerunOf }),
      // GPUs the job's nodes request, summed (the job list shows it without reading every spec).
      ...(parsed && { gpus: parsed.nodes.reduce((sum, n) => sum + effectiveGpus(n), 0) }),
    },
    // Shown by the Temporal Web UI on the workflow's page (user metadata), linking back to the dashboard.
    ...(links.dashboardUrl && {
      staticSummary: `Trainyard job ${snapshot.spec.name ?? snapshot.jobId} (owner ${snapshot.owner})`.slice(0, 200),
      staticDetails: `[Open this job in the Trainyard dashboard](${links.dashboardUrl}/ui/jobs/${encodeURIComponent(snapshot.jobId)})`,
    }),
    typedSearchAttributes: [
      { key: SA.JobStatus, value: 'queued' },
      { key: SA.JobOwner, value: snapshot.owner },
      { key: SA.JobTypes, value: [...new Set(nodes.map((n) => n.type))].sort() },
      { key: SA.JobTags, value: [...tags] },
      // Only when a tag needs one (so a server without JobTagKeys registered still runs other jobs).
      ...(tagKeysOf(tags).length > 0 ? [{ key: SA.JobTagKeys, value: tagKeysOf(tags) }] : []),
      { key: SA.JobPriority, value: priority },
      { key: SA.JobRecoverable, value: false },
      ...(snapshot.scheduledBy !== undefined ? [{ key: SA.JobScheduledBy, value: snapshot.scheduledBy }] : []),
    ] as SearchAttributePair[],
    // Fair share: the owner's key and weight on the workflow task too (steps get them from the workflow).
    priority: priorityOf(priority, snapshot.fairness),
    // A workflow task of a large DAG (hundreds of completions, or a replay after a worker restart)
    // can exceed the 10 s default on a busy worker; a timed-out task is replayed and may time out again.
    workflowTaskTimeout: '30s',
  };
}

function validSpecOf(input: JobSnapshot['spec']): JobSpec | undefined {
  const v = validateJob(input);
  return v.ok ? v.spec : undefined;
}
