// Vega-Lite specs for Trainyard's plots (data inline) and rendering them to SVG off the event loop.
import type { MetricPoint } from '../../src/domain/metrics-history';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EpochRecord } from './models';

type Spec = Record<string, unknown>;

export function lossSpec(history: EpochRecord[], metricName: string): Spec {
  const values = history.flatMap((h) => [
    { epoch: h.epoch, series: 'training loss', value: h.loss },
    { epoch: h.epoch, series: `validation ${metricName}`, value: h.valMetric },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Training loss and validation metric',
    width: 480,
    height: 260,
    data: { values },
    mark: { type: 'line', point: history.length <= 50 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** A command node's metrics history: one line per reported number, against epoch (or report number). */
export function metricsSpec(points: MetricPoint[], nodeId: string): Spec {
  const useEpoch = points.every((p) => p.epoch !== undefined);
  const values = points.flatMap((p, i) => {
    const x = useEpoch ? p.epoch! : i + 1;
    const series: [string, number | undefined][] = [
      ['loss', p.loss],
      ['valMetric', p.valMetric],
      ...Object.entries(p.metrics),
    ];
    return series.filter(([, v]) => v !== undefined).map(([series, value]) => ({ x, series, value }));
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Metrics reported by ${nodeId}`,
    width: 480,
    height: 260,
    data: { values },
    mark: { type: 'line', point: points.length <= 50 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: useEpoch ? 'epoch' : 'report' },
      y: { field: 'value', type: 'quantitative', title: null },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export function confusionSpec(cm: number[][], classes: string[]): Spec {
  const values = cm.flatMap((row, t) => row.map((count, p) => ({ actual: classes[t], predicted: classes[p], count })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix (test split)',
    width: 60 * classes.length + 60,
    height: 60 * classes.length + 60,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: classes },
      y: { field: 'actual', type: 'nominal', sort: classes },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' } } } },
      { mark: { type: 'text', fontSize: 14 }, encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
  };
}

export function rocSpec(points: { fpr: number; tpr: number }[], auc: number): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `ROC curve (AUC ${auc.toFixed(4)})`,
    width: 320,
    height: 320,
    layer: [
      {
        data: { values: points.map((p, i) => ({ ...p, i })) },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false-positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true-positive rate', scale: { domain: [0, 1] } },
          order: { field: 'i', type: 'quantitative' },
        },
      },
      {
        data: {
          values: [
            { x: 0, y: 0 },
            { x: 1, y: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

export function predVsActualSpec(actual: number[], predicted: number[]): Spec {
  const lo = Math.min(...actual, ...predicted);
  const hi = Math.max(...actual, ...predicted);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Predicted vs actual (test split)',
    width: 360,
    height: 360,
    layer: [
      {
        data: { values: actual.map((a, i) => ({ actual: a, predicted: predicted[i] })) },
        mark: { type: 'point', filled: true, opacity: 0.6 },
        encoding: {
          x: { field: 'actual', type: 'quantitative', scale: { domain: [lo, hi] } },
          y: { field: 'predicted', type: 'quantitative', scale: { domain: [lo, hi] } },
        },
      },
      {
        data: {
          values: [
            { x: lo, y: lo },
            { x: hi, y: hi },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: 'gray' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

/** Renders Vega-Lite specs to SVG strings in a worker thread (vega is ESM-only). */
export function renderSvgs(specs: Spec[], signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'render-worker.mjs'), { workerData: { specs } });
    const onAbort = (): void => {
      void worker.terminate();
      reject(signal?.reason ?? new Error('cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (svgs: string[]) => resolve(svgs));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (code !== 0) reject(new Error(`SVG renderer exited with code ${code}`));
    });
  });
}
