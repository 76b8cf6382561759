// Figures read from workflow histories: workflow-task latency (WorkflowTaskScheduled → Completed)
// and the split of each hop between dispatch and processing.
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** temporal.api.enums.v1.EventType values used here. */
const ET = { EVENT_TYPE_WORKFLOW_TASK_COMPLETED: 7, EVENT_TYPE_ACTIVITY_TASK_STARTED: 11 } as const;

function ms(e: temporal.api.history.v1.IHistoryEvent): number {
  return Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
}

export interface TaskTimings {
  events: number;
  /** WorkflowTaskScheduled → WorkflowTaskCompleted, per workflow task. */
  wftLatencyMs: number[];
  /** WorkflowTaskScheduled → Started (waiting for a worker). */
  wftDispatchMs: number[];
  /** WorkflowTaskStarted → Completed (the worker running workflow code). */
  wftProcessingMs: number[];
  /** ActivityTaskScheduled → Started. */
  activityDispatchMs: number[];
}

export async function taskTimings(client: Client, workflowId: string, runId?: string): Promise<TaskTimings> {
  const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = h.events ?? [];
  const byId = new Map<number, temporal.api.history.v1.IHistoryEvent>();
  const out: TaskTimings = {
    events: events.length,
    wftLatencyMs: [],
    wftDispatchMs: [],
    wftProcessingMs: [],
    activityDispatchMs: [],
  };
  for (const e of events) {
    byId.set(Number(e.eventId), e);
    if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      const a = e.workflowTaskCompletedEventAttributes!;
      const sched = byId.get(Number(a.scheduledEventId));
      const started = byId.get(Number(a.startedEventId));
      if (sched) out.wftLatencyMs.push(ms(e) - ms(sched));
      if (sched && started) out.wftDispatchMs.push(ms(started) - ms(sched));
      if (started) out.wftProcessingMs.push(ms(e) - ms(started));
    } else if (e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      const sched = byId.get(Number(e.activityTaskStartedEventAttributes!.scheduledEventId));
      if (sched) out.activityDispatchMs.push(ms(e) - ms(sched));
    }
  }
  return out;
}

export function mergeTimings(all: TaskTimings[]): TaskTimings {
  return {
    events: all.reduce((a, t) => a + t.events, 0),
    wftLatencyMs: all.flatMap((t) => t.wftLatencyMs),
    wftDispatchMs: all.flatMap((t) => t.wftDispatchMs),
    wftProcessingMs: all.flatMap((t) => t.wftProcessingMs),
    activityDispatchMs: all.flatMap((t) => t.activityDispatchMs),
  };
}
