// TRAINYARD_WORKFLOW_STACK_TRACES (workers/workflow-stack-traces.ts): off by default, the job
// workflow's threads have no per-promise stack capture and `__stack_trace` (the Web UI's Stack Trace
// tab, `temporal workflow stack`) says so; on, it answers the workflow's stack. Jobs run either way.
import threads from 'node:worker_threads';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DEFAULT_WORKFLOW_STACK_TRACES, loadConfig } from '../../src/config';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
}, 120_000);
afterAll(async () => t?.teardown());

/** Runs a two-node job; while its first node sleeps, asks the workflow for its stack trace. */
async function stackWhileRunning(stackTraces: boolean | undefined): Promise<{ stack: unknown; status: string }> {
  const prefix = uniqueId('stack');
  const rec = new Recorder();
  const snapshot = makeSnapshot(`${prefix}-job`, prefix, {
    nodes: [cmd('slow', [], { TEST_SLEEP_MS: '1500' }), cmd('after', ['slow'])],
  });
  const NodeWorker = threads.Worker;
  const out = await withWorkers(
    t,
    bundle,
    prefix,
    testActivities(rec),
    async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      await waitFor(() => rec.running().length === 1, { timeoutMs: 20_000 });
      const stack = await h.query<string>('__stack_trace').then(
        (s) => s,
        (e: Error) => e,
      );
      return { stack, status: (await h.result()).status };
    },
    stackTraces === undefined ? {} : { stackTraces },
  );
  // Only the Worker.create call saw the swapped thread class.
  expect(threads.Worker).toBe(NodeWorker);
  return out;
}

describe('workflow stack traces', () => {
  test('when TRAINYARD_WORKFLOW_STACK_TRACES is unset, then it is off', () => {
    expect(DEFAULT_WORKFLOW_STACK_TRACES).toBe(false);
    expect(loadConfig({}).workflowStackTraces).toBe(false);
    expect(loadConfig({ TRAINYARD_WORKFLOW_STACK_TRACES: 'on' }).workflowStackTraces).toBe(true);
    expect(() => loadConfig({ TRAINYARD_WORKFLOW_STACK_TRACES: 'yes' })).toThrow(/TRAINYARD_WORKFLOW_STACK_TRACES/);
  });

  test('when off (the default), then the stack-trace query says they are not enabled and the job completes', async () => {
    const { stack, status } = await stackWhileRunning(undefined);
    expect(stack).toBeInstanceOf(Error);
    expect((stack as Error).message).toMatch(/stack traces are not enabled/i);
    expect(status).toBe('completed');
  }, 60_000);

  test('when on, then the stack-trace query answers the job workflow stack and the job completes', async () => {
    const { stack, status } = await stackWhileRunning(true);
    expect(typeof stack).toBe('string');
    expect(stack as string).toMatch(/job-workflow\.ts/);
    expect(status).toBe('completed');
  }, 60_000);
});
