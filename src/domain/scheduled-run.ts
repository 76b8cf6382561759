// The input of one scheduled run (workflows/scheduled-run-workflow.ts): the job's snapshot as the
// schedule prepared it, less what each run decides for itself (its job id and submission time).
// Sandbox-safe.
import { z } from 'zod';
import { JobSnapshot } from './snapshot';
import { cachedSchema } from './schema-cache';

export const ScheduledRunInput = cachedSchema('src/domain/scheduled-run#ScheduledRunInput', () =>
  z.object({
    /** The Temporal schedule id; recorded as the job's scheduledBy. */
    scheduleId: z.string().min(1),
    /** Everything but jobId and submittedAt, which each run sets. */
    snapshot: JobSnapshot.omit({ jobId: true, submittedAt: true, scheduledBy: true }),
  }),
);
export type ScheduledRunInput = z.infer<typeof ScheduledRunInput>;

export const ScheduledRunResult = cachedSchema('src/domain/scheduled-run#ScheduledRunResult', () =>
  z.object({ jobId: z.string(), status: z.string() }),
);
export type ScheduledRunResult = z.infer<typeof ScheduledRunResult>;

/** Workflow type name of the launcher a schedule starts. */
export const SCHEDULED_RUN_WORKFLOW_TYPE = 'scheduledRunWorkflow';

/** Schedule ids: `<queue prefix>-schedule:<owner>:<name>` (owners and names never contain ":"). */
export function scheduleIdOf(queuePrefix: string, owner: string, name: string): string {
  return `${queuePrefix}-schedule:${owner}:${name}`;
}
