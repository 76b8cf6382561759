// The workflow code bundle, shared by every Worker in a process. Production images build it once
// (`npm run build:bundle` → dist/workflow-bundle.js) and name it with TRAINYARD_WORKFLOW_BUNDLE;
// otherwise the workers bundle workflows/ at start.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const BUNDLE_FILE = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

/**
 * What every bundle of workflow code carries besides the workflows: the payload converter that turns
 * an undecodable payload into a value instead of a failed workflow task, the interceptors that
 * drop the message carrying one (src/domain/payload-guard.ts, workflows/interceptors.ts), and the
 * schema cache, preloaded so that one copy of it (and of every zod schema) serves all the
 * workflows of a V8 context instead of each job building its own (src/domain/schema-cache.ts).
 */
export const WORKFLOW_BUNDLE_EXTRAS = {
  payloadConverterPath: require.resolve('../src/domain/payload-guard'),
  workflowInterceptorModules: [require.resolve('../workflows/interceptors')],
  preloadModules: [require.resolve('../src/domain/schema-cache')],
};

/** The prebuilt bundle at `file` (config.workflowBundle), or a fresh bundle of workflows/. */
export async function loadWorkflowBundle(opts: { file?: string } = {}): Promise<WorkflowBundleOption> {
  if (opts.file) {
    if (!fs.existsSync(opts.file))
      throw new Error(`TRAINYARD_WORKFLOW_BUNDLE: ${opts.file} does not exist (build it with npm run build:bundle)`);
    return { codePath: opts.file };
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...WORKFLOW_BUNDLE_EXTRAS,
    logger: quiet,
  });
  return { code };
}

const noop = () => undefined;
const quiet = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
} as never;
