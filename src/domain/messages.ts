// Signals, queries and updates of the job workflow. define* needs no workflow context, so the
// client, API and CLI import these same definitions. Sandbox-safe.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { JobProgress, JobStatus } from './progress';

export const PauseInput = z.strictObject({
  /** "drain" (default): no new node starts, running nodes finish. "now": running nodes checkpoint and stop. */
  mode: z.enum(['drain', 'now']).default('drain'),
});
export type PauseInput = z.input<typeof PauseInput>;

export const RecoverInput = z.strictObject({
  /** Re-run this node and everything downstream of it (default: failed + skipped nodes). */
  fromNode: z.string().min(1).max(64).optional(),
});
export type RecoverInput = z.input<typeof RecoverInput>;

/** Result of a control update: the job's status after it. */
export interface ControlResult {
  status: JobStatus;
  message: string;
}

// Signals: what `temporal workflow signal --name pause` sends. Invalid payloads are logged and ignored.
export const pauseSignal = defineSignal<[PauseInput?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const recoverSignal = defineSignal<[RecoverInput?]>('recover');

// Updates: the same operations with validators, so callers get an answer (rejected with a reason).
export const pauseUpdate = defineUpdate<ControlResult, [PauseInput?]>('pauseJob');
export const resumeUpdate = defineUpdate<ControlResult, []>('resumeJob');
export const recoverUpdate = defineUpdate<ControlResult, [RecoverInput?]>('recoverJob');

export const progressQuery = defineQuery<JobProgress>('progress');
