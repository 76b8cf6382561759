// `npm run build:bundle`: bundles the workflow code once for production worker start-up.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { BUNDLE_FILE, WORKFLOWS_PATH, WORKFLOW_BUNDLE_EXTRAS } from './workflow-bundle';

async function main() {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, ...WORKFLOW_BUNDLE_EXTRAS });
  fs.mkdirSync(path.dirname(BUNDLE_FILE), { recursive: true });
  fs.writeFileSync(BUNDLE_FILE, code);
  console.log(`wrote ${path.relative(process.cwd(), BUNDLE_FILE)} (${(code.length / 1024).toFixed(0)} KiB)`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
