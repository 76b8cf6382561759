// Every step activity goes through defineStep: it validates the activity input (StepInput, then the
// config with the node type's zod schema; a bad input fails non-retryably with the field named), gives the step a context for
// heartbeats / checkpoints / cancellation, stamps the output with attempt facts, and makes sure a
// cancelled step reports its last checkpoint so a `pause now` can resume from it.
import os from 'node:os';
import { Context, CancelledFailure, activityInfo, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { Duration } from '@temporalio/common';
import { heartbeatMetric, type TrialMetricReport } from '../src/domain/early-stop';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { trialMetricSignal } from '../src/domain/messages';
import { checkPayload, describeOverLimit, jsonBytes } from '../src/domain/payload-limits';
import { FAILURE_CAPS, clip } from './output-caps';
import { detailsMessage, issueDetails } from '../src/domain/issues';
import type { Artifacts } from '../src/storage/artifacts';
import { currentGpus } from '../src/gpu/gpu-context';
import {
  NO_USAGE,
  StepInput,
  addUsage,
  parseHeartbeat,
  type ArtifactRef,
  type StepHeartbeat,
  type StepMeta,
  type StepOutput,
  type StepUsage,
} from '../src/domain/step-io';
import { IntegrityError, InvalidKeyError, ObjectNotFoundError } from '../src/storage/object-store';

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

export interface DefineStepOptions {
  /**
   * Where the node's log lives (`logs --node`): each attempt's start and end are appended to it,
   * and why it failed, stack included (the log is the place for stacks; API clients never get one).
   */
  store?: Artifacts;
  /** The step writes its own attempt lines to the log (the command step); only failures are added. */
  ownLog?: boolean;
}

export function defineStep<S extends z.ZodType>(
  schema: S,
  fn: StepFn<z.output<S>>,
  opts: DefineStepOptions = {},
): (input: StepInput) => Promise<StepOutput> {
  return async (raw: StepInput): Promise<StepOutput> => {
    const startedAt = new Date().toISOString();
    const info = activityInfo();
    const invalid = (what: string, issues: readonly z.core.$ZodIssue[], prefix: string[] = []) =>
      ApplicationFailure.create({
        type: FAILURE_TYPES.InvalidInput,
        message: `${what}: ${detailsMessage(issueDetails(issues, prefix))}`,
        nonRetryable: true,
        details: [metaOf(startedAt)],
      });
    const base = StepInput.safeParse(raw);
    if (!base.success) throw invalid(`${info.activityType} activity input`, base.error.issues);
    const input = base.data;
    const logLine = (line: string) => appendNodeLog(opts.store, input, line);
    const parsed = schema.safeParse(input.config);
    if (!parsed.success) {
      const err = invalid(`node ${input.nodeId}`, parsed.error.issues, ['config']);
      await logLine(`--- attempt ${info.attempt} failed: ${err.type}: ${err.message}`);
      throw err;
    }
    if (!opts.ownLog) await logLine(`--- attempt ${info.attempt} started (${info.activityType})`);
    const actx = Context.current();
    const previous = parseHeartbeat(info.heartbeatDetails);
    // Usage: the earlier attempts' (carried in the heartbeat details) plus this one's GPU wait (the
    // GPU interceptor measured it) and running time (from here: the GPUs, if any, are held).
    const attemptStartMs = Date.now();
    const hold = currentGpus();
    const usageNow = (): StepUsage => {
      const ranMs = Date.now() - attemptStartMs;
      return addUsage(previous?.usage ?? NO_USAGE, {
        runningMs: ranMs,
        gpuWaitMs: hold?.waitedMs ?? 0,
        gpuSeconds: ((hold?.indices.length ?? 0) * ranMs) / 1000,
      });
    };
    let checkpoint: ArtifactRef | undefined = previous?.checkpoint ?? input.checkpoint;
    let last: StepHeartbeat | undefined = checkpoint ? { checkpoint } : undefined;
    /** The last heartbeat with the usage up to now: what a cancellation reports, and what the next attempt starts from. */
    const lastNow = (): StepHeartbeat => ({ ...last, usage: usageNow() });
    const report = metricReporter(input, actx);
    const ctx: StepContext = {
      heartbeat(details) {
        // Keep the latest checkpoint in every heartbeat, so whichever one survives a crash has it.
        checkpoint = details.checkpoint ?? checkpoint;
        last = { ...details, checkpoint };
        actx.heartbeat(lastNow());
        report?.(details);
      },
      resumeCheckpoint: previous?.checkpoint ?? input.checkpoint,
      previousHeartbeat: previous,
      signal: actx.cancellationSignal,
      throwIfCancelled() {
        if (actx.cancellationSignal.aborted)
          throw new CancelledFailure(String(actx.cancellationSignal.reason?.message ?? 'CANCELLED'), [lastNow()]);
      },
      attempt: info.attempt,
    };
    try {
      const out = await fn({ ...input, config: parsed.data }, ctx);
      const result: StepOutput = { ...out, meta: { ...metaOf(startedAt), gpus: ctx.gpus, usage: usageNow() } };
      // Checked here, not by the server: a refused completion is retried as if the step had failed.
      const size = checkPayload(result);
      if (!size.ok)
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.PayloadTooLarge,
          message: `node ${input.nodeId}: ${describeOverLimit('its output', size)}; write large results as files in the node's output folder`,
          nonRetryable: true,
        });
      if (!opts.ownLog) await logLine(`--- attempt ${info.attempt} completed`);
      return result;
    } catch (err) {
      if (err instanceof CancelledFailure || actx.cancellationSignal.aborted) {
        await logLine(`--- attempt ${info.attempt} cancelled${err instanceof Error ? `: ${err.message}` : ''}`);
        // Report the last checkpoint with the cancellation: the workflow hands it to the next execution.
        throw new CancelledFailure(err instanceof Error ? err.message : 'CANCELLED', [lastNow()]);
      }
      const why = err instanceof ApplicationFailure ? `${err.type ?? 'Error'}: ${err.message}` : String(err);
      const stack = err instanceof Error && err.stack ? `\n${err.stack}` : '';
      await logLine(`--- attempt ${info.attempt} failed: ${why}${stack}`);
      // The next attempt (Temporal retry) starts from this heartbeat: Core hands the latest one on,
      // sent or not. The failure's meta carries the same for the workflow (usage, and the checkpoint
      // `recover` resumes from).
      const final = lastNow();
      actx.heartbeat(final);
      const failedMeta: StepMeta = {
        ...metaOf(startedAt),
        usage: final.usage,
        ...(checkpoint && { checkpoint }),
      };
      if (err instanceof ApplicationFailure) {
        throw boundedFailure({
          type: err.type ?? 'Error',
          message: err.message,
          nonRetryable: err.nonRetryable ?? false,
          details: [failedMeta, ...(err.details ?? [])],
          nextRetryDelay: err.nextRetryDelay ?? undefined,
          cause: err.cause,
        });
      }
      // Storage faults that no retry can fix: the ref is named in the message.
      const storage =
        err instanceof IntegrityError
          ? FAILURE_TYPES.ArtifactIntegrity
          : err instanceof ObjectNotFoundError
            ? FAILURE_TYPES.ArtifactMissing
            : err instanceof InvalidKeyError
              ? FAILURE_TYPES.ArtifactPath
              : undefined;
      if (storage)
        throw boundedFailure({
          type: storage,
          message: `node ${input.nodeId}: ${(err as Error).message}`,
          nonRetryable: true,
          details: [failedMeta],
        });
      const e = err instanceof Error ? err : new Error(String(err));
      // Transient by default: Temporal retries per the node's retry policy.
      throw boundedFailure({
        type: e.name || 'Error',
        message: e.message,
        nonRetryable: false,
        details: [failedMeta],
        cause: e,
      });
    }
  };
}

/** Appends to the node's persisted log; a log that cannot be written never fails the step. */
async function appendNodeLog(store: Artifacts | undefined, input: StepInput, line: string): Promise<void> {
  if (!store) return;
  try {
    await store.logs.append(store.logKey(input.outputDir, input.nodeId), `${new Date().toISOString()} ${line}\n`);
  } catch (err) {
    try {
      log.warn('could not write the node log', { nodeId: input.nodeId, error: String(err) });
    } catch {
      // no activity context
    }
  }
}

/** defineStep with its log options first: `loggedStep({ store: deps.store }, Config, async (input, ctx) => …)`. */
export function loggedStep<S extends z.ZodType>(
  opts: DefineStepOptions,
  schema: S,
  fn: StepFn<z.output<S>>,
): (input: StepInput) => Promise<StepOutput> {
  return defineStep(schema, fn, opts);
}

/**
 * Early stopping: a sweep trial reports its metric to its job's workflow every `every` epochs (the
 * trialMetric signal; durable in the workflow's history). A report that cannot be sent is logged:
 * the trial keeps running, it is only judged on the epochs that arrived.
 */
function metricReporter(input: StepInput, actx: Context): ((hb: StepHeartbeat) => void) | undefined {
  const r = input.report;
  if (!r) return undefined;
  let lastEpoch = 0;
  return (hb) => {
    const epoch = hb.epoch;
    if (epoch === undefined || !Number.isInteger(epoch) || epoch <= lastEpoch || epoch % r.every !== 0) return;
    const value = heartbeatMetric(hb, r.metric);
    if (value === undefined) return;
    lastEpoch = epoch;
    const signal: TrialMetricReport = { nodeId: input.nodeId, execution: r.execution, epoch, value };
    actx.client.workflow
      .getHandle(input.jobId)
      .signal(trialMetricSignal, signal)
      .catch((err: unknown) =>
        actx.log.warn('could not report a trial metric to the job workflow', { ...signal, error: String(err) }),
      );
  };
}

/**
 * An ApplicationFailure that fits the gRPC message it travels in: message and stack clipped, its
 * details (beyond the step's meta, always first) replaced by a note when too large. An oversized
 * failure was refused by the server, so the attempt hung until its heartbeat timeout and the
 * reason was lost.
 */
function boundedFailure(o: {
  type: string;
  message: string;
  nonRetryable: boolean;
  details: unknown[];
  nextRetryDelay?: Duration;
  cause?: Error;
}): ApplicationFailure {
  const [meta, ...rest] = o.details;
  const restBytes = jsonBytes(rest);
  const details =
    restBytes > FAILURE_CAPS.detailsBytes
      ? [
          meta,
          { detailsDropped: `${restBytes} bytes of failure details, over the ${FAILURE_CAPS.detailsBytes}-byte cap` },
        ]
      : o.details;
  let cause = o.cause;
  if (
    cause &&
    (cause.message.length > FAILURE_CAPS.messageBytes || (cause.stack?.length ?? 0) > FAILURE_CAPS.stackBytes)
  ) {
    const clipped = new Error(clip(cause.message, FAILURE_CAPS.messageBytes));
    clipped.name = cause.name;
    clipped.stack = clip(cause.stack ?? '', FAILURE_CAPS.stackBytes);
    cause = clipped;
  }
  const f = ApplicationFailure.create({
    type: o.type,
    message: clip(o.message, FAILURE_CAPS.messageBytes),
    nonRetryable: o.nonRetryable,
    details,
    ...(o.nextRetryDelay !== undefined && { nextRetryDelay: o.nextRetryDelay }),
    ...(cause && { cause }),
  });
  return f;
}

function metaOf(startedAt: string): StepMeta {
  const info = activityInfo();
  return {
    attempt: info.attempt,
    startedAt,
    finishedAt: new Date().toISOString(),
    // The prefix of the Worker's identity ("<pid>@<host>", what the Temporal UI shows as the worker).
    worker: `${process.pid}@${os.hostname()}`,
    taskQueue: info.taskQueue,
  };
}
