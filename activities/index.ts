// The step activity table: one activity per node type, registered under the node type's name.
// Workers build it once with their dependencies (artifact store, allowlist, GPU facts).
import type { Config } from '../src/config';
import type { NodeWorkspaces } from '../src/storage/node-workspace';
import { storageFromConfig } from '../src/storage';
import { createLogger } from '../src/logger';
import { SAMPLES_DIR } from '../src/storage/data-files';
import type { NodeType } from '../src/domain/node-types';
import { StepInput, type StepOutput } from '../src/domain/step-io';
import { makeCommandStep } from './command';
import { createMlSteps } from './ml-steps';
import type { StepDeps } from './step-deps';
import { createStepSandbox, type SandboxOptions, type StepSandbox } from './sandbox';
import { createCacheActivities } from './step-cache';

export interface ActivityDeps extends StepDeps {
  /** Local folders for command steps on this host (src/storage/node-workspace.ts). */
  workspaces: NodeWorkspaces;
  /** Where command steps run: the resolved allowlist, their environment and limits (activities/sandbox/). */
  sandbox: StepSandbox;
  /** The worker's scripts folder for `{scripts}/…` arguments (TRAINYARD_SCRIPTS_DIR). */
  scriptsDir?: string;
}

type Step = (input: StepInput) => Promise<StepOutput>;

/** After a built-in step's attempt, its log is sealed: the listing then shows it with its facts. */
function sealingLog(store: ActivityDeps['store'], step: Step): Step {
  return async (input) => {
    try {
      return await step(input);
    } finally {
      const parsed = StepInput.safeParse(input);
      if (parsed.success) await store.sealLog(parsed.data.outputDir, parsed.data.nodeId).catch(() => undefined);
    }
  };
}

/** Every activity a step worker serves: one per node type, and the step cache's lookup and store. */
export function createActivities(deps: ActivityDeps) {
  return { ...createStepTable(deps), ...createCacheActivities(deps) };
}

function createStepTable(deps: ActivityDeps) {
  const ml = createMlSteps(deps);
  return {
    dataset: sealingLog(deps.store, ml.dataset),
    split: sealingLog(deps.store, ml.split),
    preprocess: sealingLog(deps.store, ml.preprocess),
    train: sealingLog(deps.store, ml.train),
    evaluate: sealingLog(deps.store, ml.evaluate),
    export: sealingLog(deps.store, ml.export),
    visualize: sealingLog(deps.store, ml.visualize),
    select: sealingLog(deps.store, ml.select),
    // The command step seals its own log (its output carries the log's ref).
    command: makeCommandStep(deps),
  } satisfies Record<NodeType, Step>;
}

/**
 * The step sandbox a worker with this config runs command steps in. Throws — the worker refuses
 * to start — when bubblewrap is missing or fails its probe, unless TRAINYARD_SANDBOX=off.
 */
export function sandboxFromConfig(config: Config, log?: SandboxOptions['log']): StepSandbox {
  return createStepSandbox({
    config: config.sandbox,
    allowedCommands: config.allowedCommands,
    workDir: config.workDir,
    stepKitDir: config.stepKitDir,
    scriptsDir: config.scriptsDir,
    sharedData: [SAMPLES_DIR],
    stepEnv: config.stepEnv,
    protectedRoots: [
      config.home,
      config.dataRoot,
      ...(config.artifactStore.kind === 'file' ? [config.artifactRoot] : []),
    ],
    log: log ?? createLogger('sandbox', config.logLevel),
  });
}

/** A worker's step table from its config: the artifact store, log sink, workspaces and sandbox it configures. */
export function createActivitiesFromConfig(
  config: Config,
  opts: { cudaAvailable: boolean; log?: SandboxOptions['log']; checkpointRequests?: StepDeps['checkpointRequests'] },
) {
  const storage = storageFromConfig(config);
  return createActivities({
    store: storage.artifacts,
    workspaces: storage.workspaces,
    dataRoot: config.dataRoot,
    sandbox: sandboxFromConfig(config, opts.log),
    scriptsDir: config.scriptsDir,
    cudaAvailable: opts.cudaAvailable,
    ...(opts.checkpointRequests && { checkpointRequests: opts.checkpointRequests }),
  });
}
