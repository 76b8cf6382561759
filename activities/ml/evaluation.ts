// Turning model outputs (JS or ONNX) into predictions and metrics, the same way everywhere.
import { z } from 'zod';
import type { ClassificationMetrics, ClusteringMetrics, RegressionMetrics } from './metrics';
import { classificationMetrics, clusteringMetrics, regressionMetrics } from './metrics';
import type { Model, Predictions } from './models';
import type { OnnxOutputs } from './onnx/runtime';
import type { Matrix } from './preprocess';
import { Task, type Dataset } from './table';

/** Stored predictions on the test split (predictions.json). */
export const PredictionsFile = z.object({
  task: Task,
  classes: z.array(z.string()).optional(),
  yTrue: z.array(z.number()),
  /** Class index, value, or cluster. */
  yPred: z.array(z.number()),
  /** Binary classification: probability of classes[1]. */
  scores: z.array(z.number()).optional(),
  rowIds: z.array(z.number()),
});
export type PredictionsFile = z.infer<typeof PredictionsFile>;

export type Metrics =
  | ({ task: 'classification' } & ClassificationMetrics)
  | ({ task: 'regression' } & RegressionMetrics)
  | ({ task: 'clustering' } & ClusteringMetrics);

/** Predictions from ONNX outputs (probabilities/label, prediction, or distances/label). */
export function predictionsFromOnnx(model: Model, out: OnnxOutputs): Predictions {
  const f64 = (name: string) => Float64Array.from(out[name]!.data as ArrayLike<number>);
  const labels = () => Array.from(out.label!.data as ArrayLike<bigint>, Number);
  if (model.kind === 'kmeans') return { distances: f64('distances'), labels: labels() };
  if (model.task === 'regression') return { values: f64('prediction') };
  return { probabilities: f64('probabilities'), labels: labels() };
}

export function toPredictionsFile(model: Model, test: Dataset, p: Predictions): PredictionsFile {
  if (model.kind === 'kmeans') return { task: 'clustering', yTrue: test.y, yPred: p.labels!, rowIds: test.rowIds };
  if (model.task === 'regression')
    return { task: 'regression', yTrue: test.y, yPred: Array.from(p.values!), rowIds: test.rowIds };
  const C = model.classes!.length;
  return {
    task: 'classification',
    classes: model.classes,
    yTrue: test.y,
    yPred: p.labels!,
    rowIds: test.rowIds,
    ...(C === 2 && { scores: test.y.map((_, r) => p.probabilities![r * 2 + 1]!) }),
  };
}

/** Metrics for the task; `features` (model input space) is needed for clustering. */
export function metricsFor(model: Model, pf: PredictionsFile, features?: Matrix): Metrics {
  if (model.kind === 'kmeans')
    return { task: 'clustering', ...clusteringMetrics(features!, pf.yPred, model.centroids) };
  if (model.task === 'regression') return { task: 'regression', ...regressionMetrics(pf.yTrue, pf.yPred) };
  return { task: 'classification', ...classificationMetrics(pf.yTrue, pf.yPred, model.classes!, pf.scores) };
}

/** The scalar metrics (for heartbeats, the job stream and summaries). */
export function scalarMetrics(m: Metrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m))
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = Math.round(v * 1e6) / 1e6;
  return out;
}
