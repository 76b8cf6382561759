// One run of a schedule (Temporal Schedules start this workflow): starts the job as a child
// workflow — a fresh job id, its own folder, the schedule's owner, tags and priority, scheduledBy —
// and waits for it, so the schedule's overlap policy sees a run as active exactly while its job runs.
// Cancelling the run (overlap cancelOther, or deleting it in the Web UI) cancels the job.
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  ParentClosePolicy,
  ChildWorkflowCancellationType,
  executeChild,
  isCancellation,
  log,
  setWorkflowOptions,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { jobStartOptions } from '../src/domain/job-start-options';
import type { JobProgress } from '../src/domain/progress';
import { JOB_WORKFLOW_TYPE } from '../src/domain/search-attributes';
import type { ScheduledRunInput, ScheduledRunResult } from '../src/domain/scheduled-run';
import type { JobSnapshot, JobWorkflowInput } from '../src/domain/snapshot';

export async function scheduledRunWorkflow(input: ScheduledRunInput): Promise<ScheduledRunResult> {
  // uuid4() is deterministic in a workflow (seeded by the run), so a replay starts the same job.
  const jobId = `job-${uuid4()}`;
  const snapshot: JobSnapshot = {
    ...input.snapshot,
    jobId,
    submittedAt: new Date().toISOString(),
    scheduledBy: input.scheduleId,
  };
  try {
    const progress = await executeChild<(i: JobWorkflowInput) => Promise<JobProgress>>(JOB_WORKFLOW_TYPE, {
      ...jobStartOptions(snapshot),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    return { jobId, status: progress.status };
  } catch (err) {
    if (isCancellation(err)) throw err;
    // A failed job is the job's outcome, not the launcher's: the schedule records the run as done
    // and the job keeps its own failure (recoverable through the API).
    if (err instanceof ChildWorkflowFailure) {
      log.warn('scheduled job failed', { jobId, scheduleId: input.scheduleId, error: err.cause?.message });
      return { jobId, status: 'failed' };
    }
    throw ApplicationFailure.nonRetryable(`could not start the scheduled job: ${(err as Error).message}`);
  }
}

// A run only waits for its job; any build can finish it, so on a versioned worker it never pins an
// old build (an unversioned worker must not name a behavior at all).
setWorkflowOptions(
  // (an unversioned worker still reports a build id, with an empty deployment name).
  () =>
    workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'AUTO_UPGRADE' as const } : {},
  scheduledRunWorkflow,
);
