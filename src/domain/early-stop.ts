// Early stopping of sweep trials (Katib's median stopping rule, inside the DAG): trials report their
// metric to their job's workflow as they go (a signal per `every` epochs — durable in the history,
// replayed after a worker crash, carried across continue-as-new); the workflow stops a running
// trial whose value at epoch e is worse than the median of the other trials' values at epoch e.
// Pure and sandbox-safe.
import { z } from 'zod';
import type { EarlyStop } from './sweep-spec';
import type { StepHeartbeat } from './step-io';
import { cachedSchema } from './schema-cache';

/** What a trial's step sends to its job's workflow (`trialMetric` signal). */
export const TrialMetricReport = cachedSchema('src/domain/early-stop#TrialMetricReport', () =>
  z.strictObject({
    nodeId: z.string().min(1).max(64),
    /** The workflow's execution number of the node (reports of an older execution are ignored). */
    execution: z.number().int().min(1),
    epoch: z.number().int().min(1),
    value: z.number().refine(Number.isFinite, 'must be a finite number'),
  }),
);
export type TrialMetricReport = z.infer<typeof TrialMetricReport>;

/** The metric in a heartbeat: `valMetric`, `loss`, or a key of its `metrics`. */
export function heartbeatMetric(hb: StepHeartbeat, metric: string): number | undefined {
  const v = hb.metrics?.[metric] ?? (metric === 'valMetric' ? hb.valMetric : metric === 'loss' ? hb.loss : undefined);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per group: per trial index, the value reported at each epoch. */
export type GroupMetrics = Map<number, Map<number, number>>;

/**
 * The trials to stop at epoch `epoch` under the median rule: of `candidates` (running trials, by
 * index), each one with a value at `epoch` that is worse (strictly) than the median of the other
 * trials' values at `epoch` — once `epoch` ≥ afterEpochs and at least `minTrials` others reached it.
 * Every trial that reported counts among the others, stopped and finished ones included.
 */
export function medianStops(
  rule: EarlyStop,
  metrics: GroupMetrics,
  epoch: number,
  candidates: readonly number[],
): { index: number; value: number; median: number; others: number }[] {
  if (epoch < rule.afterEpochs || epoch % rule.every !== 0) return [];
  const stops: { index: number; value: number; median: number; others: number }[] = [];
  for (const t of candidates) {
    const value = metrics.get(t)?.get(epoch);
    if (value === undefined) continue;
    const others: number[] = [];
    for (const [u, byEpoch] of metrics) {
      const v = u === t ? undefined : byEpoch.get(epoch);
      if (v !== undefined) others.push(v);
    }
    if (others.length < rule.minTrials) continue;
    const med = median(others);
    if (rule.mode === 'max' ? value < med : value > med)
      stops.push({ index: t, value, median: med, others: others.length });
  }
  return stops;
}
