// preprocess step: fits impute / one-hot / scaling on the training rows only, stores the fitted
// parameters (export folds them into the ONNX graph) and the transformed train/test features.
import { z } from 'zod';
import { PreprocessConfig } from '../src/domain/node-types';
import { loggedStep } from './define-step';
import { carriedRefs, invalid, putJson, readJson, REFS, requireRef } from './ml/io';
import { fitPreprocessor, transformDataset, type Matrix } from './ml/preprocess';
import { Dataset, Task } from './ml/table';
import type { StepDeps } from './step-deps';

/** Stored features (train-features.json, test-features.json): what train reads. */
export const ProcessedData = z.object({
  featureNames: z.array(z.string()),
  rows: z.number().int(),
  cols: z.number().int(),
  /** Row-major. */
  data: z.array(z.number()),
  y: z.array(z.number()),
  rowIds: z.array(z.number()),
  task: Task,
  classes: z.array(z.string()).optional(),
});
export type ProcessedData = z.infer<typeof ProcessedData>;

export function toProcessed(x: Matrix, ds: Dataset, featureNames: string[]): ProcessedData {
  return {
    featureNames,
    rows: x.rows,
    cols: x.cols,
    data: Array.from(x.data),
    y: ds.y,
    rowIds: ds.rowIds,
    task: ds.task,
    ...(ds.classes && { classes: ds.classes }),
  };
}

export function makePreprocessStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, PreprocessConfig, async (input, ctx) => {
    const hint = 'put a split node upstream';
    const train = await readJson(deps.store, requireRef(input, REFS.trainData, hint), Dataset);
    const test = await readJson(deps.store, requireRef(input, REFS.testData, hint), Dataset);
    ctx.throwIfCancelled();
    let params;
    let xTrain;
    let xTest;
    try {
      params = fitPreprocessor(train, input.config);
      xTrain = transformDataset(train, params);
      xTest = transformDataset(test, params);
    } catch (err) {
      throw invalid(`node ${input.nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const pRef = await putJson(deps.store, input, 'preprocessor.json', params);
    const trRef = await putJson(
      deps.store,
      input,
      'train-features.json',
      toProcessed(xTrain, train, params.encodedNames),
    );
    const teRef = await putJson(deps.store, input, 'test-features.json', toProcessed(xTest, test, params.encodedNames));
    return {
      summary: {
        fittedOnRows: params.fittedOnRows,
        inputColumns: params.inputColumns.map((c) => c.name),
        features: params.encodedNames.length,
        encodedNames: params.encodedNames,
        scale: params.scale,
        impute: params.impute,
        excluded: params.excluded,
      },
      artifacts: [pRef, trRef, teRef],
      refs: {
        ...carriedRefs(input),
        [REFS.preprocessor]: pRef,
        [REFS.trainProcessed]: trRef,
        [REFS.testProcessed]: teRef,
      },
    };
  });
}
