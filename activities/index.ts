// The step activity table: one activity per node type, registered under the node type's name.
// Workers build it once with their dependencies (artifact store, allowlist, GPU facts).
import { LocalArtifactStore } from '../src/artifacts/local-store';
import type { Config } from '../src/config';
import type { NodeType } from '../src/domain/node-types';
import type { StepInput, StepOutput } from '../src/domain/step-io';
import { makeCommandStep } from './command';
import { createMlSteps } from './ml-steps';
import type { StepDeps } from './step-deps';

export interface ActivityDeps extends StepDeps {
  /** Executables `command` steps may run (TRAINYARD_ALLOWED_COMMANDS). */
  allowedCommands: string[];
  /** The worker's scripts folder for `{scripts}/…` arguments (TRAINYARD_SCRIPTS_DIR). */
  scriptsDir?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMlSteps(deps),
    command: makeCommandStep(deps),
  } satisfies Record<NodeType, (input: StepInput) => Promise<StepOutput>>;
}

/** A worker's step table from its config: artifacts in the local store under config.artifactRoot. */
export function createActivitiesFromConfig(config: Config, opts: { cudaAvailable: boolean }) {
  return createActivities({ store: new LocalArtifactStore(config.artifactRoot), dataRoot: config.dataRoot, allowedCommands: config.allowedCommands, scriptsDir: config.scriptsDir, cudaAvailable: opts.cudaAvailable });
}

export type StepActivities = ReturnType<typeof createActivities>;
