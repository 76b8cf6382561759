// The step activity table: one activity per node type, registered under the node type's name.
// Workers build it once with their dependencies (artifact store, allowlist, GPU facts).
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

export type StepActivities = ReturnType<typeof createActivities>;
