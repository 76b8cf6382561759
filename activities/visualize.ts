// visualize step: SVG plots rendered offline with vega-lite → vega → SVG (data inline): loss curve,
// confusion matrix, ROC curve (binary), predicted vs actual (regression).
import { type PLOT_KINDS, VisualizeConfig } from '../src/domain/node-types';
import type { ArtifactRef, StepInput } from '../src/domain/step-io';
import { loggedStep } from './define-step';
import { PredictionsFile, toPredictionsFile } from './ml/evaluation';
import { carriedRefs, nodeLog, optionalRef, readJson, REFS } from './ml/io';
import { classificationMetrics, rocAuc, rocCurve } from './ml/metrics';
import { LossHistory, predict } from './ml/models';
import { confusionSpec, lossSpec, metricsSpec, predVsActualSpec, renderSvgs, rocSpec } from './ml/plots';
import { METRICS_FILE, MetricPoint } from '../src/domain/metrics-history';
import { PreprocessorParams, transformDataset } from './ml/preprocess';
import { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';
import { ModelArtifact } from './train';

type PlotKind = (typeof PLOT_KINDS)[number];
const REF_NAMES: Record<PlotKind, string> = {
  loss: 'lossPlot',
  confusion: 'confusionPlot',
  roc: 'rocPlot',
  pred_vs_actual: 'predVsActualPlot',
  metrics: 'metricsPlot',
};

/** The metrics history of each direct parent that has one (command nodes), by node id. */
async function upstreamMetrics(deps: StepDeps, input: StepInput): Promise<[string, MetricPoint[]][]> {
  const out: [string, MetricPoint[]][] = [];
  for (const [nodeId, output] of Object.entries(input.upstream).sort(([a], [b]) => a.localeCompare(b))) {
    const ref = output.artifacts.find((a) => a.name === METRICS_FILE);
    if (!ref) continue;
    const points = (await deps.store.get(ref))
      .toString('utf8')
      .split('\n')
      .flatMap((line) => {
        const p = line.trim() ? MetricPoint.safeParse(JSON.parse(line)) : undefined;
        return p?.success ? [p.data] : [];
      });
    if (points.length) out.push([nodeId, points]);
  }
  return out;
}

export function makeVisualizeStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, VisualizeConfig, async (input, ctx) => {
    const histRef = optionalRef(input, REFS.lossHistory);
    const history = histRef ? await readJson(deps.store, histRef, LossHistory) : undefined;
    // Predictions from evaluate when it ran; else computed here from the trained model.
    let preds: PredictionsFile | undefined;
    const predRef = optionalRef(input, REFS.predictions);
    const modelRef = optionalRef(input, REFS.model);
    const preRef = optionalRef(input, REFS.preprocessor);
    const testRef = optionalRef(input, REFS.testData);
    if (predRef) preds = await readJson(deps.store, predRef, PredictionsFile);
    else if (modelRef && preRef && testRef) {
      const { model } = await readJson(deps.store, modelRef, ModelArtifact);
      const pre = await readJson(deps.store, preRef, PreprocessorParams);
      const test = await readJson(deps.store, testRef, Dataset);
      const p = predict(model, transformDataset(test, pre));
      preds = toPredictionsFile(model, test, p);
    }
    const metrics = await upstreamMetrics(deps, input);
    const applicable: PlotKind[] = [];
    if (history) applicable.push('loss');
    if (metrics.length) applicable.push('metrics');
    if (preds?.task === 'classification') applicable.push('confusion');
    if (preds?.task === 'classification' && preds.scores) applicable.push('roc');
    if (preds?.task === 'regression') applicable.push('pred_vs_actual');
    const wanted = input.config.plots ?? applicable;
    const skipped = wanted.filter((k) => !applicable.includes(k));
    // One file per plot: a metrics plot per upstream command node.
    const plots = wanted
      .filter((k) => applicable.includes(k))
      .flatMap((k): { kind: PlotKind; file: string; nodeId?: string }[] =>
        k === 'metrics'
          ? metrics.map(([nodeId]) => ({ kind: k, file: `metrics-${nodeId}`, nodeId }))
          : [{ kind: k, file: k }],
      );
    const kinds = plots.map((p) => p.file);
    const specs = plots.map(({ kind: k, nodeId }) => {
      switch (k) {
        case 'metrics':
          return metricsSpec(metrics.find(([id]) => id === nodeId)![1], nodeId!);
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
      const ref = await deps.store.put(
        input.outputDir,
        input.nodeId,
        `plots/${kinds[i]}.svg`,
        svgs[i]!,
        'image/svg+xml',
      );
      artifacts.push(ref);
      const { kind, nodeId } = plots[i]!;
      plotRefs[kind === 'metrics' ? `metricsPlot:${nodeId}` : REF_NAMES[kind]] = ref;
    }
    await nodeLog(
      deps.store,
      input,
      `rendered ${kinds.join(', ') || 'no plots'}${skipped.length ? ` (skipped, not applicable: ${skipped.join(', ')})` : ''}`,
    );
    return {
      summary: {
        plots: kinds.map((k, i) => ({ kind: k, path: artifacts[i]!.path })),
        ...(skipped.length && { skipped }),
      },
      artifacts,
      refs: { ...carriedRefs(input), ...plotRefs },
    };
  });
}
