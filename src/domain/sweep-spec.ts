// What a sweep leaves in the expanded spec (the snapshot a job runs from): every trial is a plain
// node carrying `trial: {group, index, params}`, and the job's `sweeps` record holds each group's
// settings (how many trials, how many may run at once, the success ratio its fan-in needs, early
// stopping). Written by the submit-time expansion (sweeps.ts), read by validation, the plan, the
// workflow and the views. Sandbox-safe (zod only).
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

/** A dotted path into a node's config or params: `learningRate`, `optimizer.lr`, `params.lr`. */
export const PARAM_PATH_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export const ParamPath = cachedSchema('src/domain/sweep-spec#ParamPath', () =>
  z
    .string()
    .min(1)
    .max(256)
    .regex(PARAM_PATH_RE, 'must be a dotted path of field names, e.g. "learningRate" or "optimizer.lr"'),
);

/** A trial node: which sweep it belongs to, its index there, and the values it was given. */
export const Trial = cachedSchema('src/domain/sweep-spec#Trial', () =>
  z.strictObject({
    /** The swept node's id (the group's key in JobSpec.sweeps). */
    group: z.string().min(1).max(64),
    index: z.number().int().min(0),
    /** Swept path → value, as written in the sweep (`learningRate: 0.01`). */
    params: z.record(z.string(), z.unknown()),
  }),
);
export type Trial = z.infer<typeof Trial>;

export const EARLY_STOP_RULES = ['median'] as const;

/**
 * Early stopping (Katib's median stopping rule): from epoch `afterEpochs` on, a running trial whose
 * `metric` at epoch e is worse than the median of the other trials' values at epoch e is stopped.
 */
export const EarlyStop = cachedSchema('src/domain/sweep-spec#EarlyStop', () =>
  z.strictObject({
    /** A metric the trials report per epoch: `valMetric`, `loss`, or a key of their progress `metrics`. */
    metric: z.string().min(1).max(128),
    mode: z.enum(['max', 'min']),
    rule: z.enum(EARLY_STOP_RULES).default('median'),
    /** No trial is stopped before this epoch. */
    afterEpochs: z.number().int().min(1).max(100_000).default(1),
    /** Trials report (and are judged) every N epochs: fewer reports, a shorter history. */
    every: z.number().int().min(1).max(100_000).default(1),
    /** Other trials that must have reached an epoch before a trial is judged there. */
    minTrials: z.number().int().min(1).max(10_000).default(2),
  }),
);
export type EarlyStop = z.infer<typeof EarlyStop>;

/** Success ratio of a map or sweep: (0, 1]; 1 = every item must succeed. */
export const SuccessRatio = cachedSchema('src/domain/sweep-spec#SuccessRatio', () => z.number().gt(0).max(1));

/** One sweep's settings, kept in JobSpec.sweeps under the swept node's id. */
export const SweepGroup = cachedSchema('src/domain/sweep-spec#SweepGroup', () =>
  z.strictObject({
    strategy: z.enum(['grid', 'random']),
    /** Trials the sweep expanded to. */
    trials: z.number().int().min(1),
    /** Trials of this sweep running at once (default: the job's parallelism). */
    maxParallel: z.number().int().min(1).optional(),
    /** Share of trials that must end completed (or stopped) for the nodes fanning in over them to run. */
    minSuccessRatio: SuccessRatio.default(1),
    earlyStop: EarlyStop.optional(),
  }),
);
export type SweepGroup = z.infer<typeof SweepGroup>;
export type SweepGroupInput = z.input<typeof SweepGroup>;

/** A trial's node id: `<node>-t<index>`, the index zero-padded to the width of the largest one. */
export function trialNodeId(base: string, index: number, trials: number): string {
  return `${base}-t${String(index).padStart(String(Math.max(0, trials - 1)).length, '0')}`;
}

/** Most items one `foreach` expands to. */
export const MAX_FOREACH_ITEMS = 10_000;
/** Most bytes of a `foreach` list (as JSON): the items are carried across continue-as-new. */
export const MAX_FOREACH_LIST_BYTES = 512 * 1024;

/**
 * Dynamic fan-out: the node runs once per item of a list that its upstream node `node` produces
 * (known only at run time): `field` is a dotted path into that node's output summary (a command
 * step's `result.shards`, a summary key). The job workflow expands it when `node` completes.
 */
export const ForeachSpec = cachedSchema('src/domain/sweep-spec#ForeachSpec', () =>
  z.strictObject({
    node: z.string().min(1).max(64),
    field: ParamPath,
    /** Items running at once (default: the job's parallelism). */
    maxParallel: z.number().int().min(1).max(500).optional(),
    /** Share of items that must complete for the map (and the nodes below it) to succeed. */
    minSuccessRatio: SuccessRatio.default(1),
  }),
);
export type ForeachSpec = z.infer<typeof ForeachSpec>;

/** An item node of a foreach: `<map>-i<index>`, the index zero-padded to the width of the largest one. */
export function itemNodeId(map: string, index: number, items: number): string {
  return `${map}-i${String(index).padStart(String(Math.max(0, items - 1)).length, '0')}`;
}
