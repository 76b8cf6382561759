// Where a dependent hop's time goes, read from a workflow's history. For a chain, hop k runs from
// activity k-1's completion to activity k's completion, and splits into:
//   wake      ActivityTaskCompleted(k-1) → WorkflowTaskScheduled   (history service, same transaction)
//   wftQueue  WorkflowTaskScheduled → WorkflowTaskStarted            (transfer queue + matching → worker)
//   wftRun    WorkflowTaskStarted → WorkflowTaskCompleted            (worker runs workflow code + RPC back)
//   actQueue  ActivityTaskScheduled(k) → ActivityTaskStarted(k)      (transfer queue + matching → worker; ~0 when eager)
//   actRun    ActivityTaskStarted(k) → ActivityTaskCompleted(k)      (the step, incl. its completion RPC)
// `gap` (node end → child start) is wake + wftQueue + wftRun + actQueue.
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;

/** temporal.api.enums.v1.EventType values used here. */
const ET = {
  WFT_SCHEDULED: 5,
  WFT_STARTED: 6,
  WFT_COMPLETED: 7,
  ACT_SCHEDULED: 10,
  ACT_STARTED: 11,
  ACT_COMPLETED: 12,
} as const;

export const HOP_PARTS = ['gap', 'wake', 'wftQueue', 'wftRun', 'actQueue', 'actRun', 'hop'] as const;
export type HopPart = (typeof HOP_PARTS)[number];
export type HopParts = Record<HopPart, number>;

export function eventMs(e: Event): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

interface Activity {
  scheduled: Event;
  started?: Event;
  completed?: Event;
}

/** Activities in scheduling order with their started/completed events. */
export function activitiesOf(events: readonly Event[]): Activity[] {
  const byScheduled = new Map<number, Activity>();
  const out: Activity[] = [];
  for (const e of events) {
    if (e.eventType === ET.ACT_SCHEDULED) {
      const a = { scheduled: e };
      byScheduled.set(Number(e.eventId), a);
      out.push(a);
    } else if (e.eventType === ET.ACT_STARTED) {
      const a = byScheduled.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId));
      if (a) a.started = e;
    } else if (e.eventType === ET.ACT_COMPLETED) {
      const a = byScheduled.get(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId));
      if (a) a.completed = e;
    }
  }
  return out;
}

/**
 * The parts of every hop of a chain (activity k depends on activity k-1, in scheduling order).
 * Several histories (continue-as-new runs) can be passed in order; hops never span two runs.
 */
export function chainHops(histories: readonly (readonly Event[])[]): HopParts[] {
  const hops: HopParts[] = [];
  for (const events of histories) {
    const byId = new Map<number, Event>();
    for (const e of events) byId.set(Number(e.eventId), e);
    const acts = activitiesOf(events);
    for (let k = 1; k < acts.length; k++) {
      const prev = acts[k - 1]!;
      const cur = acts[k]!;
      if (!prev.completed || !cur.started || !cur.completed) continue;
      const wftDone = byId.get(
        Number(cur.scheduled.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId),
      );
      const a = wftDone?.workflowTaskCompletedEventAttributes;
      const wftSched = a ? byId.get(Number(a.scheduledEventId)) : undefined;
      const wftStart = a ? byId.get(Number(a.startedEventId)) : undefined;
      if (!wftDone || !wftSched || !wftStart) continue;
      const end = eventMs(prev.completed);
      hops.push({
        gap: eventMs(cur.started) - end,
        wake: eventMs(wftSched) - end,
        wftQueue: eventMs(wftStart) - eventMs(wftSched),
        wftRun: eventMs(wftDone) - eventMs(wftStart),
        actQueue: eventMs(cur.started) - eventMs(cur.scheduled),
        actRun: eventMs(cur.completed) - eventMs(cur.started),
        hop: eventMs(cur.completed) - end,
      });
    }
  }
  return hops;
}

/** Per-task latencies of a run of any shape (fan-out, throughput): queue and run times of each task. */
export interface TaskLatencies {
  events: number;
  wftQueue: number[];
  wftRun: number[];
  actQueue: number[];
  actRun: number[];
}

export function taskLatencies(histories: readonly (readonly Event[])[]): TaskLatencies {
  const out: TaskLatencies = { events: 0, wftQueue: [], wftRun: [], actQueue: [], actRun: [] };
  for (const events of histories) {
    out.events += events.length;
    const byId = new Map<number, Event>();
    for (const e of events) {
      byId.set(Number(e.eventId), e);
      if (e.eventType !== ET.WFT_COMPLETED) continue;
      const a = e.workflowTaskCompletedEventAttributes!;
      const sched = byId.get(Number(a.scheduledEventId));
      const started = byId.get(Number(a.startedEventId));
      if (sched && started) out.wftQueue.push(eventMs(started) - eventMs(sched));
      if (started) out.wftRun.push(eventMs(e) - eventMs(started));
    }
    for (const act of activitiesOf(events)) {
      if (act.started) out.actQueue.push(eventMs(act.started) - eventMs(act.scheduled));
      if (act.started && act.completed) out.actRun.push(eventMs(act.completed) - eventMs(act.started));
    }
  }
  return out;
}

/**
 * A run's fixed costs around its steps: workflow start → first step started (the first workflow task:
 * input decoding, validation, scheduling) and last step completed → workflow closed (the last task,
 * the result). Across continue-as-new runs: the first run's head, the last run's tail.
 */
export function edges(histories: readonly (readonly Event[])[]): { headMs: number; tailMs: number } {
  const first = histories[0] ?? [];
  const last = histories[histories.length - 1] ?? [];
  const firstActs = activitiesOf(first);
  const lastActs = activitiesOf(last);
  const started = first[0];
  const closed = last[last.length - 1];
  const firstStart = firstActs.map((a) => a.started).find((e) => e);
  const lastDone = [...lastActs].reverse().find((a) => a.completed)?.completed;
  return {
    headMs: started && firstStart ? eventMs(firstStart) - eventMs(started) : NaN,
    tailMs: closed && lastDone ? eventMs(closed) - eventMs(lastDone) : NaN,
  };
}
