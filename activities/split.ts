// split step: deterministic train/test split, stratified by class for classification.
import { SplitConfig } from '../src/domain/node-types';
import { loggedStep } from './define-step';
import { carriedRefs, putJson, readJson, REFS, requireRef } from './ml/io';
import { splitDataset } from './ml/split';
import { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';

export function makeSplitStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, SplitConfig, async (input, ctx) => {
    const ds = await readJson(deps.store, requireRef(input, REFS.dataset, 'put a dataset node upstream'), Dataset);
    ctx.throwIfCancelled();
    const { train, test, stratified } = splitDataset(
      ds,
      input.config.testSize,
      input.config.randomState,
      input.config.stratify,
    );
    const trainRef = await putJson(deps.store, input, 'train.json', train);
    const testRef = await putJson(deps.store, input, 'test.json', test);
    const counts = (d: Dataset) =>
      d.classes ? Object.fromEntries(d.classes.map((c, k) => [c, d.y.filter((y) => y === k).length])) : undefined;
    return {
      summary: {
        trainRows: train.rowIds.length,
        testRows: test.rowIds.length,
        testSize: input.config.testSize,
        randomState: input.config.randomState,
        stratified,
        ...(ds.classes && { trainClassCounts: counts(train), testClassCounts: counts(test) }),
      },
      artifacts: [trainRef, testRef],
      refs: { ...carriedRefs(input), [REFS.trainData]: trainRef, [REFS.testData]: testRef },
    };
  });
}
