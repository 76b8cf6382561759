// A describe() answer for the pure status projection (buildJobView) in unit tests: a running
// workflow with the given pending activities, no memo and no search attributes.
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export function described(
  pendingActivities: temporal.api.workflow.v1.IPendingActivityInfo[] = [],
): WorkflowExecutionDescription {
  return {
    runId: 'r',
    status: { name: 'RUNNING' },
    startTime: new Date(),
    historyLength: 5,
    memo: {},
    typedSearchAttributes: { get: () => undefined },
    raw: { pendingActivities },
  } as unknown as WorkflowExecutionDescription;
}
