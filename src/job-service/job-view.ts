// The status projection: a job's view (JobView, src/http/contracts.ts) from describe (pending
// activities, memo, search attributes, the execution's status) and the workflow's progress query.
// Pure: no Temporal calls (status.ts reads; this merges).
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex, optionalTsToDate } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { clientError, jobFailure, redactPaths } from '../domain/failure-view';
import type { JobProgress, NodeState } from '../domain/progress';
import { describeQuotaWait } from '../domain/quota';
import { SA } from '../domain/search-attributes';
import { Leaderboard, type JobLeaderboard } from '../domain/select';
import { ACTIVE_NODE_STATUSES, IN_FLIGHT_NODE_STATUSES, type NodeStatus } from '../domain/statuses';
import { parseHeartbeat, type StepHeartbeat } from '../domain/step-io';
import { liveUsage, recount } from '../domain/usage';
import { whyWaiting } from '../domain/waiting';
import { jobLinks, type JobView, type LiveProgress, type NodeView } from '../http/contracts';
import { ENDED_FROM_OUTSIDE, jobStatusFromWorkflow, jobStatusOf, ownerOf } from './lookup';

type RawPendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
const { PendingActivityState } = temporal.api.enums.v1;

/** A protobuf timestamp as an ISO string (undefined when unset). */
export function tsToIso(ts: temporal.api.workflow.v1.IPendingActivityInfo['scheduledTime']): string | undefined {
  return optionalTsToDate(ts)?.toISOString();
}

/** Splits an activity id `${nodeId}#${n}` into its node id. */
export function nodeIdOfActivity(activityId: string): string {
  const i = activityId.lastIndexOf('#');
  return i > 0 ? activityId.slice(0, i) : activityId;
}

function heartbeatOf(pa: RawPendingActivity): StepHeartbeat | undefined {
  try {
    return parseHeartbeat(
      fromPayloadsAtIndex<unknown>(defaultPayloadConverter, 0, pa.heartbeatDetails?.payloads ?? undefined),
    );
  } catch {
    return undefined;
  }
}

function liveOf(pa: RawPendingActivity, hb: StepHeartbeat | undefined): LiveProgress | undefined {
  if (!hb) return undefined;
  const { checkpoint: _checkpoint, usage: _usage, ...rest } = hb;
  if (Object.keys(rest).length === 0) return undefined;
  const at = tsToIso(pa.lastHeartbeatTime);
  return { ...rest, ...(at && { lastHeartbeatAt: at }) };
}

/**
 * The workflow's node states as the API shows them: errors without stacks or server folders, and
 * in-flight nodes refined by describe's pending activities (attempt, live progress, retrying,
 * queued, waiting for GPUs), each with why it waits. `upstream` waits name the dependencies among
 * `stateNodes` and in `opts.upstream` (a page's unfinished dependencies outside it, from the workflow).
 */
export function refineNodes(
  stateNodes: readonly NodeState[],
  desc: WorkflowExecutionDescription,
  opts: {
    serverPaths?: { path: string; as: string }[];
    backlogs?: ReadonlyMap<string, number>;
    jobPaused: boolean;
    upstream?: Readonly<Record<string, NodeStatus>>;
  },
): NodeView[] {
  const nowMs = Date.now();
  const roots = opts.serverPaths ?? [];
  const pending = new Map<string, RawPendingActivity>();
  for (const pa of desc.raw.pendingActivities ?? [])
    if (pa.activityId) pending.set(nodeIdOfActivity(pa.activityId), pa);
  const refined: NodeView[] = stateNodes.map((workflowNode) => {
    // Clients get the error's type, message and where: no stack, no server folders.
    const n = workflowNode.error ? { ...workflowNode, error: clientError(workflowNode.error, roots) } : workflowNode;
    // Not scheduled yet: over the owner's GPU quota (the workflow knows why).
    if (n.waitingFor?.reason === 'quota')
      return {
        ...n,
        ...liveUsage(n, undefined, nowMs),
        live: {
          phase: 'waiting_for_quota',
          message: describeQuotaWait(n.waitingFor),
          lastHeartbeatAt: n.waitingFor.since,
        },
      };
    const pa = pending.get(n.id);
    if (!pa || !IN_FLIGHT_NODE_STATUSES.has(n.status)) return { ...n };
    const hb = heartbeatOf(pa);
    const view: NodeView = { ...n, ...liveUsage(n, hb?.usage, nowMs), attempt: pa.attempt ?? 1 };
    const live = liveOf(pa, hb);
    if (live) view.live = live;
    const attempt = pa.attempt ?? 1;
    if (pa.state === PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) {
      if (attempt > 1) {
        view.status = 'retrying';
        view.attempts = Math.max(n.attempts, attempt);
        const msg = pa.lastFailure?.message;
        if (msg) view.lastFailure = redactPaths(msg, roots);
        const next = tsToIso(pa.scheduledTime);
        if (next) view.nextAttemptAt = next;
      } else view.status = 'queued';
    } else if (
      pa.state === PendingActivityState.PENDING_ACTIVITY_STATE_STARTED ||
      pa.state === PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
    ) {
      // On a GPU worker but not holding GPUs yet (its allocator heartbeats the phase).
      view.status = live?.phase === 'waiting_for_gpu' ? 'waiting_for_gpu' : 'running';
      view.attempts = Math.max(n.attempts, attempt);
      if (attempt > 1 && pa.lastFailure?.message) view.lastFailure = redactPaths(pa.lastFailure.message, roots);
    }
    return view;
  });
  // Why each node that is not running is waiting (upstream, paused, quota, queued, GPUs, backoff).
  const statusOf = new Map<string, NodeStatus>([
    ...Object.entries(opts.upstream ?? {}),
    ...refined.map((n) => [n.id, n.status] as const),
  ]);
  const waitCtx = { jobPaused: opts.jobPaused, statusOf, backlogs: opts.backlogs, nowMs };
  return refined.map((n) => {
    const waiting = whyWaiting(n, waitCtx);
    return waiting ? { ...n, waiting } : n;
  });
}

/** Merges the progress query's node states with describe's pending activities. */
export function buildJobView(
  jobId: string,
  desc: WorkflowExecutionDescription,
  progress: JobProgress | undefined,
  opts: {
    serverPaths?: { path: string; as: string }[];
    /** Approximate backlog per task queue (the status read asks for the queues of queued nodes). */
    backlogs?: ReadonlyMap<string, number>;
  } = {},
): JobView {
  const memo = desc.memo ?? {};
  const workflow = {
    runId: desc.runId,
    status: desc.status.name,
    startTime: desc.startTime.toISOString(),
    ...(desc.closeTime && { closeTime: desc.closeTime.toISOString() }),
    historyLength: desc.historyLength,
  };
  const base = {
    id: jobId,
    links: jobLinks(jobId),
    owner: ownerOf(desc) ?? '',
    specHash: typeof memo.specHash === 'string' ? memo.specHash : undefined,
    submittedAt: typeof memo.submittedAt === 'string' ? memo.submittedAt : undefined,
    ...(typeof memo.scheduledBy === 'string' && { scheduledBy: memo.scheduledBy }),
    ...(typeof memo.rerunOf === 'string' && { rerunOf: memo.rerunOf }),
    workflow,
  };
  if (!progress) {
    const status = jobStatusOf(desc);
    return {
      ...base,
      name: typeof memo.name === 'string' ? memo.name : jobId,
      status,
      recoverable: desc.typedSearchAttributes.get(SA.JobRecoverable) === true,
      progress: status === 'completed' ? 100 : 0,
      currentNodes: [],
      counts: {},
      recoveryAttempts: 0,
      recoveries: [],
      startedAt: workflow.startTime,
      completedAt: workflow.closeTime,
      runs: 1,
      nodes: [],
      source: 'describe',
    };
  }
  const nodes = refineNodes(progress.nodes, desc, {
    serverPaths: opts.serverPaths,
    backlogs: opts.backlogs,
    jobPaused: progress.status === 'paused',
  });
  const failure = jobFailure(nodes);
  // Terminated or timed out: the workflow never ran again to say so; its last state still shows nodes
  // running. The execution's status is the truth: the job ended, and nothing of it runs any more.
  if (ENDED_FROM_OUTSIDE.has(desc.status.name)) {
    const ended = jobStatusFromWorkflow(desc.status.name);
    const endedNodes = nodes.map(({ waiting, ...n }) =>
      ACTIVE_NODE_STATUSES.has(n.status)
        ? { ...n, status: 'cancelled' as const, lastFailure: `the job was ${ended.replace('_', ' ')}` }
        : { ...n, ...(waiting && { waiting }) },
    );
    const endedFailure = jobFailure(endedNodes);
    return {
      ...base,
      name: progress.name,
      status: ended,
      recoverable: false,
      progress: progress.progress,
      currentNodes: [],
      counts: recount(progress.counts, progress.nodes, endedNodes),
      recoveryAttempts: progress.recoveryAttempts,
      recoveries: progress.recoveries,
      startedAt: progress.startedAt,
      completedAt: workflow.closeTime,
      runs: progress.runs,
      nodes: endedNodes,
      ...(endedFailure && { failure: endedFailure }),
      ...(progress.trimmed && { trimmed: progress.trimmed }),
      source: 'query',
    };
  }
  return {
    ...base,
    name: progress.name,
    status: progress.status,
    recoverable: progress.recoverable,
    progress: progress.progress,
    currentNodes: progress.currentNodes,
    // The workflow counts what it knows; the pending activities refine in-flight nodes' statuses.
    counts: recount(progress.counts, progress.nodes, nodes),
    recoveryAttempts: progress.recoveryAttempts,
    recoveries: progress.recoveries,
    ...(progress.recoverableUntil && { recoverableUntil: progress.recoverableUntil }),
    ...(progress.pauseMode && { pauseMode: progress.pauseMode }),
    startedAt: progress.startedAt,
    completedAt: progress.completedAt,
    runs: progress.runs,
    nodes,
    ...(failure && { failure }),
    ...(progress.trimmed && { trimmed: progress.trimmed }),
    ...(progress.credits && { credits: progress.credits }),
    ...(progress.notifications && { notifications: progress.notifications }),
    ...leaderboardsOf(progress),
    source: 'query',
  };
}

/** The leaderboards of the job's completed select nodes (from their output summaries). */
function leaderboardsOf(progress: JobProgress): { leaderboards?: JobLeaderboard[] } {
  const boards: JobLeaderboard[] = [];
  for (const n of progress.nodes) {
    if (n.type !== 'select' || n.status !== 'completed' || !n.output) continue;
    const board = Leaderboard.safeParse(n.output.summary.leaderboard);
    if (board.success) boards.push({ node: n.id, ...board.data });
  }
  return boards.length ? { leaderboards: boards } : {};
}
