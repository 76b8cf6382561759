// The built-in `select` step's contracts and its ranking: which upstream node (a sweep's trial, or
// its per-trial evaluation) is best by a metric, and a leaderboard of every candidate — its
// params, metric, status and GPU time. The workflow hands the step its candidates (every direct
// parent, with the status and GPU time only the workflow knows); the step ranks the completed
// ones with the metric found in their outputs. Pure and sandbox-safe (zod only).
import { z } from 'zod';
import type { SelectConfig } from './node-types';
import { NodeStatus } from './statuses';
import { SelectCandidate, type StepOutput } from './step-io';
import { cachedSchema } from './schema-cache';

export { SelectCandidate };

export const LeaderboardRow = cachedSchema('src/domain/select#LeaderboardRow', () =>
  z.object({
    /** 1 = best; absent for candidates that were not ranked (not completed, or no such metric). */
    rank: z.number().int().min(1).optional(),
    nodeId: z.string(),
    trial: z.object({ group: z.string(), index: z.number().int() }).optional(),
    params: z.record(z.string(), z.unknown()),
    metric: z.number().nullable(),
    status: NodeStatus,
    gpuSeconds: z.number(),
    /** Why it is not ranked, or its error. */
    note: z.string().optional(),
  }),
);
export type LeaderboardRow = z.infer<typeof LeaderboardRow>;

/** What a select node chose: the leaderboard artifact's content, and (rows capped) its output summary's `leaderboard`. */
export const Leaderboard = cachedSchema('src/domain/select#Leaderboard', () =>
  z.object({
    metric: z.string(),
    mode: z.enum(['max', 'min']),
    /** The winner's node id. */
    winner: z.string(),
    /** Ranked rows first (best first), then the rest in candidate order. */
    rows: z.array(LeaderboardRow),
    /** Candidates in all (rows may be capped in a summary). */
    candidates: z.number().int(),
    ranked: z.number().int(),
    /** Set when `rows` holds only the first rows (the artifact holds all). */
    truncated: z.boolean().optional(),
  }),
);
export type Leaderboard = z.infer<typeof Leaderboard>;

/** A leaderboard in the job view: the select node it came from. */
export const JobLeaderboard = cachedSchema('src/domain/select#JobLeaderboard', () =>
  Leaderboard.extend({ node: z.string() }),
);
export type JobLeaderboard = z.infer<typeof JobLeaderboard>;

/** Rows of a leaderboard kept in the select node's summary (the artifact keeps every row). */
export const SUMMARY_LEADERBOARD_ROWS = 100;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The metric in a step output: `summary.metrics[metric]` (evaluate), `summary.result[metric]`
 * (command steps' result), train's final `valMetric` (asked for as `valMetric` or by its name), or
 * a number at `summary[metric]`.
 */
export function metricOf(output: StepOutput, metric: string): number | undefined {
  const s = output.summary;
  const fromMetrics = isRecord(s.metrics) ? finite(s.metrics[metric]) : undefined;
  if (fromMetrics !== undefined) return fromMetrics;
  const fromResult = isRecord(s.result) ? finite(s.result[metric]) : undefined;
  if (fromResult !== undefined) return fromResult;
  if (metric === 'valMetric' || (typeof s.valMetricName === 'string' && s.valMetricName === metric)) {
    const v = finite(s.valMetric);
    if (v !== undefined) return v;
  }
  return finite(s[metric]);
}

/** The metric names an output offers (for the message when none matches). */
export function metricNamesOf(output: StepOutput): string[] {
  const s = output.summary;
  const names = new Set<string>();
  for (const bag of [s.metrics, s.result])
    if (isRecord(bag)) for (const [k, v] of Object.entries(bag)) if (finite(v) !== undefined) names.add(k);
  if (finite(s.valMetric) !== undefined) {
    names.add('valMetric');
    if (typeof s.valMetricName === 'string') names.add(s.valMetricName);
  }
  for (const [k, v] of Object.entries(s)) if (finite(v) !== undefined) names.add(k);
  return [...names].sort();
}

/**
 * Ranks the candidates: completed ones with the metric, best first (ties: candidate order), then
 * every other candidate in its order, with the reason it is not ranked. Returns undefined as the
 * winner when nothing could be ranked.
 */
export function rankCandidates(
  candidates: readonly SelectCandidate[],
  outputs: Readonly<Record<string, StepOutput>>,
  config: SelectConfig,
): { winner: string | undefined; rows: LeaderboardRow[] } {
  const ranked: { row: LeaderboardRow; at: number; value: number }[] = [];
  const rest: LeaderboardRow[] = [];
  candidates.forEach((c, at) => {
    const base = {
      nodeId: c.nodeId,
      ...(c.trial && { trial: c.trial }),
      params: c.params,
      status: c.status,
      gpuSeconds: round3(c.gpuSeconds),
    };
    const out = outputs[c.nodeId];
    const value = c.status === 'completed' && out ? metricOf(out, config.metric) : undefined;
    if (value !== undefined) {
      ranked.push({ row: { ...base, metric: value }, at, value });
      return;
    }
    const note =
      c.status !== 'completed'
        ? (c.error ?? `not ranked: ${c.status}`)
        : `not ranked: its output has no metric "${config.metric}"${out ? ` (it has: ${metricNamesOf(out).join(', ') || 'none'})` : ''}`;
    rest.push({ ...base, metric: null, note });
  });
  const sign = config.mode === 'max' ? -1 : 1;
  ranked.sort((a, b) => sign * (a.value - b.value) || a.at - b.at);
  const rows = [...ranked.map(({ row }, k) => ({ rank: k + 1, ...row })), ...rest];
  return { winner: ranked[0]?.row.nodeId, rows };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
