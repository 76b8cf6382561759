// The workflow code bundle, shared by every Worker in a process. Production images build it once
// (`npm run build:bundle` → dist/workflow-bundle.js) and name it with TRAINYARD_WORKFLOW_BUNDLE;
// otherwise the workers bundle workflows/ at start.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleOption } from '@temporalio/worker';
import { bindIntrinsics } from './workflow-intrinsics';

export const WORKFLOWS_PATH = require.resolve('../workflows');
export const BUNDLE_FILE = path.resolve(__dirname, '..', 'dist', 'workflow-bundle.js');

/**
 * The language level the bundler compiles workflows/ and src/ to. The SDK's bundler compiles
 * TypeScript to ES2017, so every object spread becomes a call of swc's `_object_spread` helper: a
 * third of the job workflow's time building a 1,000-node job's progress, and part of every node's
 * start (bench/README.md §1). Node 20 runs ES2022 natively; the code's meaning is the same, so
 * recorded histories replay unchanged (test/integration/replay.test.ts).
 */
export const WORKFLOW_CODE_TARGET = 'es2022';

type WebpackConfigHook = NonNullable<BundleOptions['webpackConfigHook']>;

/** A webpackConfigHook that sets the swc-loader's `jsc.target` of the bundler's TypeScript rule. */
export function compileWorkflowsTo(target: string): WebpackConfigHook {
  return (config) => {
    let found = false;
    for (const rule of config.module?.rules ?? []) {
      const use = rule && typeof rule === 'object' && !Array.isArray(rule.use) ? rule.use : undefined;
      if (use && typeof use === 'object' && String(use.loader).includes('swc-loader')) {
        const options = use.options as { jsc?: { target?: string } };
        options.jsc = { ...options.jsc, target };
        found = true;
      }
    }
    // An SDK upgrade that renames the rule must not silently fall back to ES2017.
    if (!found) throw new Error('workflow bundle: the SDK bundler has no swc-loader rule to set the target of');
    return config;
  };
}

/**
 * Trainyard's webpackConfigHook: the language level (above), and the built-ins bound as closure
 * variables instead of sandbox globals (workers/workflow-intrinsics.ts).
 */
export function trainyardBundleHook(o: { target?: string; intrinsics?: boolean } = {}): WebpackConfigHook {
  const compile = compileWorkflowsTo(o.target ?? WORKFLOW_CODE_TARGET);
  return o.intrinsics === false ? compile : (config) => bindIntrinsics(compile(config));
}

/**
 * What every bundle of workflow code carries besides the workflows: its language level and bound built-ins (above), the payload converter that turns
 * an undecodable payload into a value instead of a failed workflow task, the interceptors that
 * drop the message carrying one (src/domain/payload-guard.ts, workflows/interceptors.ts), and the
 * schema cache, preloaded so that one copy of it (and of every zod schema) serves all the
 * workflows of a V8 context instead of each job building its own (src/domain/schema-cache.ts).
 */
export const WORKFLOW_BUNDLE_EXTRAS = {
  payloadConverterPath: require.resolve('../src/domain/payload-guard'),
  workflowInterceptorModules: [require.resolve('../workflows/interceptors')],
  preloadModules: [require.resolve('../src/domain/schema-cache')],
  webpackConfigHook: trainyardBundleHook(),
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
