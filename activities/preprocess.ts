// preprocess step: fits impute / one-hot / scaling on the training rows only, stores the fitted
// parameters (export folds them into the ONNX graph) and the transformed train/test features.
import { PreprocessConfig } from '../src/domain/node-types';
import { defineStep } from './define-step';
import { invalid, putJson, readJson, REFS, requireRef, upstreamRefs } from './ml/io';
import { fitPreprocessor, transformDataset, type Matrix } from './ml/preprocess';
import type { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';

/** Stored features: what train reads. */
export interface ProcessedData {
  featureNames: string[];
  rows: number;
  cols: number;
  /** Row-major. */
  data: number[];
  y: number[];
  rowIds: number[];
  task: Dataset['task'];
  classes?: string[];
}

export function toProcessed(x: Matrix, ds: Dataset, featureNames: string[]): ProcessedData {
  return { featureNames, rows: x.rows, cols: x.cols, data: Array.from(x.data), y: ds.y, rowIds: ds.rowIds, task: ds.task, ...(ds.classes && { classes: ds.classes }) };
}

export function makePreprocessStep(deps: StepDeps) {
  return defineStep(PreprocessConfig, async (input, ctx) => {
    const refs = upstreamRefs(input);
    const hint = 'put a split node upstream';
    const train = await readJson<Dataset>(deps.store, requireRef(refs, REFS.trainData, input, hint));
    const test = await readJson<Dataset>(deps.store, requireRef(refs, REFS.testData, input, hint));
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
    const trRef = await putJson(deps.store, input, 'train-features.json', toProcessed(xTrain, train, params.encodedNames));
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
      refs: { ...refs, [REFS.preprocessor]: pRef, [REFS.trainProcessed]: trRef, [REFS.testProcessed]: teRef },
    };
  });
}
