// A node's usage as a status read shows it: the workflow's totals (finished attempts and
// executions) plus what the attempt in flight used up to its last heartbeat. Pure; sandbox-safe.
import type { NodeStatus } from './statuses';
import type { NodeState, NodeUsage } from './progress';
import type { StepUsage } from './step-io';

/**
 * The node's usage extended to now while it is in flight: wall time to now, plus the in-flight
 * execution's heartbeat usage (every attempt of it so far), plus a quota wait still going on.
 */
export function liveUsage(
  n: Pick<NodeState, 'firstStartedAt' | 'usage' | 'waitingFor'>,
  inFlight: StepUsage | undefined,
  nowMs: number,
): { usage?: NodeUsage } {
  if (n.firstStartedAt === undefined) return {};
  const base = n.usage ?? { wallMs: 0, runningMs: 0, gpuWaitMs: 0, gpuSeconds: 0 };
  const quotaWaitMs = n.waitingFor ? Math.max(0, nowMs - Date.parse(n.waitingFor.since)) : 0;
  return {
    usage: {
      wallMs: Math.max(base.wallMs, nowMs - Date.parse(n.firstStartedAt)),
      runningMs: base.runningMs + (inFlight?.runningMs ?? 0),
      gpuWaitMs: base.gpuWaitMs + (inFlight?.gpuWaitMs ?? 0) + quotaWaitMs,
      gpuSeconds: base.gpuSeconds + (inFlight?.gpuSeconds ?? 0),
    },
  };
}

/**
 * Counts after a status read refined node statuses (queued / retrying / waiting_for_gpu from the
 * pending activities): the workflow's counts moved by each node whose status changed. Works on
 * trimmed views too (a trimmed-out node was not refined).
 */
export function recount(
  counts: Partial<Record<NodeStatus, number>>,
  before: readonly { status: NodeStatus }[],
  after: readonly { status: NodeStatus }[],
): Partial<Record<NodeStatus, number>> {
  const out = { ...counts };
  before.forEach((b, i) => {
    const a = after[i]!.status;
    if (a === b.status) return;
    out[b.status] = (out[b.status] ?? 0) - 1;
    out[a] = (out[a] ?? 0) + 1;
  });
  return out;
}
