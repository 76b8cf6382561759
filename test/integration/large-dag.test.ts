// A 5,000-node DAG of no-op nodes completes across several continue-as-new runs (snapshot inline),
// and a 20,000-node one with its snapshot passed by reference (stored in a real local object store,
// loaded by hash each run). Slow (minutes on 2 cores): `npx jest test/integration/large-dag.test.ts`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { JobSpec, type NodeSpecInput } from '../../src/domain/job-spec';
import { SNAPSHOT_INLINE_MAX_BYTES, snapshotKey } from '../../src/domain/snapshot';
import { startJobWorkflow } from '../../src/job-service/submission';
import { createSnapshotActivities } from '../../src/snapshots/snapshot-loader';
import { LocalObjectStore } from '../../src/storage/local-object-store';
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

/** `layers` layers of 100 nodes; each node depends on two nodes of the layer above. */
function layeredDag(layers = LAYERS): NodeSpecInput[] {
  const id = (l: number, k: number) => `n${l}-${k}`;
  const nodes: NodeSpecInput[] = [];
  for (let l = 0; l < layers; l++) {
    for (let k = 0; k < WIDTH; k++)
      nodes.push(
        // A 30 s heartbeat timeout (the harness default is 2 s): these no-op steps never heartbeat,
        // so a worker whose main thread is busy for 2 s (a run's plan loaded, GC of 20,000 node
        // states) would time one out and run it twice — CI saw 24 of 20,000 run again that way.
        cmd(
          id(l, k),
          l === 0 ? [] : [id(l - 1, k), id(l - 1, (k + 1) % WIDTH)],
          {},
          {
            retry: { maxAttempts: 2 },
            timeout: { heartbeat: '30s' },
          },
        ),
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

const BIG_LAYERS = 200;
/** Temporal's history warning level (events); the run must continue as new well before it. */
const HISTORY_EVENTS_WARN = 10_240;

test('when a 20,000-node DAG is started by reference, then it completes with small inputs and no run over 10,240 events', async () => {
  const prefix = uniqueId('large-ref');
  const jobId = `${prefix}-job`;
  const root = mkdtempSync(path.join(os.tmpdir(), 'trainyard-large-ref-'));
  const objects = new LocalObjectStore(root);
  try {
    const rec = new Recorder();
    const snapshot = makeSnapshot(jobId, prefix, { parallelism: 200, nodes: layeredDag(BIG_LAYERS) });
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(SNAPSHOT_INLINE_MAX_BYTES);
    const started = Date.now();
    const result = await withWorkers(
      t,
      bundle,
      prefix,
      testActivities(rec),
      async () =>
        (
          await startJobWorkflow(t.client, snapshot, { snapshots: objects, spec: JobSpec.parse(snapshot.spec) })
        ).result(),
      { workflowActivities: createSnapshotActivities({ objects }) },
    );
    const elapsedMs = Date.now() - started;
    const total = BIG_LAYERS * WIDTH;
    expect(result.status).toBe('completed');
    expect(result.counts.completed).toBe(total);
    expect(rec.calls).toHaveLength(total);
    expect(new Set(rec.calls.map((c) => c.nodeId)).size).toBe(total);

    // The snapshot is in the store under its hash; every run's input names it instead of holding it.
    const stored = await objects.list('_snapshots/');
    expect(stored.objects).toHaveLength(1);
    const ref = stored.objects[0]!;
    expect(ref.key).toBe(snapshotKey(ref.sha256));

    const runs: { runId: string; historyLength: number; historySize?: number }[] = [];
    for await (const wf of t.client.workflow.list({ query: `WorkflowId="${jobId}"` }))
      runs.push({ runId: wf.runId, historyLength: wf.historyLength, historySize: wf.historySize });
    expect(runs.length).toBe(result.runs);
    expect(result.runs).toBeGreaterThanOrEqual(3);
    const maxEvents = Math.max(...runs.map((r) => r.historyLength));
    expect(maxEvents).toBeLessThan(HISTORY_EVENTS_WARN);

    const inputs: number[] = [];
    for (const r of runs) {
      const h = await t.client.workflow.getHandle(jobId, r.runId).fetchHistory();
      const payload = h.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const input = JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as Record<string, unknown>;
      expect(input.snapshot).toBeUndefined();
      expect(input.snapshotRef).toMatchObject({ sha256: ref.sha256, key: ref.key, size: ref.size });
      inputs.push(payload?.data?.length ?? 0);
    }
    // The first run's input is the header and the ref; a continued run's adds the carried node states
    // (as columns) and the outputs that fit the carry budget, under the 2 MiB payload limit.
    expect(Math.min(...inputs)).toBeLessThan(8 * 1024);
    expect(Math.max(...inputs)).toBeLessThan(1.5 * 1024 * 1024);
    console.log(
      `20,000-node DAG by reference: ${elapsedMs} ms, ${result.runs} runs, max ${maxEvents} events/run, ` +
        `max history ${Math.max(...runs.map((r) => r.historySize ?? 0)) >> 10} KiB/run, ` +
        `inputs ${Math.min(...inputs)}–${Math.max(...inputs)} bytes, snapshot ${ref.size >> 10} KiB stored`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 600_000);
