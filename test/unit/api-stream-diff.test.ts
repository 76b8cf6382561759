// JobDiffer: successive job views → stream messages.
import { JobDiffer } from '../../src/api/job-watcher';
import { jobLinks, type JobView, type NodeView, type StreamMessage } from '../../src/http/contracts';

const node = (
  id: string,
  type: NodeView['type'],
  status: NodeView['status'],
  extra: Partial<NodeView> = {},
): NodeView => ({ id, type, dependsOn: [], status, taskQueue: 'q', attempts: 0, executions: 0, ...extra });
const view = (status: JobView['status'], nodes: NodeView[], startedMsAgo = 0): JobView => ({
  id: 'job-1',
  links: jobLinks('job-1'),
  name: 'j',
  owner: 'o',
  status,
  recoverable: false,
  progress: 0,
  currentNodes: [],
  counts: {},
  recoveryAttempts: 0,
  recoveries: [],
  runs: 1,
  nodes,
  source: 'query',
  workflow: {
    runId: 'r',
    status: 'RUNNING',
    startTime: new Date(Date.now() - startedMsAgo).toISOString(),
    historyLength: 1,
  },
});

/** [type, node_id, status] of each message (fields a message type does not have are undefined). */
const tags = (ms: StreamMessage[]) =>
  ms.map((m) => [m.type, 'node_id' in m ? m.node_id : undefined, 'status' in m ? m.status : undefined]);

test('when a job is watched from the start, then job_started, node statuses (missed running inferred), progress, metrics, job_completed', () => {
  const d = new JobDiffer('job-1');
  expect(
    d.first(view('queued', [node('t', 'train', 'pending'), node('e', 'evaluate', 'pending')])).map((m) => m.type),
  ).toEqual([]);
  const m1 = d.next(
    view('running', [
      node('t', 'train', 'running', { executions: 1, live: { epoch: 1, epochs: 5, loss: 0.5, percent: 20 } }),
      node('e', 'evaluate', 'pending'),
    ]),
  );
  expect(tags(m1)).toEqual([
    ['job_started', undefined, 'running'],
    ['node_status', 't', 'running'],
    ['node_progress', 't', 'running'],
  ]);
  expect(m1[2]).toMatchObject({ progress: 20 });
  const m2 = d.next(
    view('completed', [
      node('t', 'train', 'completed'),
      node('e', 'evaluate', 'completed', { output: { summary: { metrics: { accuracy: 0.9 } }, artifacts: [] } }),
    ]),
  );
  expect(tags(m2)).toEqual([
    ['node_status', 't', 'completed'],
    ['node_status', 'e', 'running'],
    ['node_status', 'e', 'completed'],
    ['metrics', 'e', undefined],
    ['job_completed', undefined, 'completed'],
  ]);
  expect(m2[1]!.data).toMatchObject({ inferred: true });
  expect(m2[3]!.data).toEqual({ accuracy: 0.9 });
  expect(d.done).toBe(true);
  expect(d.next(view('completed', []))).toEqual([]);
});

test('when a retry happens, then each new attempt is a node_status retrying with the last failure', () => {
  const d = new JobDiffer('job-1');
  d.first(view('running', [node('a', 'command', 'pending')]));
  const r1 = d.next(
    view('running', [node('a', 'command', 'retrying', { attempts: 2, attempt: 2, lastFailure: 'boom' })]),
  );
  expect(r1.flatMap((m) => (m.type === 'node_status' ? [[m.status, m.data.lastFailure]] : []))).toEqual([
    ['retrying', 'boom'],
  ]);
  const r2 = d.next(
    view('running', [node('a', 'command', 'retrying', { attempts: 3, attempt: 3, lastFailure: 'boom2' })]),
  );
  expect(tags(r2).map((t) => t[2])).toEqual(['retrying']);
});

test('when a subscriber arrives late, then a snapshot first; a finished job ends right after it', () => {
  const d = new JobDiffer('job-1');
  const ms = d.first(
    view(
      'running',
      [node('a', 'command', 'completed', { executions: 1 }), node('b', 'command', 'running', { executions: 1 })],
      60_000,
    ),
  );
  expect(ms.map((m) => m.type)).toEqual(['snapshot']);
  const done = new JobDiffer('job-1').first(
    view('failed', [node('a', 'command', 'failed', { executions: 1 })], 60_000),
  );
  expect(done.map((m) => m.type)).toEqual(['snapshot', 'job_failed']);
});

test('when a waiting node’s reason changes, then node_status comes again with the reason (not for a mere new message)', () => {
  const quota = { reason: 'quota' as const, message: 'over quota in pool p', pool: 'p' };
  const queued = { reason: 'queued' as const, message: 'queued behind 2 tasks in pool p', pool: 'p', ahead: 2 };
  const d = new JobDiffer('job-1');
  d.first(view('running', [node('t', 'train', 'pending')], 60_000));
  const sent = (waiting: NodeView['waiting']) => d.next(view('running', [node('t', 'train', 'queued', { waiting })]));
  expect(sent(quota)).toEqual([
    expect.objectContaining({
      type: 'node_status',
      status: 'queued',
      data: expect.objectContaining({ waiting: quota }),
    }),
  ]);
  expect(sent({ ...quota, message: 'over quota in pool p (2 ahead)' })).toEqual([]);
  expect(sent(queued)).toEqual([
    expect.objectContaining({
      type: 'node_status',
      status: 'queued',
      data: expect.objectContaining({ waiting: queued }),
    }),
  ]);
});
