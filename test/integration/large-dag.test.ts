// A 5,000-node DAG of no-op nodes completes across several continue-as-new runs.
// Slow-ish (tens of seconds on 2 cores): `npx jest test/integration/large-dag.test.ts`.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, type TestTemporal } from '../helpers/temporal';

const LAYERS = 50;
const WIDTH = 100;
let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

/** 50 layers of 100 nodes; each node depends on two nodes of the layer above. */
function layeredDag(): NodeSpecInput[] {
  const id = (l: number, k: number) => `n${l}-${k}`;
  const nodes: NodeSpecInput[] = [];
  for (let l = 0; l < LAYERS; l++) {
    for (let k = 0; k < WIDTH; k++)
      nodes.push(
        cmd(id(l, k), l === 0 ? [] : [id(l - 1, k), id(l - 1, (k + 1) % WIDTH)], {}, { retry: { maxAttempts: 2 } }),
      );
  }
  return nodes;
}

test('when a 5,000-node DAG runs, then it completes across several continue-as-new runs with a small carried state', async () => {
  const prefix = uniqueId('large');
  const jobId = `${prefix}-job`;
  const rec = new Recorder();
  const snapshot = makeSnapshot(jobId, prefix, { parallelism: 200, nodes: layeredDag() });
  const started = Date.now();
  const result = await withWorkers(t, bundle, prefix, testActivities(rec), async () =>
    (await startJobWorkflow(t.client, snapshot)).result(),
  );
  const elapsedMs = Date.now() - started;

  expect(result.status).toBe('completed');
  expect(result.counts.completed).toBe(LAYERS * WIDTH);
  expect(result.runs).toBeGreaterThanOrEqual(2);
  // Every node ran exactly once, whatever the run boundaries.
  expect(rec.calls).toHaveLength(LAYERS * WIDTH);
  expect(new Set(rec.calls.map((c) => c.nodeId)).size).toBe(LAYERS * WIDTH);

  const runs: string[] = [];
  for await (const wf of t.client.workflow.list({ query: `WorkflowId="${jobId}"` })) runs.push(wf.runId);
  expect(runs.length).toBe(result.runs);

  // The memo (job folder, spec hash) carries over to every continue-as-new run.
  const desc = await t.client.workflow.getHandle(jobId).describe();
  expect(desc.memo).toMatchObject({ jobDir: `runs/${jobId}`, specHash: snapshot.specHash });

  // The last run's input (snapshot + carried node states) stays well under the 2 MiB payload limit.
  const history = await t.client.workflow.getHandle(jobId).fetchHistory();
  const inputBytes =
    history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data?.length ?? 0;
  expect(inputBytes).toBeGreaterThan(0);
  expect(inputBytes).toBeLessThan(1.5 * 1024 * 1024);
  console.log(
    `5,000-node DAG: ${elapsedMs} ms, ${result.runs} runs, last run input ${(inputBytes / 1024).toFixed(0)} KiB, result trimmed: ${result.trimmed ?? 'no'}`,
  );
}, 600_000);
