// Every step activity goes through defineStep: it validates the activity input with the node type's
// zod schema (a bad input fails non-retryably with the field named), gives the step a context for
// heartbeats / checkpoints / cancellation, stamps the output with attempt facts, and makes sure a
// cancelled step reports its last checkpoint so a `pause now` can resume from it.
import os from 'node:os';
import { Context, CancelledFailure, activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { ArtifactRef, StepHeartbeat, StepInput, StepMeta, StepOutput } from '../src/domain/step-io';
import { formatPath } from '../src/domain/validate';

export interface StepContext {
  /** Records live progress (and optionally a checkpoint) as Temporal heartbeat details. */
  heartbeat(details: StepHeartbeat): void;
  /** The checkpoint to resume from: this activity's previous attempt, or a paused execution. */
  readonly resumeCheckpoint: ArtifactRef | undefined;
  /** The last heartbeat of the previous attempt, if any. */
  readonly previousHeartbeat: StepHeartbeat | undefined;
  /** Aborted when Temporal cancels the step (job cancel, pause now, timeout, worker shutdown). */
  readonly signal: AbortSignal;
  /** Throws CancelledFailure if the step was cancelled. Call between units of work (epochs). */
  throwIfCancelled(): void;
  readonly attempt: number;
  /** GPUs this step holds (set by the GPU worker's allocator), if any. */
  gpus?: number[];
}

export type StepFn<C> = (input: StepInput<C>, ctx: StepContext) => Promise<StepOutput>;

export const INVALID_INPUT = 'TrainyardInvalidInput';

export function defineStep<S extends z.ZodType>(schema: S, fn: StepFn<z.output<S>>): (input: StepInput) => Promise<StepOutput> {
  return async (input: StepInput): Promise<StepOutput> => {
    const startedAt = new Date().toISOString();
    const info = activityInfo();
    const parsed = schema.safeParse(input.config);
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `config${i.path.length ? '.' + formatPath(i.path) : ''}: ${i.message}`).join('; ');
      throw ApplicationFailure.create({ type: INVALID_INPUT, message: `node ${input.nodeId}: ${msg}`, nonRetryable: true, details: [metaOf(startedAt)] });
    }
    const actx = Context.current();
    const previous = info.heartbeatDetails as StepHeartbeat | undefined;
    let last: StepHeartbeat | undefined = previous?.checkpoint ? { checkpoint: previous.checkpoint } : input.checkpoint ? { checkpoint: input.checkpoint } : undefined;
    const ctx: StepContext = {
      heartbeat(details) {
        // Keep the latest checkpoint in every heartbeat, so whichever one survives a crash has it.
        last = { ...details, checkpoint: details.checkpoint ?? last?.checkpoint };
        actx.heartbeat(last);
      },
      resumeCheckpoint: previous?.checkpoint ?? input.checkpoint,
      previousHeartbeat: previous,
      signal: actx.cancellationSignal,
      throwIfCancelled() {
        if (actx.cancellationSignal.aborted) throw new CancelledFailure(String(actx.cancellationSignal.reason?.message ?? 'CANCELLED'), last ? [last] : []);
      },
      attempt: info.attempt,
    };
    try {
      const out = await fn({ ...input, config: parsed.data }, ctx);
      return { ...out, meta: { ...metaOf(startedAt), gpus: ctx.gpus } };
    } catch (err) {
      if (err instanceof CancelledFailure || actx.cancellationSignal.aborted) {
        // Report the last checkpoint with the cancellation: the workflow hands it to the next execution.
        throw new CancelledFailure(err instanceof Error ? err.message : 'CANCELLED', last ? [last] : []);
      }
      if (err instanceof ApplicationFailure) {
        throw ApplicationFailure.create({
          type: err.type ?? 'Error',
          message: err.message,
          nonRetryable: err.nonRetryable ?? false,
          details: [metaOf(startedAt), ...(err.details ?? [])],
          nextRetryDelay: err.nextRetryDelay ?? undefined,
          cause: err.cause,
        });
      }
      const e = err instanceof Error ? err : new Error(String(err));
      // Transient by default: Temporal retries per the node's retry policy.
      throw ApplicationFailure.create({ type: e.name || 'Error', message: e.message, nonRetryable: false, details: [metaOf(startedAt)], cause: e });
    }
  };
}

function metaOf(startedAt: string): StepMeta {
  const info = activityInfo();
  return { attempt: info.attempt, startedAt, finishedAt: new Date().toISOString(), worker: os.hostname(), taskQueue: info.taskQueue };
}
