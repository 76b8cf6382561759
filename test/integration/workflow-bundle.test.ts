// workers/workflow-bundle.ts: the job workflow bundle is compiled to ES2022 (native object spread,
// no swc helpers), and an SDK bundler without the TypeScript rule the hook edits is refused loudly;
// its code reads built-ins as closure variables (workers/workflow-intrinsics.ts), on a real server.
import { Worker, bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import {
  WORKFLOW_BUNDLE_EXTRAS,
  WORKFLOW_CODE_TARGET,
  WORKFLOWS_PATH,
  compileWorkflowsTo,
  trainyardBundleHook,
} from '../../workers/workflow-bundle';
import {
  BOUND_INTRINSICS,
  INTRINSICS_HEAD,
  INTRINSICS_TAIL,
  SDK_OVERRIDDEN_GLOBALS,
  bindIntrinsics,
} from '../../workers/workflow-intrinsics';
import type { IntrinsicsProbe } from '../fixtures/intrinsics-workflow';
import { quietLogger, uniqueId, useTestTemporal, workflowBundle } from '../helpers/temporal';

describe('workflow bundle language level', () => {
  test('when workflows/ is bundled, then object spreads stay native (no _object_spread helper)', async () => {
    expect(WORKFLOW_CODE_TARGET).toBe('es2022');
    const { code } = await workflowBundle();
    expect(code).toContain('class JobRun');
    expect(code).not.toMatch(/function _object_spread\(/);
  }, 120_000);

  test('when bundled at the SDK default (ES2017), then the same code carries the helper (the test can fail)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      ...WORKFLOW_BUNDLE_EXTRAS,
      webpackConfigHook: compileWorkflowsTo('es2017'),
      logger: quietLogger,
    });
    expect(code).toMatch(/function _object_spread\(/);
  }, 120_000);

  test('when the bundler config has no swc-loader rule, then the hook throws naming it', () => {
    expect(() => compileWorkflowsTo('es2022')({ module: { rules: [] } })).toThrow(/swc-loader/);
  });
});

describe('workflow bundle built-ins bound as closure variables', () => {
  const PROBE = require.resolve('../fixtures/intrinsics-workflow');
  const temporal = useTestTemporal();
  const spec = { name: 'probe', nodes: [{ id: 'Bad Id', type: 'command', config: { command: ['/usr/bin/true'] } }] };

  async function probe(webpackConfigHook: NonNullable<BundleOptions['webpackConfigHook']>): Promise<IntrinsicsProbe> {
    const t = temporal();
    const { code } = await bundleWorkflowCode({
      workflowsPath: PROBE,
      ...WORKFLOW_BUNDLE_EXTRAS,
      webpackConfigHook,
      logger: quietLogger,
    });
    const taskQueue = uniqueId('intrinsics');
    const worker = await Worker.create({
      connection: t.nativeConnection,
      namespace: t.server.namespace,
      taskQueue,
      workflowBundle: { code },
    });
    return worker.runUntil(
      t.client.workflow.execute('intrinsicsProbe', { taskQueue, workflowId: uniqueId('intrinsics'), args: [spec] }),
    );
  }

  test('when no bound name is one the SDK overrides, then the list holds', () => {
    for (const name of SDK_OVERRIDDEN_GLOBALS) expect(BOUND_INTRINSICS).not.toContain(name);
    expect(BOUND_INTRINSICS).toContain('Promise');
  });

  test("when workflows/ is bundled, then the code sits inside the wrapper and publishes the SDK's library", async () => {
    const { code } = await workflowBundle();
    expect(code.startsWith(INTRINSICS_HEAD)).toBe(true);
    expect(code).toContain(INTRINSICS_TAIL);
  }, 120_000);

  test('when a workflow runs from the wrapped bundle on a real server, then built-ins are closure variables and the SDK overrides still apply', async () => {
    const r = await probe(trainyardBundleHook());
    expect(r).toEqual({
      mapIsBound: true,
      sameAsGlobals: true,
      weakRefRefused: true,
      clockStood: true,
      validation: ['nodes[0].id'],
    });
  }, 120_000);

  test('when bundled without it, then module code reads the global (the probe can fail)', async () => {
    const r = await probe(trainyardBundleHook({ intrinsics: false }));
    expect(r.mapIsBound).toBe(false);
    expect(r.weakRefRefused).toBe(true);
  }, 120_000);

  test('when the bundler config names another library, then the hook refuses it', () => {
    expect(() => bindIntrinsics({ output: { library: 'other' } })).toThrow(/__TEMPORAL__/);
  });
});
