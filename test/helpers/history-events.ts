// Reading what a recorded job-workflow history holds (test/integration/replay.test.ts checks that a fixture takes the
// path it is named for): its steps with their decoded inputs and outcomes, its patch markers, its
// signals and how the run ended.
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { z } from 'zod';
import { JobSpec } from '../../src/domain/job-spec';
import { JobProgress } from '../../src/domain/progress';
import { JobSnapshot } from '../../src/domain/snapshot';
import { StepInput, StepOutput } from '../../src/domain/step-io';

const ET = temporal.api.enums.v1.EventType;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

function first(payloads: Payloads): unknown {
  const p = payloads?.payloads?.[0];
  return p ? defaultPayloadConverter.fromPayload(p) : undefined;
}

/** What the step cache's activities are sent (CacheRequest): the node's step input inside. */
const CacheCall = z.object({ input: StepInput });
/** What cacheLookup answers: a hit, or the key a miss is stored under. */
const LookupAnswer = z.object({ hit: StepOutput.optional(), key: z.string().optional() });

/** One activity of a run for a node: a step, or the step cache's cacheLookup / cacheStore around it. */
export interface StepCall {
  activityType: string;
  /** The node's step input (for a cache activity, the input of the step it stands for). */
  input: StepInput;
  /** Index in the run's events of its ActivityTaskScheduled, and of its closing event. */
  scheduledAt: number;
  closedAt?: number;
  /** How it ended; undefined: still open when the run ended. */
  outcome?: 'completed' | 'failed' | 'canceled' | 'timed_out';
  /** The node's output it returned: a step's or cacheStore's result, or cacheLookup's hit. */
  output?: StepOutput;
  /** cacheLookup: a hit, or a miss (its output is then undefined). */
  hit?: boolean;
  /** Index of its ActivityTaskCancelRequested, if the workflow asked for its cancellation. */
  cancelRequestedAt?: number;
}

/** The activities of a run that act for a node, in scheduling order (quota, credit and notify activities left out). */
export function stepCalls(history: History): StepCall[] {
  const bySchedule = new Map<string, StepCall>();
  const out: StepCall[] = [];
  (history.events ?? []).forEach((e, at) => {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const arg = first(s.input);
      const step = StepInput.safeParse(arg);
      const cache = step.success ? undefined : CacheCall.safeParse(arg);
      const input = step.success ? step.data : cache?.success ? cache.data.input : undefined;
      if (!input) return;
      const call: StepCall = { activityType: s.activityType?.name ?? '', input, scheduledAt: at };
      bySchedule.set(String(e.eventId), call);
      out.push(call);
      return;
    }
    const cancel = e.activityTaskCancelRequestedEventAttributes;
    if (cancel) {
      const call = bySchedule.get(String(cancel.scheduledEventId));
      if (call) call.cancelRequestedAt = at;
      return;
    }
    const closes = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['canceled', e.activityTaskCanceledEventAttributes],
      ['timed_out', e.activityTaskTimedOutEventAttributes],
    ] as const;
    for (const [outcome, attrs] of closes) {
      const call = attrs && bySchedule.get(String(attrs.scheduledEventId));
      if (!call) continue;
      call.outcome = outcome;
      call.closedAt = at;
      const result = e.activityTaskCompletedEventAttributes?.result;
      if (!result) continue;
      if (call.activityType !== 'cacheLookup') call.output = StepOutput.parse(first(result));
      else {
        const answer = LookupAnswer.parse(first(result));
        call.hit = answer.hit !== undefined;
        if (answer.hit) call.output = answer.hit;
      }
    }
  });
  return out;
}

/** The most calls of `calls` open (scheduled, not yet closed) at once. */
export function peakInFlight(calls: readonly StepCall[]): number {
  const edges = calls.flatMap((c) => [
    [c.scheduledAt, 1],
    [c.closedAt ?? Infinity, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d!));
  return peak;
}

/** The patch ids the run recorded (patched() markers), in order. */
export function patchIds(history: History): string[] {
  return (history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_patch') return [];
    const data = first(m.details?.['patch-data']);
    return typeof data === 'object' && data && 'id' in data && typeof data.id === 'string' ? [data.id] : [];
  });
}

/** The decoded first argument of every signal `name` the run received, with its index in the run's events. */
export function signalsOf(history: History, name: string): { at: number; arg: unknown }[] {
  return (history.events ?? []).flatMap((e, at) => {
    const s = e.workflowExecutionSignaledEventAttributes;
    return s?.signalName === name ? [{ at, arg: first(s.input) }] : [];
  });
}

/**
 * How a run ended: its last event's type (`WORKFLOW_EXECUTION_CONTINUED_AS_NEW`,
 * `WORKFLOW_EXECUTION_COMPLETED`, …) and, when it completed, the job's result.
 */
export function runEnd(history: History): { event: string; result?: JobProgress } {
  const last = history.events?.at(-1);
  const event = (ET[last?.eventType ?? 0] ?? 'none').replace(/^EVENT_TYPE_/, '');
  const done = last?.workflowExecutionCompletedEventAttributes;
  return done ? { event, result: JobProgress.parse(first(done.result)) } : { event };
}

/** The job spec a run started from (its snapshot's spec, parsed as the workflow parses it). */
export function startedSpec(history: History): JobSpec {
  const input = z
    .object({ snapshot: JobSnapshot })
    .parse(first(history.events?.[0]?.workflowExecutionStartedEventAttributes?.input));
  return JobSpec.parse(input.snapshot.spec);
}
