// Starts a job workflow from its snapshot (workflow id = job id). Used by the API, the SDK, the
// demo and the tests, so every job starts with the same memo, search attributes and priority.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { JobSpec } from '../domain/job-spec';
import type { JobProgress } from '../domain/progress';
import { JOB_WORKFLOW_TYPE, SA } from '../domain/search-attributes';
import type { JobSnapshot, JobWorkflowInput } from '../domain/snapshot';
import { queueNames } from '../domain/task-queues';
import { validateJob } from '../domain/validate';

export interface StartJobOptions {
  /** 'fail' (default): a running job with the same id is an error. 'useExisting': return its handle. */
  idConflict?: 'fail' | 'useExisting';
  /** snapshot.spec as already parsed by a caller that validated it (the SDK's submit): not validated again. */
  spec?: JobSpec;
}

export type JobWorkflowHandle = WorkflowHandle<(input: JobWorkflowInput) => Promise<JobProgress>>;

export async function startJobWorkflow(client: Client, snapshot: JobSnapshot, opts: StartJobOptions = {}): Promise<JobWorkflowHandle> {
  const spec = opts.spec ?? validSpecOf(snapshot.spec);
  // The workflow re-validates and fails an invalid spec; these values only label the start.
  const nodes = spec ? spec.nodes : (snapshot.spec.nodes ?? []);
  const priority = spec ? spec.priority : (snapshot.spec.priority ?? 3);
  const tags = spec ? spec.tags : (snapshot.spec.tags ?? []);
  const input: JobWorkflowInput = { snapshot };
  return client.workflow.start<(input: JobWorkflowInput) => Promise<JobProgress>>(JOB_WORKFLOW_TYPE, {
    workflowId: snapshot.jobId,
    taskQueue: queueNames(snapshot.queuePrefix).workflows,
    args: [input],
    workflowIdConflictPolicy: opts.idConflict === 'useExisting' ? 'USE_EXISTING' : 'FAIL',
    memo: { specHash: snapshot.specHash, name: snapshot.spec.name, owner: snapshot.owner },
    typedSearchAttributes: [
      { key: SA.JobStatus, value: 'queued' },
      { key: SA.JobOwner, value: snapshot.owner },
      { key: SA.JobTypes, value: [...new Set(nodes.map((n) => n.type))].sort() },
      { key: SA.JobTags, value: [...tags] },
      { key: SA.JobPriority, value: priority },
      { key: SA.JobRecoverable, value: false },
    ],
    priority: { priorityKey: priority },
    // A workflow task of a large DAG (hundreds of completions, or a replay after a worker restart)
    // can exceed the 10 s default on a busy worker; a timed-out task is replayed and may time out again.
    workflowTaskTimeout: '30s',
  });
}

function validSpecOf(input: JobSnapshot['spec']): JobSpec | undefined {
  const v = validateJob(input);
  return v.ok ? v.spec : undefined;
}
