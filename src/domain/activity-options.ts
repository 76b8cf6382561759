// The activity options of a node's step: its timeouts and retry policy as Temporal takes them.
// Sandbox-safe; the job workflow schedules every step with these, and the security suite checks,
// against a real server, that no spec that validates yields options the server would refuse.
import type { ActivityOptions } from '@temporalio/workflow';
import { priorityOf, type Fairness } from './fairness';
import { FAILURE_TYPES } from './failure-types';
import type { NodeSpec } from './job-spec';

export interface StepOptionDefaults {
  stepTimeoutMs: number;
  heartbeatTimeoutMs: number;
}

export function stepActivityOptions(
  node: Pick<NodeSpec, 'id' | 'type' | 'retry' | 'timeout'>,
  o: {
    taskQueue: string;
    execution: number;
    defaults: StepOptionDefaults;
    priority: number;
    fairness: Fairness | undefined;
  },
): ActivityOptions {
  const r = node.retry;
  return {
    activityId: `${node.id}#${o.execution}`,
    taskQueue: o.taskQueue,
    startToCloseTimeout: node.timeout.startToClose ?? o.defaults.stepTimeoutMs,
    heartbeatTimeout: node.timeout.heartbeat ?? o.defaults.heartbeatTimeoutMs,
    ...(node.timeout.scheduleToStart !== undefined && { scheduleToStartTimeout: node.timeout.scheduleToStart }),
    // Explicit: an unset cancellationType is sent as TRY_CANCEL, which would not wait for the
    // step to stop its subprocess.
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: {
      maximumAttempts: r.maxAttempts,
      initialInterval: r.initialInterval,
      backoffCoefficient: r.backoffCoefficient,
      // The server rejects a maximum below the initial interval (a default maximum is raised to it).
      maximumInterval: Math.max(r.maxInterval, r.initialInterval),
      nonRetryableErrorTypes: [...new Set([...r.nonRetryableErrors, FAILURE_TYPES.InvalidInput])],
    },
    // Fair share between owners on every queue (jobs from before it have no fairness in their snapshot).
    priority: priorityOf(o.priority, o.fairness),
    // No `summary` (user metadata): the Web UI already shows the node's type (activity type) and id
    // (activity id `<node>#<execution>`), and a summary measured ~1 ms more per dependent hop
    // (bench/README.md §1). Replay ignores user metadata, so runs recorded with one replay as before.
  };
}
