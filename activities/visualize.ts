// visualize step: SVG plots rendered offline with vega-lite → vega → SVG (data inline): loss curve,
// confusion matrix, ROC curve (binary), predicted vs actual (regression).
import { type PLOT_KINDS, VisualizeConfig } from '../src/domain/node-types';
import type { ArtifactRef } from '../src/domain/step-io';
import { defineStep } from './define-step';
import { toPredictionsFile, type PredictionsFile } from './ml/evaluation';
import { nodeLog, readJson, REFS, upstreamRefs } from './ml/io';
import { classificationMetrics, rocAuc, rocCurve } from './ml/metrics';
import { predict, type EpochRecord } from './ml/models';
import { confusionSpec, lossSpec, predVsActualSpec, renderSvgs, rocSpec } from './ml/plots';
import { transformDataset, type PreprocessorParams } from './ml/preprocess';
import type { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';
import type { ModelArtifact } from './train';

type PlotKind = (typeof PLOT_KINDS)[number];
const REF_NAMES: Record<PlotKind, string> = { loss: 'lossPlot', confusion: 'confusionPlot', roc: 'rocPlot', pred_vs_actual: 'predVsActualPlot' };

export function makeVisualizeStep(deps: StepDeps) {
  return defineStep(VisualizeConfig, async (input, ctx) => {
    const refs = upstreamRefs(input);
    const histRef = refs[REFS.lossHistory];
    const history = histRef ? await readJson<{ metricName: string; epochs: EpochRecord[] }>(deps.store, histRef) : undefined;
    // Predictions from evaluate when it ran; else computed here from the trained model.
    let preds: PredictionsFile | undefined;
    const predRef = refs[REFS.predictions];
    const modelRef = refs[REFS.model];
    const preRef = refs[REFS.preprocessor];
    const testRef = refs[REFS.testData];
    if (predRef) preds = await readJson<PredictionsFile>(deps.store, predRef);
    else if (modelRef && preRef && testRef) {
      const { model } = await readJson<ModelArtifact>(deps.store, modelRef);
      const pre = await readJson<PreprocessorParams>(deps.store, preRef);
      const test = await readJson<Dataset>(deps.store, testRef);
      const p = predict(model, transformDataset(test, pre));
      preds = toPredictionsFile(model, test, p);
    }
    const applicable: PlotKind[] = [];
    if (history) applicable.push('loss');
    if (preds?.task === 'classification') applicable.push('confusion');
    if (preds?.task === 'classification' && preds.scores) applicable.push('roc');
    if (preds?.task === 'regression') applicable.push('pred_vs_actual');
    const wanted = input.config.plots ?? applicable;
    const skipped = wanted.filter((k) => !applicable.includes(k));
    const kinds = wanted.filter((k) => applicable.includes(k));
    const specs = kinds.map((k) => {
      switch (k) {
        case 'loss':
          return lossSpec(history!.epochs, history!.metricName);
        case 'confusion': {
          const m = classificationMetrics(preds!.yTrue, preds!.yPred, preds!.classes!);
          return confusionSpec(m.confusionMatrix, preds!.classes!);
        }
        case 'roc':
          return rocSpec(rocCurve(preds!.yTrue, preds!.scores!), rocAuc(preds!.yTrue, preds!.scores!));
        case 'pred_vs_actual':
          return predVsActualSpec(preds!.yTrue, preds!.yPred);
      }
    });
    ctx.heartbeat({ phase: 'running', percent: 20, message: `rendering ${kinds.length} plots` });
    const svgs = specs.length ? await renderSvgs(specs, ctx.signal) : [];
    ctx.throwIfCancelled();
    const artifacts: ArtifactRef[] = [];
    const plotRefs: Record<string, ArtifactRef> = {};
    for (let i = 0; i < kinds.length; i++) {
      const ref = await deps.store.put(input.outputDir, input.nodeId, `plots/${kinds[i]}.svg`, svgs[i]!, 'image/svg+xml');
      artifacts.push(ref);
      plotRefs[REF_NAMES[kinds[i]!]] = ref;
    }
    await nodeLog(deps.store, input, `rendered ${kinds.join(', ') || 'no plots'}${skipped.length ? ` (skipped, not applicable: ${skipped.join(', ')})` : ''}`);
    return {
      summary: { plots: kinds.map((k, i) => ({ kind: k, path: artifacts[i]!.path })), ...(skipped.length && { skipped }) },
      artifacts,
      refs: { ...refs, ...plotRefs },
    };
  });
}
