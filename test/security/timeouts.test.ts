// Attack: timeouts and retry policies the server refuses (issue 10, "wedge a job for good").
// `timeout.startToClose: 0` used to pass validation and then loop forever on
// BadScheduleActivityAttributes (status queued forever); `retry.initialInterval: 0, maxInterval: 0`
// passed and failed at run time with a stack trace. Property: no spec that validates yields activity
// options the server (or the SDK) refuses — sampled with fast-check, run against the real dev server.
import fc from 'fast-check';
import { temporal } from '@temporalio/proto';
import type { ActivityOptions } from '@temporalio/workflow';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { stepActivityOptions } from '../../src/domain/activity-options';
import { validateJob } from '../../src/domain/validate';
import { NodeSpec } from '../../src/domain/job-spec';
import {
  bundleWorkflows,
  installTestRuntime,
  startTestTemporal,
  uniqueId,
  waitFor,
  type TestTemporal,
} from '../helpers/temporal';

const EventType = temporal.api.enums.v1.EventType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const DAY = 86_400_000;

const duration = fc.oneof(
  fc.constantFrom<unknown>(
    0,
    0.3,
    0.5,
    1,
    2,
    999,
    1000,
    30 * DAY,
    30 * DAY + 1,
    -1,
    '0s',
    '0ms',
    '0.4ms',
    '1ms',
    '1s',
    '30d',
    '31d',
    '5m',
    '',
  ),
  fc.integer({ min: 0, max: 40 * DAY }),
  fc.double({ min: 0, max: 5, noNaN: true }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const retryArb = fc.record(
  {
    maxAttempts: maybe(fc.constantFrom<unknown>(0, 1, 2, 3, 100, 101, 1.5, -1)),
    initialInterval: maybe(duration),
    backoffCoefficient: maybe(fc.constantFrom<unknown>(0, 0.5, 0.99, 1, 1.5, 2, 10, 10.5)),
    maxInterval: maybe(duration),
    nonRetryableErrors: maybe(fc.constantFrom<unknown>([], ['X'], [''])),
  },
  { requiredKeys: [] },
);
const timeoutArb = fc.record(
  { startToClose: maybe(duration), heartbeat: maybe(duration), scheduleToStart: maybe(duration) },
  { requiredKeys: [] },
);
const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
const specArb = fc.record({ retry: retryArb, timeout: timeoutArb }).map(({ retry, timeout }) => ({
  name: 'timeouts',
  nodes: [{ id: 'n', type: 'command', config: { command: ['true'] }, retry: strip(retry), timeout: strip(timeout) }],
}));

const DEFAULTS = { stepTimeoutMs: 30 * 60_000, heartbeatTimeoutMs: 60_000 };
function optionsOf(node: NodeSpec, taskQueue: string, execution = 1): ActivityOptions {
  return stepActivityOptions(node, { taskQueue, execution, defaults: DEFAULTS, priority: 3, fairness: undefined });
}

describe('timeouts and retry policies (validation)', () => {
  it.each([
    ['timeout.startToClose: 0', { timeout: { startToClose: 0 } }, 'nodes[0].timeout.startToClose'],
    ['timeout.startToClose: "0s"', { timeout: { startToClose: '0s' } }, 'nodes[0].timeout.startToClose'],
    ['timeout.heartbeat: 0', { timeout: { heartbeat: 0 } }, 'nodes[0].timeout.heartbeat'],
    ['timeout.scheduleToStart: "0.2ms"', { timeout: { scheduleToStart: '0.2ms' } }, 'nodes[0].timeout.scheduleToStart'],
    ['retry.initialInterval: 0', { retry: { initialInterval: 0 } }, 'nodes[0].retry.initialInterval'],
    ['retry.maxInterval: 0', { retry: { maxInterval: 0 } }, 'nodes[0].retry.maxInterval'],
    [
      'retry.maxInterval below initialInterval',
      { retry: { initialInterval: '10s', maxInterval: '1s' } },
      'nodes[0].retry.maxInterval',
    ],
    ['retry.backoffCoefficient < 1', { retry: { backoffCoefficient: 0.5 } }, 'nodes[0].retry.backoffCoefficient'],
    ['retry.maxAttempts: 0', { retry: { maxAttempts: 0 } }, 'nodes[0].retry.maxAttempts'],
  ])('when a node has %s, then validation rejects it naming the field', (_name, patch, path) => {
    const r = validateJob({
      name: 'x',
      nodes: [{ id: 'n', type: 'command', config: { command: ['true'] }, ...patch }],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain(path);
  });

  it('when initialInterval is above the default maximum and no maximum is given, then it validates (the maximum is raised to it)', () => {
    const r = validateJob({
      name: 'x',
      nodes: [{ id: 'n', type: 'command', config: { command: ['true'] }, retry: { initialInterval: '2m' } }],
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(optionsOf(r.spec.nodes[0]!, 'q').retry?.maximumInterval).toBe(120_000);
  });
});

describe('no spec that validates makes the server refuse its activity attributes (real dev server)', () => {
  let t: TestTemporal;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    installTestRuntime();
    t = await startTestTemporal();
    bundle = await bundleWorkflows(require.resolve('../fixtures/activity-options-workflow'));
  });
  afterAll(async () => t?.teardown());

  /** Runs scheduleAll(options) to its end or to its first failed workflow task, whichever comes first. */
  async function schedule(
    all: ActivityOptions[],
  ): Promise<{ sdkErrors: string[]; taskFailures: string[]; scheduled: number }> {
    const taskQueue = uniqueId('timeouts');
    const worker = await Worker.create({ connection: t.nativeConnection, taskQueue, workflowBundle: bundle });
    return worker.runUntil(async () => {
      const h = await t.client.workflow.start('scheduleAll', { taskQueue, workflowId: taskQueue, args: [all] });
      const taskFailures = async () =>
        ((await h.fetchHistory()).events ?? [])
          .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
          // UnhandledCommand is no refusal: new events (a 1 ms schedule-to-start timeout firing)
          // arrived while the workflow completed; the worker just runs the task again.
          .filter(
            (e) => e.workflowTaskFailedEventAttributes?.cause !== Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
          )
          .map(
            (e) =>
              `${Cause[e.workflowTaskFailedEventAttributes?.cause ?? 0]}: ${e.workflowTaskFailedEventAttributes?.failure?.message}`,
          );
      let sdkErrors: string[] = [];
      const outcome = await Promise.race([
        h.result().then((r: string[]) => {
          sdkErrors = r;
          return 'done';
        }),
        waitFor(async () => ((await taskFailures()).length ? 'task failed' : undefined), { timeoutMs: 120_000 }),
      ]);
      const failures = await taskFailures();
      if (outcome !== 'done') await h.terminate('test');
      const scheduled = ((await h.fetchHistory()).events ?? []).filter(
        (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
      ).length;
      return { sdkErrors, taskFailures: failures, scheduled };
    });
  }

  it('when options the validator used to let through (startToClose 0) are scheduled, then the server refuses them — the check can fail', async () => {
    const node = NodeSpec.parse({ id: 'n', type: 'command', config: { command: ['true'] } });
    const bad = optionsOf({ ...node, timeout: { startToClose: 0 } }, uniqueId('unpolled'));
    const r = await schedule([bad]);
    expect(r.taskFailures.join('\n')).toMatch(/BAD_SCHEDULE_ACTIVITY_ATTRIBUTES|StartToClose/i);
  });

  it('when a fast-check sample of timeout/retry specs is validated, then every one that validates is scheduled by the server without a refusal', async () => {
    const samples = fc.sample(specArb, { numRuns: 600, seed: 10_2026 });
    const valid: ActivityOptions[] = [];
    let rejected = 0;
    for (const spec of samples) {
      const r = validateJob(spec);
      if (!r.ok) {
        rejected++;
        // A rejection names the node's retry/timeout field.
        expect(r.errors.some((e) => /^nodes\[0\]\.(retry|timeout)\./.test(e.path))).toBe(true);
        continue;
      }
      valid.push(optionsOf(r.spec.nodes[0]!, uniqueId('unpolled'), valid.length + 1));
    }
    // The sample exercises both sides.
    expect(valid.length).toBeGreaterThan(50);
    expect(rejected).toBeGreaterThan(50);
    const batch = valid.slice(0, 150);
    const r = await schedule(batch);
    expect(r.taskFailures).toEqual([]);
    expect(r.sdkErrors).toEqual([]);
    expect(r.scheduled).toBe(batch.length);
  });
});
