// workers/workflow-bundle.ts: the job workflow bundle is compiled to ES2022 (native object spread,
// no swc helpers), and an SDK bundler without the TypeScript rule the hook edits is refused loudly.
import { bundleWorkflowCode } from '@temporalio/worker';
import {
  WORKFLOW_BUNDLE_EXTRAS,
  WORKFLOW_CODE_TARGET,
  WORKFLOWS_PATH,
  compileWorkflowsTo,
} from '../../workers/workflow-bundle';
import { quietLogger, workflowBundle } from '../helpers/temporal';

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
