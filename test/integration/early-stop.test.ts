// Early stopping against a hand calculation, with the worker running the job's workflow SIGKILLed
// mid-sweep. Four trials of one sweep report `acc` = base + 0.01·epoch every epoch (bases 0.70,
// 0.55, 0.40, 0.80); from epoch 3 on, a running trial worse than the median of the others at the
// same epoch is stopped. At any epoch e that all four reached:
//   t1: 0.55+0.01e vs median(0.70, 0.40, 0.80)+0.01e = 0.70+0.01e → worse → stopped
//   t2: 0.40+0.01e vs median(0.70, 0.55, 0.80)+0.01e = 0.70+0.01e → worse → stopped
//   t0: 0.70+0.01e vs median(0.55, 0.40, 0.80)+0.01e = 0.55+0.01e → kept
//   t3: 0.80+0.01e vs median(0.70, 0.55, 0.40)+0.01e = 0.55+0.01e → kept
// and with only three of them at an epoch, neither t0 nor t3 is ever below the other two's median
// (nor t1 strictly below it with t0 and t2), so the outcome does not depend on report order.
// The trials run on the GPU queue in this process; the workflow Worker is a separate process
// (workers/cpu.ts), killed with SIGKILL once the trials are under way (epoch 1 of 10, 4 s each)
// and started again, so the stops are decided by the new worker from the replayed signals.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { JobSpecInput } from '../../src/domain/job-spec';
import { Leaderboard } from '../../src/domain/select';
import { expandSweeps } from '../../src/domain/sweeps';
import { queueNames } from '../../src/domain/task-queues';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;
let bundleFile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
  bundleFile = path.join(t.tmpDir, 'workflow-bundle.js');
  fs.writeFileSync(bundleFile, bundle.code);
}, 120_000);
afterAll(async () => {
  for (const c of children)
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  await t?.teardown();
});

/** workers/cpu.ts as its own process (group) on the prefix: the job workflows and the CPU steps (select). */
async function startWorkflowWorker(prefix: string): Promise<ChildProcess> {
  const proc = spawn('npx', ['tsx', path.join(ROOT, 'workers/cpu.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: t.server.address,
      TRAINYARD_HOME: t.tmpDir,
      TRAINYARD_QUEUE_PREFIX: prefix,
      TRAINYARD_WORKFLOW_BUNDLE: bundleFile,
      TRAINYARD_SHUTDOWN_GRACE: '1s',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(proc);
  const out: string[] = [];
  proc.stdout!.on('data', (b: Buffer) => out.push(b.toString()));
  proc.stderr!.on('data', (b: Buffer) => out.push(b.toString()));
  await waitFor(
    () => {
      if (proc.exitCode !== null) throw new Error(`workflow worker exited ${proc.exitCode}: ${out.join('')}`);
      return out.join('').includes(`queue ${prefix}-workflows`);
    },
    { timeoutMs: 90_000, what: 'workflow worker start-up' },
  );
  return proc;
}

test('when a sweep with earlyStop (median, afterEpochs 3) runs and its workflow worker is SIGKILLed, then exactly the trials the hand calculation names are stopped and select ignores them', async () => {
  const prefix = uniqueId('estop');
  const rec = new Recorder();
  const { body, errors } = expandSweeps({
    name: 'early-stop',
    nodes: [
      {
        ...cmd('fit', [], { TEST_EPOCHS: '10', TEST_EPOCH_MS: '4000', TEST_CURVE_METRIC: 'acc' }),
        resources: { gpus: 1 },
        timeout: { heartbeat: '30s' },
        matrix: { base: [0.7, 0.55, 0.4, 0.8] },
        earlyStop: { metric: 'acc', mode: 'max', afterEpochs: 3 },
      },
      { id: 'best', type: 'select', dependsOn: ['fit'], config: { metric: 'acc', mode: 'max' } },
    ],
  });
  expect(errors).toEqual([]);
  const snapshot = makeSnapshot(`${prefix}-job`, prefix, body as JobSpecInput);
  // The trials' GPU queue, in this process (it survives the workflow worker's death).
  const gpu = await Worker.create({
    connection: t.nativeConnection,
    namespace: t.server.namespace,
    taskQueue: queueNames(prefix).gpuTrain('default'),
    activities: testActivities(rec),
    maxHeartbeatThrottleInterval: '200ms',
    shutdownGraceTime: '1s',
  });
  const result = await gpu.runUntil(async () => {
    const first = await startWorkflowWorker(prefix);
    const handle = await startJobWorkflow(t.client, snapshot);
    // Every trial is under way (each has reported an epoch): kill the worker running the workflow.
    await waitFor(() => rec.calls.length === 4 && rec.calls.every((c) => (c.epoch ?? 0) >= 1), {
      timeoutMs: 60_000,
      what: 'four trials at epoch 1',
    });
    process.kill(-first.pid!, 'SIGKILL');
    await startWorkflowWorker(prefix);
    return handle.result();
  });
  // The metrics reached the workflow as signals (durable in its history).
  const history = await t.client.workflow.getHandle(snapshot.jobId).fetchHistory();
  const signals = (history.events ?? []).filter(
    (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'trialMetric',
  );
  expect(signals.length).toBeGreaterThanOrEqual(4 * 3);
  // The stops were decided after the kill: a workflow task timed out (the dead worker's) before the first cancel.
  const types = (history.events ?? []).map((e) => e.eventType);
  const timedOut = types.indexOf(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  const firstCancel = types.indexOf(temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED);
  expect(timedOut).toBeGreaterThan(0);
  expect(firstCancel).toBeGreaterThan(timedOut);

  expect(result.status).toBe('completed');
  const status = (id: string) => result.nodes.find((n) => n.id === id)!;
  expect(['fit-t0', 'fit-t1', 'fit-t2', 'fit-t3'].map((id) => [id, status(id).status])).toEqual([
    ['fit-t0', 'completed'],
    ['fit-t1', 'stopped'],
    ['fit-t2', 'stopped'],
    ['fit-t3', 'completed'],
  ]);
  for (const id of ['fit-t1', 'fit-t2']) {
    expect(status(id).error?.type).toBe('TrainyardStoppedEarly');
    expect(status(id).error?.message).toMatch(
      /^stopped early at epoch \d: acc [\d.]+ is worse \(max\) than the median/,
    );
    // Stopped while running: it never reached its last epoch, and its execution ended (GPU given back).
    const calls = rec.callsOf(id);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.outcome).toBe('cancelled');
    expect(calls[0]!.epoch!).toBeLessThan(10);
    expect(calls[0]!.epoch!).toBeGreaterThanOrEqual(3);
  }
  // Each trial ran once: the worker's death restarted nothing.
  expect(rec.calls).toHaveLength(4);
  const board = Leaderboard.parse(status('best').output!.summary.leaderboard);
  expect(board.winner).toBe('fit-t3');
  expect(board.rows.map((r) => [r.nodeId, r.rank, r.status])).toEqual([
    ['fit-t3', 1, 'completed'],
    ['fit-t0', 2, 'completed'],
    ['fit-t1', undefined, 'stopped'],
    ['fit-t2', undefined, 'stopped'],
  ]);
}, 300_000);
