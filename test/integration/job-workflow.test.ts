// The job workflow against a real dev server: concurrency, retries, failure + recovery, pause
// (drain and now, via updates and via the real CLI), cancel via the CLI, illegal transitions,
// search attributes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  type ControlResult,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  recoverSignal,
  recoverUpdate,
  resumeSignal,
  resumeUpdate,
} from '../../src/domain/messages';
import type { JobProgress, NodeState } from '../../src/domain/progress';
import { SA } from '../../src/domain/search-attributes';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

const exec = promisify(execFile);
let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

function node(p: JobProgress, id: string): NodeState {
  const n = p.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await exec(resolveTemporalCli(), [
    ...args,
    '--address',
    t.server.address,
    '--namespace',
    t.server.namespace,
  ]);
  return stdout;
}

/**
 * Where in the job's history the node's first activity was scheduled, relative to the last resume
 * (the `resume` update or signal): the history says exactly whether a paused job started the node,
 * where a fixed wait would only say it had not yet.
 */
async function scheduledRelativeToResume(h: WorkflowHandle, nodeId: string): Promise<'before' | 'after' | 'never'> {
  const events = (await h.fetchHistory()).events ?? [];
  const isResume = (e: (typeof events)[number]) =>
    e.workflowExecutionSignaledEventAttributes?.signalName === resumeSignal.name ||
    e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === resumeUpdate.name;
  // The last resume: an earlier one (sent while running) is illegal and ignored.
  let resumedAt = -1;
  events.forEach((e, i) => {
    if (isResume(e)) resumedAt = i;
  });
  const scheduledAt = events.findIndex((e) =>
    e.activityTaskScheduledEventAttributes?.activityId?.startsWith(`${nodeId}#`),
  );
  if (resumedAt < 0) throw new Error('no resume in the history');
  return scheduledAt < 0 ? 'never' : scheduledAt < resumedAt ? 'before' : 'after';
}

function setup(name: string) {
  const prefix = uniqueId(name);
  const rec = new Recorder();
  return { prefix, jobId: `${prefix}-job`, rec, activities: testActivities(rec) };
}

describe('job workflow', () => {
  test('when a diamond runs, then its two middle nodes run concurrently', async () => {
    const { prefix, jobId, rec, activities } = setup('diamond');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [
        cmd('a'),
        cmd('b', ['a'], { TEST_SLEEP_MS: '800' }),
        cmd('c', ['a'], { TEST_SLEEP_MS: '800' }),
        cmd('d', ['b', 'c']),
      ],
    });
    const result = await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      return h.result();
    });
    expect(result.status).toBe('completed');
    expect(result.progress).toBe(100);
    const [b, c] = [node(result, 'b').output!.meta!, node(result, 'c').output!.meta!];
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(c.finishedAt));
    expect(Date.parse(c.startedAt)).toBeLessThan(Date.parse(b.finishedAt));
    expect(node(result, 'd').output!.summary.upstream).toEqual(['b', 'c']);
    expect(rec.calls.map((r) => r.nodeId).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(node(result, 'a').taskQueue).toBe(`${prefix}-workflows`);
  });

  test('when a node fails twice with maxAttempts 3, then it completes with attempts 3', async () => {
    const { prefix, jobId, activities } = setup('retry');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [
        cmd('flaky', [], { TEST_FAIL_TIMES: '2' }, { retry: { maxAttempts: 3, initialInterval: 100 } }),
        cmd('after', ['flaky']),
      ],
    });
    const result = await withWorkers(t, bundle, prefix, activities, async () =>
      (await startJobWorkflow(t.client, snapshot)).result(),
    );
    expect(result.status).toBe('completed');
    expect(node(result, 'flaky')).toMatchObject({ status: 'completed', attempts: 3, executions: 1 });
  });

  test('when a node fails after maxAttempts 2, then descendants are skipped, an independent branch completes, and recover completes the job without re-running completed nodes', async () => {
    const { prefix, jobId, rec, activities } = setup('recover');
    const snapshot = makeSnapshot(jobId, prefix, {
      tags: ['recover-test'],
      recoveryWindow: '1h',
      nodes: [
        cmd('root'),
        cmd('flaky', ['root'], { TEST_FAIL_TIMES: '2' }, { retry: { maxAttempts: 2, initialInterval: 100 } }),
        cmd('child', ['flaky']),
        cmd('grandchild', ['child']),
        cmd('indep', ['root'], { TEST_SLEEP_MS: '300' }),
      ],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      const failed = await waitFor(
        async () => {
          const p = await h.query(progressQuery);
          return p.status === 'failed' && p;
        },
        { what: 'job failed' },
      );
      expect(failed.recoverable).toBe(true);
      expect(failed.recoverableUntil).toBeDefined();
      expect(node(failed, 'flaky')).toMatchObject({ status: 'failed', attempts: 2 });
      expect(node(failed, 'flaky').error?.message).toContain('planned failure 2 of 2');
      expect(node(failed, 'child').status).toBe('skipped');
      expect(node(failed, 'grandchild').status).toBe('skipped');
      expect(node(failed, 'indep').status).toBe('completed');
      expect(failed.counts).toMatchObject({ failed: 1, skipped: 2, completed: 2 });

      // Visibility: the failed, recoverable job is found by a search-attribute query.
      const found = await waitFor(
        async () => {
          const ids: string[] = [];
          for await (const wf of t.client.workflow.list({
            query: `JobStatus="failed" AND JobRecoverable=true AND JobTags="recover-test"`,
          }))
            ids.push(wf.workflowId);
          return ids.includes(jobId) && ids;
        },
        { what: 'visibility query finds the job' },
      );
      expect(found).toContain(jobId);

      // Illegal updates are rejected with a reason; the job stays failed and recoverable.
      await expect(h.executeUpdate(resumeUpdate)).rejects.toThrow(WorkflowUpdateFailedError);
      const reason = await h
        .executeUpdate(resumeUpdate)
        .catch((e: WorkflowUpdateFailedError) => String(e.cause?.message));
      expect(reason).toMatch(/not paused/);
      const unknown = await upd(h, recoverUpdate, [{ fromNode: 'nope' }]).catch((e: WorkflowUpdateFailedError) =>
        String(e.cause?.message),
      );
      expect(unknown).toMatch(/unknown node "nope"/);
      const pause = await upd(h, pauseUpdate, [{}]).catch((e: WorkflowUpdateFailedError) => String(e.cause?.message));
      expect(pause).toMatch(/only a running job can be paused/);
      const bad = await upd(h, pauseUpdate, [{ mode: 'sideways' } as never]).catch((e: WorkflowUpdateFailedError) =>
        String(e.cause?.message),
      );
      expect(bad).toMatch(/invalid input/);

      const r = await upd(h, recoverUpdate, [{}]);
      expect(r.status).toBe('running');
      const done = await h.result();
      expect(done.status).toBe('completed');
      expect(done.recoveryAttempts).toBe(1);
      expect(done.recoveries).toHaveLength(1);
      expect(done.recoveries[0]!.nodes.sort()).toEqual(['child', 'flaky', 'grandchild']);
      expect(node(done, 'flaky')).toMatchObject({ status: 'completed', executions: 2 });
      expect(node(done, 'child').output!.summary.upstream).toEqual(['flaky']);
      // Completed nodes were not executed again.
      expect(rec.callsOf('root')).toHaveLength(1);
      expect(rec.callsOf('indep')).toHaveLength(1);
      expect(rec.callsOf('child')).toHaveLength(1);
      expect(rec.callsOf('flaky')).toHaveLength(3);

      // After completion, updates are rejected (the workflow is closed).
      await expect(upd(h, recoverUpdate, [{}])).rejects.toThrow();
    });
  });

  test('when a node fails and recoveryWindow is 0, then the workflow ends failed at once', async () => {
    const { prefix, jobId, activities } = setup('nowindow');
    const snapshot = makeSnapshot(jobId, prefix, {
      recoveryWindow: 0,
      nodes: [cmd('bad', [], { TEST_FAIL_TIMES: '5' }, { retry: { maxAttempts: 1 } }), cmd('after', ['bad'])],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      const err = await h.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
      expect((err as WorkflowFailedError).cause?.message).toMatch(/^job failed: node bad failed/);
      const p = await h.query(progressQuery);
      expect(p).toMatchObject({ status: 'failed', recoverable: false });
      expect(node(p, 'after').status).toBe('skipped');
    });
  });

  test('when failFast and a node fails, then running nodes are cancelled and the rest skipped', async () => {
    const { prefix, jobId, activities } = setup('failfast');
    const snapshot = makeSnapshot(jobId, prefix, {
      failurePolicy: 'failFast',
      recoveryWindow: 0,
      nodes: [
        cmd('root'),
        cmd('bad', ['root'], { TEST_SLEEP_MS: '200', TEST_FAIL_TIMES: '5' }, { retry: { maxAttempts: 1 } }),
        cmd('long', ['root'], { TEST_SLEEP_MS: '30000' }),
        cmd('after', ['long']),
      ],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await expect(h.result()).rejects.toThrow(WorkflowFailedError);
      const p = await h.query(progressQuery);
      expect(node(p, 'bad').status).toBe('failed');
      expect(node(p, 'long').status).toBe('cancelled');
      expect(node(p, 'after').status).toBe('skipped');
    });
  });

  test('when paused (drain) via updates while a node runs, then no new node starts until resume', async () => {
    const { prefix, jobId, rec, activities } = setup('pause-upd');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [cmd('first', [], { TEST_SLEEP_MS: '1000' }), cmd('second', ['first'])],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await waitFor(() => rec.callsOf('first').length > 0, { what: 'first running' });
      const r = await upd(h, pauseUpdate, [{ mode: 'drain' }]);
      expect(r.status).toBe('paused');
      expect((await h.query(progressQuery)).status).toBe('paused');
      const again = await upd(h, pauseUpdate, [{}]).catch((e: WorkflowUpdateFailedError) => String(e.cause?.message));
      expect(again).toMatch(/already paused/);
      await waitFor(async () => node(await h.query(progressQuery), 'first').status === 'completed', {
        what: 'first completed',
      });
      const p = await h.query(progressQuery);
      expect(p.status).toBe('paused');
      expect(node(p, 'second').status).toBe('pending');
      expect((await h.executeUpdate(resumeUpdate)).status).toBe('running');
      const done = await h.result();
      expect(done.status).toBe('completed');
      expect(await scheduledRelativeToResume(h, 'second')).toBe('after');
      expect(rec.callsOf('second')).toHaveLength(1);
    });
  });

  test('when paused and resumed with the real temporal CLI (signals), then no new node starts until resume; bad signals are ignored', async () => {
    const { prefix, jobId, rec, activities } = setup('pause-cli');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [cmd('first', [], { TEST_SLEEP_MS: '1000' }), cmd('second', ['first'])],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await waitFor(() => rec.callsOf('first').length > 0, { what: 'first running' });
      // Illegal / malformed signals: logged and ignored.
      await h.signal(resumeSignal);
      await h.signal(recoverSignal, { fromNode: 'nope' });
      await h.signal(pauseSignal, { mode: 'sideways' } as never);
      await cli('workflow', 'signal', '--workflow-id', jobId, '--name', 'pause', '--input', '"not an object"');
      expect((await h.query(progressQuery)).status).toBe('running');

      await cli('workflow', 'signal', '--workflow-id', jobId, '--name', 'pause');
      await waitFor(async () => (await h.query(progressQuery)).status === 'paused', { what: 'paused' });
      await waitFor(async () => node(await h.query(progressQuery), 'first').status === 'completed', {
        what: 'first completed',
      });
      await cli('workflow', 'signal', '--workflow-id', jobId, '--name', 'resume');
      const done = await h.result();
      expect(done.status).toBe('completed');
      expect(await scheduledRelativeToResume(h, 'second')).toBe('after');
    });
  });

  test('when paused with mode now during a checkpointing node, then it stops within its heartbeat interval and resumes from its checkpoint', async () => {
    const { prefix, jobId, rec, activities } = setup('pause-now');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [
        cmd('train', [], { TEST_EPOCHS: '40', TEST_EPOCH_MS: '100' }, { timeout: { heartbeat: '1s' } }),
        cmd('after', ['train']),
      ],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await waitFor(() => (rec.callsOf('train')[0]?.epoch ?? 0) >= 5, { what: 'a few epochs' });
      const pausedAt = Date.now();
      const r = await upd(h, pauseUpdate, [{ mode: 'now' }]);
      expect(r.status).toBe('paused');
      const p = await waitFor(
        async () => {
          const q = await h.query(progressQuery);
          return node(q, 'train').status === 'paused' && q;
        },
        { what: 'train paused' },
      );
      const first = rec.callsOf('train')[0]!;
      expect(first.outcome).toBe('cancelled');
      // Heartbeat timeout 1s: cancellation reaches the step with its next heartbeat (throttled to 0.8 s).
      expect(first.endedAt! - pausedAt).toBeLessThan(1000 + 1500);
      expect(p.status).toBe('paused');
      expect(p.pauseMode).toBe('now');
      const stoppedAt = first.epoch!;
      expect(stoppedAt).toBeLessThan(40);

      await h.executeUpdate(resumeUpdate);
      const done = await h.result();
      expect(done.status).toBe('completed');
      const second = rec.callsOf('train')[1]!;
      expect(second.checkpoint?.size).toBeGreaterThan(0);
      expect(second.fromEpoch).toBeGreaterThan(0);
      expect(second.fromEpoch).toBeLessThanOrEqual(stoppedAt);
      expect(node(done, 'train')).toMatchObject({ status: 'completed', executions: 2 });
      expect(node(done, 'train').output!.summary.fromEpoch).toBe(second.fromEpoch);
    });
  });

  test('when the job is cancelled with the real temporal CLI during a long node, then its subprocess is gone and the job is cancelled', async () => {
    const { prefix, jobId, rec, activities } = setup('cancel');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [cmd('long', [], { TEST_SPAWN: '1' }, { timeout: { heartbeat: '1s' } }), cmd('after', ['long'])],
    });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      const pid = await waitFor(() => rec.callsOf('long')[0]?.pid, { what: 'subprocess started' });
      expect(isAlive(pid)).toBe(true);
      await cli('workflow', 'cancel', '--workflow-id', jobId);
      const err = await h.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      // WAIT_CANCELLATION_COMPLETED: the workflow closed only after the step stopped its subprocess.
      const rec0 = rec.callsOf('long')[0]!;
      expect(rec0.outcome).toBe('cancelled');
      expect(isAlive(pid)).toBe(false);
      const desc = await h.describe();
      expect(desc.status.name).toBe('CANCELLED');
      expect(rec0.endedAt!).toBeLessThanOrEqual(desc.closeTime!.getTime() + 50);
      const p = await h.query(progressQuery);
      expect(p.status).toBe('cancelled');
      expect(node(p, 'long').status).toBe('cancelled');
      expect(node(p, 'after').status).toBe('cancelled');
      expect(desc.searchAttributes).toBeDefined();
      expect(desc.typedSearchAttributes.get(SA.JobStatus)).toBe('cancelled');
    });
  });

  test('when the spec is invalid, then the workflow fails non-retryably listing the errors', async () => {
    const { prefix, jobId, activities } = setup('invalid');
    const snapshot = makeSnapshot(jobId, prefix, { nodes: [cmd('a', ['b']), cmd('b', ['a'])] });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      const err = await h.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('TrainyardInvalidSpec');
      expect(cause.nonRetryable).toBe(true);
      expect(cause.message).toMatch(/invalid job spec/);
    });
  });

  test('when a job completes, then its search attributes say so', async () => {
    const { prefix, jobId, activities } = setup('sa');
    const snapshot = makeSnapshot(jobId, prefix, { tags: ['sa-test', 'x'], priority: 2, nodes: [cmd('only')] });
    await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await h.result();
      const desc = await h.describe();
      expect(desc.typedSearchAttributes.get(SA.JobStatus)).toBe('completed');
      expect(desc.typedSearchAttributes.get(SA.JobTypes)).toEqual(['command']);
      expect(desc.typedSearchAttributes.get(SA.JobOwner)).toBe('tester');
      expect(desc.typedSearchAttributes.get(SA.JobTags)).toEqual(['sa-test', 'x']);
      expect(desc.typedSearchAttributes.get(SA.JobPriority)).toBe(2);
      expect(desc.typedSearchAttributes.get(SA.JobRecoverable)).toBe(false);
      expect(desc.memo).toMatchObject({ name: jobId, owner: 'tester', specHash: 'test' });
    });
  });
});

/**
 * executeUpdate with an argument. The optional-argument definitions in messages.ts
 * (`[PauseInput?]`) don't match the client's `args: [any, ...any[]]` overload, so call by name.
 */
function upd<A>(h: WorkflowHandle, def: UpdateDefinition<ControlResult, [A?]>, args: [A]): Promise<ControlResult> {
  return h.executeUpdate<ControlResult, [A]>(def.name, { args });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
