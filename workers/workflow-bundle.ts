// The workflow code bundle, shared by every Worker in a process. Production images build it once
// (`npm run build:bundle` → dist/workflow-bundle.js); dev bundles at start when no file exists.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const BUNDLE_FILE = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

export async function loadWorkflowBundle(opts: { rebuild?: boolean } = {}): Promise<WorkflowBundleOption> {
  if (!opts.rebuild && process.env.NODE_ENV === 'production' && fs.existsSync(BUNDLE_FILE)) return { codePath: BUNDLE_FILE };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  return { code };
}

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop } as never;
