// Sweeps against a real dev server: a matrix expanded at submit, maxParallel honoured by the job
// workflow, trials in the node views, a fan-in node over every trial.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { JobSpecInput } from '../../src/domain/job-spec';
import { expandSweeps } from '../../src/domain/sweeps';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

/** Most executions of the given nodes that overlapped in time. */
function peakOverlap(rec: Recorder, ids: (id: string) => boolean): number {
  const edges = rec.calls
    .filter((c) => ids(c.nodeId))
    .flatMap((c) => [
      [c.startedAt, 1],
      [c.endedAt ?? Infinity, -1],
    ])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d!));
  return peak;
}

test('when a 6-trial matrix with maxParallel 2 runs, then at most 2 trials run at once and the fan-in sees all 6', async () => {
  const prefix = uniqueId('sweep');
  const rec = new Recorder();
  const { body, errors } = expandSweeps({
    name: 'sweep',
    parallelism: 10,
    nodes: [
      cmd('root'),
      {
        ...cmd('fit', ['root'], { TEST_SLEEP_MS: '300' }),
        matrix: { seed: [1, 2, 3], width: [8, 16] },
        maxParallel: 2,
      },
      cmd('pick', ['fit']),
    ],
  });
  expect(errors).toEqual([]);
  const snapshot = makeSnapshot(`${prefix}-job`, prefix, body as JobSpecInput);
  const result = await withWorkers(t, bundle, prefix, testActivities(rec), async () =>
    (await startJobWorkflow(t.client, snapshot)).result(),
  );
  expect(result.status).toBe('completed');
  const trials = result.nodes.filter((n) => n.trial);
  expect(trials.map((n) => [n.id, n.trial])).toEqual([
    ['fit-t0', { group: 'fit', index: 0, params: { seed: 1, width: 8 } }],
    ['fit-t1', { group: 'fit', index: 1, params: { seed: 1, width: 16 } }],
    ['fit-t2', { group: 'fit', index: 2, params: { seed: 2, width: 8 } }],
    ['fit-t3', { group: 'fit', index: 3, params: { seed: 2, width: 16 } }],
    ['fit-t4', { group: 'fit', index: 4, params: { seed: 3, width: 8 } }],
    ['fit-t5', { group: 'fit', index: 5, params: { seed: 3, width: 16 } }],
  ]);
  expect(peakOverlap(rec, (id) => id.startsWith('fit-t'))).toBe(2);
  const pick = result.nodes.find((n) => n.id === 'pick')!;
  expect(pick.output?.summary.upstream).toEqual(trials.map((n) => n.id));
});
