// The status read model's reuse of reads (src/job-service/status.ts, on lru-cache) and the
// execution-status names taken from @temporalio/proto's enum.
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { JobView } from '../../src/http/contracts';
import { jobStatusFromWorkflow, workflowStatusName } from '../../src/job-service/lookup';
import { JobStatusReads, type StatusRead } from '../../src/job-service/status';
import { JobNotFoundError } from '../../src/sdk/errors';

/** A read of job `id` owned by alice, numbered so tests can tell reads apart. */
function fakeRead(n: number): StatusRead {
  const desc = { typedSearchAttributes: { get: () => 'alice' }, memo: {} } as unknown as WorkflowExecutionDescription;
  return { desc, view: { id: 'job-1', name: `read ${n}` } as unknown as JobView };
}

function setup(): { reads: JobStatusReads; read: jest.SpyInstance; release: () => void; fail: (e: Error) => void } {
  const reads = new JobStatusReads({} as Client, {
    queuePrefix: 't',
    pools: [],
    defaults: { stepTimeoutMs: 1, heartbeatTimeoutMs: 1 },
  });
  let n = 0;
  const waiting: { resolve: (r: StatusRead) => void; reject: (e: Error) => void }[] = [];
  const read = jest.spyOn(reads, 'readJobStatus').mockImplementation(() => {
    n += 1;
    const k = n;
    return new Promise<StatusRead>((resolve, reject) => waiting.push({ resolve: () => resolve(fakeRead(k)), reject }));
  });
  return {
    reads,
    read,
    release: () => waiting.splice(0).forEach((w) => w.resolve(fakeRead(0))),
    fail: (e) => waiting.splice(0).forEach((w) => w.reject(e)),
  };
}

afterEach(() => jest.restoreAllMocks());

test('concurrent readers share one read in flight, and its answer while it is within their window', async () => {
  const { reads, read, release } = setup();
  const all = Promise.all(Array.from({ length: 10 }, () => reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 })));
  release();
  const views = await all;
  expect(read).toHaveBeenCalledTimes(1);
  expect(new Set(views.map((v) => v.name))).toEqual(new Set(['read 1']));
  expect((await reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 })).name).toBe('read 1');
  expect(read).toHaveBeenCalledTimes(1);
});

test('a reader whose window the answer is past reads again; without a window every call reads', async () => {
  const { reads, read, release } = setup();
  const first = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  release();
  await first;
  const now = Date.now();
  jest.spyOn(Date, 'now').mockReturnValue(now + 1000);
  const second = reads.getJobStatus('job-1', {}, { maxAgeMs: 250 });
  await Promise.resolve();
  release();
  expect((await second).name).toBe('read 2');
  const third = reads.getJobStatus('job-1');
  release();
  expect((await third).name).toBe('read 3');
  expect(read).toHaveBeenCalledTimes(3);
});

test('invalidating a read in flight: those waiting still get it, the next reader reads afresh', async () => {
  const { reads, read, release } = setup();
  const waiting = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  reads.invalidate('job-1');
  const after = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  release();
  expect((await waiting).name).toBe('read 1');
  expect((await after).name).toBe('read 2');
  expect(read).toHaveBeenCalledTimes(2);
  // The invalidated read was not kept either.
  expect((await reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 })).name).toBe('read 2');
});

test('a failed read is shared while in flight only', async () => {
  const { reads, read, fail, release } = setup();
  const a = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  const b = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  fail(new Error('describe failed'));
  await expect(a).rejects.toThrow('describe failed');
  await expect(b).rejects.toThrow('describe failed');
  const c = reads.getJobStatus('job-1', {}, { maxAgeMs: 60_000 });
  await Promise.resolve();
  release();
  await expect(c).resolves.toMatchObject({ id: 'job-1' });
  expect(read).toHaveBeenCalledTimes(2);
});

test("a shared read is still another owner's 404", async () => {
  const { reads, release } = setup();
  const mine = reads.getJobStatus('job-1', { owner: 'alice' }, { maxAgeMs: 60_000 });
  const theirs = reads.getJobStatus('job-1', { owner: 'bob' }, { maxAgeMs: 60_000 });
  release();
  await expect(mine).resolves.toMatchObject({ id: 'job-1' });
  await expect(theirs).rejects.toBeInstanceOf(JobNotFoundError);
});

test('execution status names come from the proto enum, as describe names them', () => {
  const S = temporal.api.enums.v1.WorkflowExecutionStatus;
  expect(workflowStatusName(S.WORKFLOW_EXECUTION_STATUS_RUNNING)).toBe('RUNNING');
  expect(workflowStatusName(S.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)).toBe('TIMED_OUT');
  expect(workflowStatusName(S.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)).toBe('CONTINUED_AS_NEW');
  expect(workflowStatusName(undefined)).toBe('UNSPECIFIED');
  expect(workflowStatusName(999)).toBe('UNSPECIFIED');
  expect(jobStatusFromWorkflow(workflowStatusName(S.WORKFLOW_EXECUTION_STATUS_TERMINATED))).toBe('terminated');
});
