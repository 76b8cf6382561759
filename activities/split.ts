// split step: deterministic train/test split, stratified by class for classification.
import { SplitConfig } from '../src/domain/node-types';
import { defineStep } from './define-step';
import { putJson, readJson, REFS, requireRef, upstreamRefs } from './ml/io';
import { splitDataset } from './ml/split';
import type { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';

export function makeSplitStep(deps: StepDeps) {
  return defineStep(SplitConfig, async (input, ctx) => {
    const refs = upstreamRefs(input);
    const ds = await readJson<Dataset>(deps.store, requireRef(refs, REFS.dataset, input, 'put a dataset node upstream'));
    ctx.throwIfCancelled();
    const { train, test, stratified } = splitDataset(ds, input.config.testSize, input.config.randomState, input.config.stratify);
    const trainRef = await putJson(deps.store, input, 'train.json', train);
    const testRef = await putJson(deps.store, input, 'test.json', test);
    const counts = (d: Dataset) => (d.classes ? Object.fromEntries(d.classes.map((c, k) => [c, d.y.filter((y) => y === k).length])) : undefined);
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
      refs: { ...refs, [REFS.trainData]: trainRef, [REFS.testData]: testRef },
    };
  });
}
