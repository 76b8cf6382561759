// Why a node is waiting (src/domain/waiting.ts), as the job view (src/job-service/job-view.ts) and
// the stream (test/unit/api-stream-diff.test.ts) show it: upstream, paused, quota, queued behind N tasks in pool P, waiting
// for GPUs / GPU memory on a worker, between retries.
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { JobProgress, NodeState } from '../../src/domain/progress';
import { NODE_STATUSES } from '../../src/domain/statuses';
import { poolOfQueue, whyWaiting, type WaitContext } from '../../src/domain/waiting';
import { buildJobView } from '../../src/job-service/job-view';
import { described } from '../helpers/described';

const { PendingActivityState } = temporal.api.enums.v1;
const GPU_Q = 'ty-gpu-train-a100-80g';

const node = (id: string, status: NodeState['status'], extra: Partial<NodeState> = {}): NodeState => ({
  id,
  type: 'command',
  dependsOn: [],
  status,
  taskQueue: 'ty-workflows',
  attempts: 0,
  executions: 0,
  ...extra,
});
const ctx = (nodes: NodeState[], extra: Partial<WaitContext> = {}): WaitContext => ({
  jobPaused: false,
  statusOf: new Map(nodes.map((n) => [n.id, n.status])),
  nowMs: Date.now(),
  ...extra,
});

test('the pool of a GPU queue; none for other queues', () => {
  expect(poolOfQueue('ty-gpu-train-a100-80g')).toBe('a100-80g');
  expect(poolOfQueue('trainyard-gpu-export-default')).toBe('default');
  expect(poolOfQueue('trainyard-workflows')).toBeUndefined();
});

test('when a node waits for its dependencies, then it names those not finished', () => {
  const nodes = [node('a', 'completed'), node('b', 'running'), node('c', 'queued'), node('d', 'pending')];
  const d = { ...nodes[3]!, dependsOn: ['a', 'b', 'c'] };
  expect(whyWaiting(d, ctx(nodes))).toEqual({
    reason: 'upstream',
    message: 'waiting for upstream: b, c',
    nodes: ['b', 'c'],
  });
  // Every dependency done: about to be scheduled, no reason to give.
  expect(whyWaiting({ ...d, dependsOn: ['a'] }, ctx(nodes))).toBeUndefined();
});

test('when the job is paused, then its paused and pending nodes say so', () => {
  const nodes = [node('a', 'paused'), node('b', 'pending', { dependsOn: ['a'] })];
  expect(whyWaiting(nodes[0]!, ctx(nodes))?.reason).toBe('paused');
  expect(whyWaiting(nodes[1]!, ctx(nodes, { jobPaused: true }))).toEqual({
    reason: 'paused',
    message: 'paused: the job is paused; resume continues it',
  });
});

test('when a node is over quota, then the quota reason carries the pool and the requests ahead', () => {
  const n = node('t', 'queued', {
    taskQueue: GPU_Q,
    waitingFor: {
      reason: 'quota',
      pool: 'a100-80g',
      gpus: 1,
      held: 2,
      limit: 2,
      ahead: 1,
      since: '2026-01-01T00:00:00Z',
    },
  });
  expect(whyWaiting(n, ctx([n]))).toEqual({
    reason: 'quota',
    message: 'over quota in pool a100-80g: needs 1 GPU; the owner holds 2 with a quota of 2 (1 request ahead)',
    pool: 'a100-80g',
    ahead: 1,
    since: '2026-01-01T00:00:00Z',
  });
});

test('when a node is queued, then it says how many tasks are ahead of it in its pool (the backlog less itself)', () => {
  const n = node('t', 'queued', { taskQueue: GPU_Q });
  expect(whyWaiting(n, ctx([n], { backlogs: new Map([[GPU_Q, 4]]) }))).toEqual({
    reason: 'queued',
    message: 'queued behind 3 tasks in pool a100-80g',
    taskQueue: GPU_Q,
    pool: 'a100-80g',
    ahead: 3,
  });
  expect(whyWaiting(n, ctx([n], { backlogs: new Map([[GPU_Q, 1]]) }))?.message).toBe(
    'queued behind 0 tasks in pool a100-80g',
  );
  // Backlog unknown; a CPU queue is named as a queue.
  expect(whyWaiting(n, ctx([n]))?.message).toBe('queued in pool a100-80g: no worker has taken it yet');
  const cpu = node('c', 'queued');
  expect(whyWaiting(cpu, ctx([cpu], { backlogs: new Map([['ty-workflows', 2]]) }))?.message).toBe(
    'queued behind 1 task in task queue ty-workflows',
  );
});

test('when a node waits on a GPU worker for GPUs, then the allocator says why (GPU memory); a retry in backoff says when', () => {
  const msg = 'waiting for 1 GPU(s) with ≥ 40 GB: 0 free, 1 step(s) ahead';
  const g = { ...node('t', 'waiting_for_gpu', { taskQueue: GPU_Q }), live: { message: msg } };
  expect(whyWaiting(g, ctx([g]))).toEqual({ reason: 'gpu', message: msg, pool: 'a100-80g' });
  const at = new Date(Date.now() + 60_000).toISOString();
  const r = { ...node('t', 'retrying'), nextAttemptAt: at, attempt: 3 };
  expect(whyWaiting(r, ctx([r]))).toEqual({
    reason: 'retry_backoff',
    message: `retrying: attempt 3 is due at ${at}`,
    nextAttemptAt: at,
  });
  // Past its backoff: in the queue again.
  const due = { ...r, nextAttemptAt: new Date(Date.now() - 1000).toISOString() };
  expect(whyWaiting(due, ctx([due]))?.reason).toBe('queued');
});

test('running and finished nodes give no reason', () => {
  for (const s of ['running', 'completed', 'failed', 'skipped', 'cancelled', 'cached'] as const)
    expect(whyWaiting(node('t', s), ctx([]))).toBeUndefined();
});

/** The pending activity of a described job whose `t` step is scheduled (not taken by a worker) on the GPU queue. */
const pendingTrain = [
  {
    activityId: 't#1',
    state: PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
    attempt: 1,
    heartbeatDetails: { payloads: [defaultPayloadConverter.toPayload({})] },
  },
];

function progress(nodes: NodeState[]): JobProgress {
  return {
    jobId: 'j',
    name: 'j',
    status: 'running',
    progress: 0,
    currentNodes: ['t'],
    counts: Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as JobProgress['counts'],
    recoverable: false,
    recoveryAttempts: 0,
    recoveries: [],
    runs: 1,
    nodes,
  };
}

test('the job view gives every node that is not running its reason, from the backlogs the status read found', () => {
  const nodes = [node('t', 'queued', { taskQueue: GPU_Q, executions: 1 }), node('e', 'pending', { dependsOn: ['t'] })];
  const v = buildJobView('j', described(pendingTrain), progress(nodes), { backlogs: new Map([[GPU_Q, 6]]) });
  expect(v.nodes.map((n) => [n.id, n.status, n.waiting?.message])).toEqual([
    ['t', 'queued', 'queued behind 5 tasks in pool a100-80g'],
    ['e', 'pending', 'waiting for upstream: t'],
  ]);
});
