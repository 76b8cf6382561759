// Dynamic fan-out against a real dev server: a foreach over a list a step produced at run time,
// expanded by the job workflow into item nodes, bounded by maxParallel, judged by minSuccessRatio,
// across continue-as-new runs.
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import type { JobProgress } from '../../src/domain/progress';
import { progressQuery } from '../../src/domain/messages';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Continue-as-new is suggested every ~1,000 events, so a map spans several runs.
  ({ t, bundle } = await startWorkflowTestEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 1000 } }));
}, 120_000);
afterAll(async () => t?.teardown());

function mapJob(items: number, failEvery: number, ratio: number, maxParallel?: number, sleepMs = 0) {
  return {
    parallelism: 100,
    nodes: [
      cmd('shards', [], { TEST_ITEMS: String(items), TEST_ITEMS_FAIL_EVERY: String(failEvery) }),
      {
        ...cmd(
          'work',
          ['shards'],
          { TEST_FAIL_IF_ITEM: 'fail', TEST_SLEEP_MS: String(sleepMs) },
          { retry: { maxAttempts: 1 } },
        ),
        foreach: { node: 'shards', field: 'result.items', minSuccessRatio: ratio, ...(maxParallel && { maxParallel }) },
      },
      cmd('merge', ['work']),
    ],
  };
}

test('when a foreach over 1,000 items has 2% failures and minSuccessRatio 0.95, then the map completes and the node below it runs', async () => {
  const prefix = uniqueId('foreach');
  const rec = new Recorder();
  const snapshot = makeSnapshot(`${prefix}-job`, prefix, mapJob(1000, 50, 0.95));
  const result = await withWorkers(t, bundle, prefix, testActivities(rec), async () =>
    (await startJobWorkflow(t.client, snapshot)).result(),
  );
  expect(result.status).toBe('completed');
  // Every item ran exactly once (no retries: maxAttempts 1), across however many runs it took.
  const items = rec.calls.filter((c) => c.nodeId.startsWith('work-i'));
  expect(items).toHaveLength(1000);
  expect(new Set(items.map((c) => c.nodeId)).size).toBe(1000);
  expect(items.filter((c) => c.outcome === 'failed')).toHaveLength(20);
  expect(rec.callsOf('work')).toHaveLength(0); // the map node itself runs nothing
  expect(result.runs).toBeGreaterThanOrEqual(2); // the map stayed open across continue-as-new
  expect(result.counts.failed).toBe(20);
  expect(result.counts.completed).toBe(3 + 980);
  const work = result.nodes.find((n) => n.id === 'work');
  expect(work?.status).toBe('completed');
  expect(work?.output?.summary).toMatchObject({ items: 1000, completed: 980, failed: 20, minSuccessRatio: 0.95 });
  expect(work?.output?.summary.failedItems).toEqual(
    Array.from({ length: 20 }, (_, k) => `work-i${String(k * 50).padStart(3, '0')}`),
  );
  const merge = result.nodes.find((n) => n.id === 'merge');
  expect(merge?.status).toBe('completed');
  expect(merge?.output?.summary.upstream).toEqual(['work']);
  // Items are ordinary nodes in the view, each naming its map.
  const item = result.nodes.find((n) => n.id === 'work-i007');
  expect(item).toMatchObject({ status: 'completed', item: { map: 'work', index: 7 } });
}, 600_000);

test('when too few items complete for minSuccessRatio, then the map fails and the node below it is skipped; maxParallel bounds the items', async () => {
  const prefix = uniqueId('foreach-fail');
  const rec = new Recorder();
  const jobId = `${prefix}-job`;
  const snapshot = makeSnapshot(jobId, prefix, { ...mapJob(40, 10, 0.99, 3, 150), recoveryWindow: 0 });
  const [err, p] = await withWorkers(t, bundle, prefix, testActivities(rec), async () => {
    const handle = await startJobWorkflow(t.client, snapshot);
    const e = await handle.result().then(
      () => undefined,
      (x: unknown) => x,
    );
    return [e, await handle.query(progressQuery)] as [unknown, JobProgress];
  });
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const work = p.nodes.find((n) => n.id === 'work')!;
  expect(work.status).toBe('failed');
  expect(work.error?.type).toBe('TrainyardMinSuccessRatio');
  expect(work.error?.message).toMatch(/36 of 40 items completed; minSuccessRatio 0.99 needs 40/);
  expect(p.nodes.find((n) => n.id === 'merge')?.status).toBe('skipped');
  // At most 3 items at once.
  expect(rec.calls.filter((c) => c.nodeId.startsWith('work-i'))).toHaveLength(40);
  const edges = rec.calls
    .filter((c) => c.nodeId.startsWith('work-i'))
    .flatMap((c) => [
      [c.startedAt, 1],
      [c.endedAt!, -1],
    ])
    .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (now += d!));
  expect(peak).toBeLessThanOrEqual(3);
  expect(peak).toBeGreaterThan(1);
}, 120_000);
