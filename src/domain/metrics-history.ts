// A node's metrics history: every progress report a step made (epoch, loss, any numeric metric),
// kept as a JSON-lines artifact (`metrics.jsonl` in the node's folder) and served by
// GET /v1/jobs/:id/nodes/:node/metrics. Bounded: MAX_POINTS lines per node, MAX_KEYS metrics each.
// Sandbox-safe (zod only).
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

export const METRICS_FILE = 'metrics.jsonl';
export const MAX_POINTS = 20_000;
export const MAX_KEYS = 50;
const MAX_KEY_LENGTH = 64;
/** Fields of a progress report shown as such; every other number is a named metric. */
const PROGRESS_FIELDS = ['epoch', 'epochs', 'loss', 'valMetric', 'percent'] as const;

/** One epoch of the built-in trainer. */
export const EpochRecord = cachedSchema('src/domain/metrics-history#EpochRecord', () =>
  z.object({ epoch: z.number().int(), loss: z.number(), valMetric: z.number() }),
);
export type EpochRecord = z.infer<typeof EpochRecord>;

/** loss-history.json, a built-in train node's artifact: the per-epoch loss and validation metric. */
export const LossHistory = cachedSchema('src/domain/metrics-history#LossHistory', () =>
  z.object({ metricName: z.string(), epochs: z.array(EpochRecord) }),
);
export type LossHistory = z.infer<typeof LossHistory>;

export const MetricPoint = cachedSchema('src/domain/metrics-history#MetricPoint', () =>
  z.object({
    /** When the step reported it (ISO time, worker clock). */
    t: z.string(),
    attempt: z.number().int(),
    epoch: z.number().optional(),
    epochs: z.number().optional(),
    loss: z.number().optional(),
    valMetric: z.number().optional(),
    percent: z.number().optional(),
    metrics: z.record(z.string(), z.number()),
  }),
);
export type MetricPoint = z.infer<typeof MetricPoint>;

export const NodeMetrics = cachedSchema('src/domain/metrics-history#NodeMetrics', () =>
  z.object({
    jobId: z.string(),
    nodeId: z.string(),
    /** Oldest first, across attempts. */
    points: z.array(MetricPoint),
    /** Every metric name seen (the keys of `metrics`), sorted. */
    keys: z.array(z.string()),
    /** True when the step reported more than MAX_POINTS times (the later reports were not kept). */
    truncated: z.boolean(),
  }),
);
export type NodeMetrics = z.infer<typeof NodeMetrics>;

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A progress report (a parsed `TRAINYARD_PROGRESS` object) as a history point: the known fields,
 * then every other finite number — top level or under `metrics` — as a named metric.
 */
export function pointFromProgress(progress: Record<string, unknown>, attempt: number, at: Date): MetricPoint {
  const point: MetricPoint = { t: at.toISOString(), attempt, metrics: {} };
  for (const k of PROGRESS_FIELDS) if (finite(progress[k])) point[k] = progress[k];
  const add = (k: string, v: unknown) => {
    if (!finite(v) || k.length > MAX_KEY_LENGTH || Object.keys(point.metrics).length >= MAX_KEYS) return;
    point.metrics[k] = v;
  };
  const nested = progress.metrics;
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested))
    for (const [k, v] of Object.entries(nested)) add(k, v);
  for (const [k, v] of Object.entries(progress))
    if (!(PROGRESS_FIELDS as readonly string[]).includes(k) && k !== 'metrics') add(k, v);
  return point;
}

/** True when a point says nothing worth keeping (a heartbeat with no number). */
export function isEmptyPoint(p: MetricPoint): boolean {
  return PROGRESS_FIELDS.every((k) => p[k] === undefined) && Object.keys(p.metrics).length === 0;
}
