// The schema cache in the workflow sandbox, on a real dev server: with the bundle's preloaded
// schema cache (workers/workflow-bundle.ts), the second workflow on a worker reuses what the first
// built, and a shared zod schema still checks (regexes, refinements) and names the field; without
// the preload, each workflow builds its own — what every job paid before.
import { Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_EXTRAS } from '../../workers/workflow-bundle';
import { quietLogger, uniqueId, useTestTemporal } from '../helpers/temporal';

const PROBE = require.resolve('../fixtures/schema-cache-workflow');
const temporal = useTestTemporal();

const goodSpec = { name: 'probe', nodes: [{ id: 'a', type: 'command', config: { command: ['/usr/bin/true'] } }] };
const badSpec = { name: 'probe', nodes: [{ id: 'Bad Id', type: 'command', config: { command: ['/usr/bin/true'] } }] };

async function runTwo(bundle: WorkflowBundleWithSourceMap) {
  const t = temporal();
  const taskQueue = uniqueId('schema-cache');
  // One workflow thread: both workflows share one V8 context, as jobs on a worker thread do.
  const worker = await Worker.create({
    connection: t.nativeConnection,
    namespace: t.server.namespace,
    taskQueue,
    workflowBundle: bundle,
    workflowThreadPoolSize: 1,
  });
  return worker.runUntil(async () => {
    const out = [];
    for (const [i, spec] of [goodSpec, badSpec].entries()) {
      const workflowId = `${taskQueue}-${i}`;
      const r = await t.client.workflow.execute('schemaCacheProbe', { taskQueue, workflowId, args: [spec] });
      out.push({ workflowId, ...(r as { builtBy: string; issues: string[] }) });
    }
    return out;
  });
}

test('when two workflows run on one worker with the preloaded cache, then the second reuses what the first built and its validation still names the field', async () => {
  const bundle = await bundleWorkflowCode({ workflowsPath: PROBE, ...WORKFLOW_BUNDLE_EXTRAS, logger: quietLogger });
  const [first, second] = await runTwo(bundle);
  expect(first!.builtBy).toBe(first!.workflowId);
  expect(first!.issues).toEqual([]);
  expect(second!.builtBy).toBe(first!.workflowId);
  expect(second!.issues).toEqual([expect.stringMatching(/^nodes\.0\.id: /)]);
}, 120_000);

test('when the bundle does not preload the cache, then each workflow builds its own', async () => {
  const { preloadModules: _preloaded, ...withoutPreload } = WORKFLOW_BUNDLE_EXTRAS;
  const bundle = await bundleWorkflowCode({ workflowsPath: PROBE, ...withoutPreload, logger: quietLogger });
  const [first, second] = await runTwo(bundle);
  expect(first!.builtBy).toBe(first!.workflowId);
  expect(second!.builtBy).toBe(second!.workflowId);
  expect(second!.issues).toEqual([expect.stringMatching(/^nodes\.0\.id: /)]);
}, 120_000);
