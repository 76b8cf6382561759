// The ML step activities, built once per worker from its dependencies. activities/index.ts adds the
// command step and registers them under their node type names.
import { makeDatasetStep } from './dataset';
import { makeEvaluateStep } from './evaluate';
import { makeExportStep } from './export';
import { makePreprocessStep } from './preprocess';
import { makeSelectStep } from './select';
import { makeSplitStep } from './split';
import type { StepDeps } from './step-deps';
import { makeTrainStep } from './train';
import { makeVisualizeStep } from './visualize';

export function createMlSteps(deps: StepDeps) {
  return {
    dataset: makeDatasetStep(deps),
    split: makeSplitStep(deps),
    preprocess: makePreprocessStep(deps),
    train: makeTrainStep(deps),
    evaluate: makeEvaluateStep(deps),
    export: makeExportStep(deps),
    visualize: makeVisualizeStep(deps),
    select: makeSelectStep(deps),
  };
}

export type MlSteps = ReturnType<typeof createMlSteps>;
