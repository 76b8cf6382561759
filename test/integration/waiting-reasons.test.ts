// Why a node is waiting, read from a real dev server (src/job-service/status.ts): GPU steps that no
// worker takes are queued behind the other tasks in their pool's queue (DescribeTaskQueue's
// approximate backlog), and the node below each waits for its upstream.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
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
