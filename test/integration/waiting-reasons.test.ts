// Why a node is waiting, read from a real dev server (src/job-service/status.ts): GPU steps that no
// worker takes are queued behind the other tasks in their pool's queue (DescribeTaskQueue's
// approximate backlog), and the node below each waits for its upstream. And GET /v1/jobs/:id/nodes
// filtered by an in-flight status: the workflow calls every dispatched node `running`; the API tells
// queued (no worker took it), running (started) and retrying (waiting out its backoff) apart from the
// pending activity, and the filter, the total and the page tokens follow the statuses it shows.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { NodeStatus } from '../../src/domain/statuses';
import type { JobNodePage } from '../../src/http/contracts';
import { JobStatusReads } from '../../src/job-service/status';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => {
  await t?.teardown();
});

test('when three jobs put a GPU step on a pool no worker serves, then the job view says the last is queued behind 2 tasks in pool default, and its next node waits for upstream', async () => {
  const prefix = uniqueId('waiting');
  const reads = new JobStatusReads(t.client, {
    queuePrefix: prefix,
    pools: [],
    defaults: { stepTimeoutMs: 60_000, heartbeatTimeoutMs: 60_000 },
  });
  await withWorkers(t, bundle, prefix, testActivities(new Recorder()), async () => {
    const handles = [];
    for (const i of [1, 2, 3]) {
      handles.push(
        await startJobWorkflow(
          t.client,
          makeSnapshot(`${prefix}-${i}`, prefix, {
            nodes: [
              { id: 'gpu', type: 'command', config: { command: ['node', '-e', '0'] }, resources: { gpus: 1 } },
              { id: 'after', type: 'command', config: { command: ['node', '-e', '0'] }, dependsOn: ['gpu'] },
            ],
          }),
        ),
      );
      // One at a time, so the backlog order is the submission order.
      await waitFor(async () => (await reads.getJobStatus(`${prefix}-${i}`)).nodes[0]?.status === 'queued', {
        what: `job ${i}'s GPU step to be queued`,
      });
    }
    const view = await waitFor(
      async () => {
        const v = await reads.getJobStatus(`${prefix}-3`);
        return v.nodes[0]?.waiting?.ahead === 2 ? v : undefined;
      },
      { what: 'the backlog of the GPU queue to count 3', timeoutMs: 30_000 },
    );
    expect(view.nodes[0]!.waiting).toEqual({
      reason: 'queued',
      message: 'queued behind 2 tasks in pool default',
      taskQueue: `${prefix}-gpu-train-default`,
      pool: 'default',
      ahead: 2,
    });
    expect(view.nodes[1]!.waiting).toEqual({
      reason: 'upstream',
      message: 'waiting for upstream: gpu',
      nodes: ['gpu'],
    });
    for (const h of handles) await h.terminate('test over');
  });
}, 120_000);

const quick = { command: ['node', '-e', '0'] };

test('when a job has queued, running, retrying, completed and pending nodes, then each in-flight status filters to its own nodes, with totals and pages that follow the API status', async () => {
  const prefix = uniqueId('inflight');
  const jobId = `${prefix}-job`;
  const reads = new JobStatusReads(t.client, {
    queuePrefix: prefix,
    pools: [],
    defaults: { stepTimeoutMs: 60_000, heartbeatTimeoutMs: 60_000 },
  });
  await withWorkers(t, bundle, prefix, testActivities(new Recorder()), async () => {
    const handle = await startJobWorkflow(
      t.client,
      makeSnapshot(jobId, prefix, {
        parallelism: 10,
        nodes: [
          { id: 'start', type: 'command', config: quick },
          // No worker serves the GPU queue here: scheduled, never started.
          { id: 'gpu1', type: 'command', config: quick, resources: { gpus: 1 }, dependsOn: ['start'] },
          { id: 'done', type: 'command', config: quick, dependsOn: ['start'] },
          { id: 'gpu2', type: 'command', config: quick, resources: { gpus: 1 }, dependsOn: ['start'] },
          {
            id: 'slow',
            type: 'command',
            config: { ...quick, env: { TEST_SLEEP_MS: '120000' } },
            dependsOn: ['start'],
          },
          // Fails its first attempt, then waits out a 10 min backoff.
          {
            id: 'flaky',
            type: 'command',
            config: { ...quick, env: { TEST_FAIL_TIMES: '1' } },
            retry: { maxAttempts: 3, initialInterval: 600_000 },
            dependsOn: ['start'],
          },
          { id: 'after', type: 'command', config: quick, dependsOn: ['slow'] },
        ],
      }),
    );
    const list = (status: NodeStatus[], pageSize = 100, pageToken?: string): Promise<JobNodePage> =>
      reads.listJobNodes(jobId, {}, { pageSize, status, ...(pageToken && { pageToken }) });
    const ids = (p: JobNodePage) => p.nodes.map((n) => `${n.id}:${n.status}`);

    await waitFor(
      async () => {
        const v = await reads.getJobStatus(jobId);
        const by = Object.fromEntries(v.nodes.map((n) => [n.id, n.status]));
        return by.gpu1 === 'queued' && by.gpu2 === 'queued' && by.slow === 'running' && by.flaky === 'retrying';
      },
      { what: 'queued, running and retrying nodes in the job view', timeoutMs: 60_000 },
    );

    expect(await list(['queued'])).toMatchObject({ total: 2, source: 'query' });
    expect(ids(await list(['queued']))).toEqual(['gpu1:queued', 'gpu2:queued']);
    const running = await list(['running']);
    expect({ ids: ids(running), total: running.total }).toEqual({ ids: ['slow:running'], total: 1 });
    const retrying = await list(['retrying']);
    expect({ ids: ids(retrying), total: retrying.total }).toEqual({ ids: ['flaky:retrying'], total: 1 });
    expect(retrying.nodes[0]).toMatchObject({ attempts: 2, lastFailure: expect.stringMatching(/planned failure/) });
    // Statuses the workflow knows as they are take the exact path.
    const pending = await list(['pending']);
    expect({ ids: ids(pending), total: pending.total }).toEqual({ ids: ['after:pending'], total: 1 });

    // A mixed filter, one workflow node per page: every matching node once, in spec order, and the
    // total counts what the API shows (a page may be empty but still carries the token on).
    const mixed = ['completed', 'queued'] as NodeStatus[];
    const pages: JobNodePage[] = [];
    let token: string | undefined;
    do {
      const p = await list(mixed, 1, token);
      pages.push(p);
      token = p.nextPageToken;
    } while (token && pages.length < 20);
    expect(pages.flatMap(ids)).toEqual(['start:completed', 'gpu1:queued', 'done:completed', 'gpu2:queued']);
    expect(pages.every((p) => p.total === 4 && p.nodes.length <= 1)).toBe(true);

    await handle.terminate('test over');
  });
}, 180_000);
