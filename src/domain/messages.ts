// Signals, queries and updates of the job workflow. define* needs no workflow context, so the
// client, API and CLI import these same definitions. Sandbox-safe.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { TrialMetricReport } from './early-stop';
import { PauseMode, type JobProgress } from './progress';
import { JobStatus } from './statuses';
import { cachedSchema } from './schema-cache';

export const PauseInput = cachedSchema('src/domain/messages#PauseInput', () =>
  z.strictObject({
    /** "drain" (default): no new node starts, running nodes finish. "now": running nodes checkpoint and stop. */
    mode: PauseMode.default('drain'),
  }),
);
export type PauseInput = z.input<typeof PauseInput>;

export const RecoverInput = cachedSchema('src/domain/messages#RecoverInput', () =>
  z.strictObject({
    /** Re-run this node and everything downstream of it (default: failed + skipped nodes). */
    fromNode: z.string().min(1).max(64).optional(),
    /**
     * Start the reset nodes from scratch. By default a node whose failed (or cancelled) execution
     * reported a checkpoint resumes from it (TRAINYARD_RESUME_CHECKPOINT for command steps).
     */
    fromScratch: z.boolean().optional(),
  }),
);
export type RecoverInput = z.input<typeof RecoverInput>;

/** Result of a control update: the job's status after it. */
export const ControlResult = cachedSchema('src/domain/messages#ControlResult', () =>
  z.object({ status: JobStatus, message: z.string() }),
);
export type ControlResult = z.infer<typeof ControlResult>;

// Signals: what `temporal workflow signal --name pause` sends. Invalid payloads are logged and ignored.
export const pauseSignal = defineSignal<[PauseInput?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const recoverSignal = defineSignal<[RecoverInput?]>('recover');
/**
 * Rolling upgrades: a job pinned to an older build moves onto the deployment's current build at its
 * next safe point (no step running) by continuing-as-new. Any workflow task tells a pinned job that
 * the current build changed; this signal gives an idle job (paused, or failed and waiting for
 * recover) one. A no-op for a job already on the current build.
 */
export const upgradeSignal = defineSignal<[]>('upgrade');
/** A sweep trial's metric at an epoch, sent by its step (early stopping; src/domain/early-stop.ts). */
export const trialMetricSignal = defineSignal<[TrialMetricReport]>('trialMetric');

// Updates: the same operations with validators, so callers get an answer (rejected with a reason).
export const pauseUpdate = defineUpdate<ControlResult, [PauseInput?]>('pauseJob');
export const resumeUpdate = defineUpdate<ControlResult, []>('resumeJob');
export const recoverUpdate = defineUpdate<ControlResult, [RecoverInput?]>('recoverJob');

export const progressQuery = defineQuery<JobProgress>('progress');
