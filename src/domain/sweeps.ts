// Static sweeps, expanded at submit time before validation, so limits, pools, the plan and every
// view see concrete nodes. A node with `matrix` (the cartesian product of value lists) or `sweep`
// (`strategy: random` with a seed, log-uniform / uniform ranges and choice lists; or `grid`)
// becomes one node per trial, `<id>-t<index>`, with the trial's values merged into its config (a
// command or template node: into its params) and `trial: {group, index, params}`. A node that
// depends on a swept node runs once over all trials (fan-in, the default), or once per trial with
// `perTrial: true` (its copies depend on their own trial, and fan-in below them works the same
// way). The group's `maxParallel`, `minSuccessRatio` and `earlyStop` go to the job's `sweeps`.
// Pure and sandbox-safe (zod only); the output is a submission body for validateSubmission.
import { z } from 'zod';
import { LIMITS } from './job-spec';
import type { ErrorDetail } from './issues';
import { issueDetails } from './issues';
import { createRng } from './random';
import { EarlyStop, ParamPath, SuccessRatio, trialNodeId, type SweepGroupInput, type Trial } from './sweep-spec';
import { cachedSchema } from './schema-cache';

/** Most values in one list of a matrix or sweep space, and most swept paths. */
export const SWEEP_LIMITS = { maxValues: 1_000, maxPaths: 32, maxTrials: LIMITS.maxNodes } as const;

const ValueList = cachedSchema('src/domain/sweeps#ValueList', () =>
  z.array(z.unknown()).min(1, 'needs at least one value').max(SWEEP_LIMITS.maxValues),
);

/** A numeric range sampled by `strategy: random`: uniform, or log-uniform with `log: true`; `int` rounds. */
export const SweepRange = cachedSchema('src/domain/sweeps#SweepRange', () =>
  z
    .strictObject({
      min: z.number(),
      max: z.number(),
      log: z.boolean().default(false),
      int: z.boolean().default(false),
    })
    .refine((r) => r.min <= r.max, { message: '"min" must not be above "max"' })
    .refine((r) => !r.log || r.min > 0, { message: 'a log range needs min > 0' }),
);
export type SweepRange = z.infer<typeof SweepRange>;

const space = <T extends z.ZodType>(value: T) =>
  z
    .record(ParamPath, value)
    .refine((s) => Object.keys(s).length >= 1, { message: 'needs at least one path to sweep' })
    .refine((s) => Object.keys(s).length <= SWEEP_LIMITS.maxPaths, {
      message: `at most ${SWEEP_LIMITS.maxPaths} swept paths`,
    });

/** `matrix: { learningRate: [0.01, 0.1], hiddenLayers: [[16], [32, 16]] }`. */
export const Matrix = space(ValueList);

export const SweepSpec = cachedSchema('src/domain/sweeps#SweepSpec', () =>
  z.discriminatedUnion('strategy', [
    z.strictObject({ strategy: z.literal('grid'), space: space(ValueList) }),
    z.strictObject({
      strategy: z.literal('random'),
      count: z.number().int().min(1).max(SWEEP_LIMITS.maxTrials),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .default(0),
      space: space(z.union([ValueList, SweepRange])),
    }),
  ]),
);
export type SweepSpec = z.infer<typeof SweepSpec>;

/** The fields a node may carry before expansion (the swept node's; `perTrial` on its dependents). */
const SweepFields = cachedSchema('src/domain/sweeps#SweepFields', () =>
  z.strictObject({
    matrix: Matrix.optional(),
    sweep: SweepSpec.optional(),
    maxParallel: z.number().int().min(1).max(LIMITS.maxParallelism).optional(),
    minSuccessRatio: SuccessRatio.optional(),
    earlyStop: EarlyStop.optional(),
    perTrial: z.boolean().optional(),
  }),
);
type SweepFields = z.infer<typeof SweepFields>;
const SWEEP_KEYS = Object.keys(SweepFields.shape) as (keyof SweepFields)[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rounds a sampled float to 6 significant digits (readable ids and leaderboards; still deterministic). */
function tidy(x: number): number {
  return Number(x.toPrecision(6));
}

function sampleRange(r: SweepRange, u: number): number {
  const x = r.log ? Math.exp(Math.log(r.min) + u * (Math.log(r.max) - Math.log(r.min))) : r.min + u * (r.max - r.min);
  if (!r.int) return tidy(Math.min(r.max, Math.max(r.min, x)));
  return Math.min(Math.floor(r.max), Math.max(Math.ceil(r.min), Math.round(x)));
}

/** How many trials a grid over these lists makes (without building it). */
export function gridSize(lists: Record<string, readonly unknown[]>): number {
  return Object.values(lists).reduce((k, l) => k * l.length, 1);
}

/** The trials' values: grid = cartesian product (last path varies fastest); random = seeded draws per trial. */
export function trialValues(sweep: SweepSpec): Record<string, unknown>[] {
  if (sweep.strategy === 'grid') {
    let out: Record<string, unknown>[] = [{}];
    for (const [path, values] of Object.entries(sweep.space))
      out = out.flatMap((partial) => values.map((v) => ({ ...partial, [path]: v })));
    return out;
  }
  const paths = Object.keys(sweep.space).sort();
  // One stream per trial: the first n trials are the same whatever the count (a larger sweep extends a smaller one).
  return Array.from({ length: sweep.count }, (_, index) => {
    const rng = createRng(sweep.seed, index);
    const values: Record<string, unknown> = {};
    for (const path of paths) {
      const dim = sweep.space[path]!;
      values[path] = Array.isArray(dim) ? dim[rng.int(dim.length)] : sampleRange(dim, rng.next());
    }
    return values;
  });
}

/** Sets `a.b.c` in a copy of `obj`, creating mappings on the way; undefined when a step is not a mapping. */
function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> | undefined {
  const [head, ...rest] = keys;
  if (head === undefined) return obj;
  if (rest.length === 0) return { ...obj, [head]: value };
  const next = obj[head] === undefined ? {} : obj[head];
  if (!isRecord(next)) return undefined;
  const inner = setPath(next, rest, value);
  return inner && { ...obj, [head]: inner };
}

/**
 * Merges a trial's values into a node: `config.x` / `params.x` name the target; a bare path goes to
 * the params of a command (or template) node and to the config of any other node.
 */
function applyValues(
  node: Record<string, unknown>,
  values: Record<string, unknown>,
  at: string,
  errors: ErrorDetail[],
): Record<string, unknown> {
  let out = node;
  const command = node.type === 'command';
  for (const [path, value] of Object.entries(values)) {
    const keys = path.split('.');
    let field: 'config' | 'params' = command ? 'params' : 'config';
    if ((keys[0] === 'config' || keys[0] === 'params') && keys.length > 1) field = keys.shift() as 'config' | 'params';
    if (field === 'params' && !command) {
      errors.push({
        path: `${at}.${path}`,
        message: `a ${String(node.type)} node has no params; sweep its config ("${keys.join('.')}")`,
      });
      continue;
    }
    const base = out[field] === undefined ? {} : out[field];
    const merged = isRecord(base) ? setPath(base, keys, value) : undefined;
    if (!merged) {
      errors.push({
        path: `${at}.${path}`,
        message: `cannot set ${field}.${keys.join('.')}: a part of it is not a mapping`,
      });
      continue;
    }
    out = { ...out, [field]: merged };
  }
  return out;
}

/** Where an expanded node came from: its node in the submission, and the trial it is (copies only). */
export interface ExpandedOrigin {
  index: number;
  trial?: string;
}

export interface SweepExpansion {
  body: unknown;
  errors: ErrorDetail[];
  /** Per node of the expanded body, its node in the submission (for error paths). Empty when nothing was swept. */
  origins: ExpandedOrigin[];
}

/** A swept node, or a per-trial copy set: its group and its copies' ids by trial index. */
interface Replicated {
  group: string;
  ids: string[];
  params: Record<string, unknown>[];
}

/**
 * Expands every sweep of a DAG-form submission (templates already expanded). Returns the body
 * unchanged (and no origins) when no node sweeps. Errors carry the submission's paths.
 */
export function expandSweeps(body: unknown): SweepExpansion {
  const unchanged: SweepExpansion = { body, errors: [], origins: [] };
  if (!isRecord(body) || !Array.isArray(body.nodes)) return unchanged;
  const raw: unknown[] = body.nodes;
  const errors: ErrorDetail[] = [];
  const touches = raw.some((n) => isRecord(n) && (SWEEP_KEYS.some((k) => n[k] !== undefined) || n.trial !== undefined));
  if (!touches && body.sweeps === undefined) return unchanged;
  if (body.sweeps !== undefined)
    errors.push({ path: 'sweeps', message: 'is set by the server from the nodes\' "matrix" / "sweep"' });

  // Parse each node's sweep fields; the rest of the node is validated after expansion.
  const fields: (SweepFields | undefined)[] = raw.map((n, i) => {
    if (!isRecord(n)) return undefined;
    if (n.trial !== undefined)
      errors.push({ path: `nodes[${i}].trial`, message: 'is set by the server from "matrix" / "sweep"' });
    const picked = Object.fromEntries(SWEEP_KEYS.filter((k) => n[k] !== undefined).map((k) => [k, n[k]]));
    const r = SweepFields.safeParse(picked);
    if (!r.success) {
      errors.push(...issueDetails(r.error.issues, ['nodes', i]));
      return undefined;
    }
    const f = r.data;
    const swept = f.matrix !== undefined || f.sweep !== undefined;
    if (f.matrix !== undefined && f.sweep !== undefined)
      errors.push({ path: `nodes[${i}].sweep`, message: 'give either "matrix" or "sweep", not both' });
    if (swept && f.perTrial)
      errors.push({ path: `nodes[${i}].perTrial`, message: 'a swept node is already one node per trial' });
    for (const k of ['maxParallel', 'minSuccessRatio', 'earlyStop'] as const)
      if (f[k] !== undefined && !swept)
        errors.push({ path: `nodes[${i}].${k}`, message: `applies to a sweep: give the node a "matrix" or "sweep"` });
    return f;
  });

  // Every swept node's trials (values and ids).
  const replicated = new Map<string, Replicated>();
  const groups: Record<string, SweepGroupInput> = {};
  raw.forEach((n, i) => {
    const f = fields[i];
    if (!isRecord(n) || !f || typeof n.id !== 'string') return;
    const sweep: SweepSpec | undefined = f.matrix ? { strategy: 'grid', space: f.matrix } : f.sweep;
    if (!sweep) return;
    const count = sweep.strategy === 'grid' ? gridSize(sweep.space) : sweep.count;
    if (count > SWEEP_LIMITS.maxTrials) {
      errors.push({
        path: `nodes[${i}].${f.matrix ? 'matrix' : 'sweep'}`,
        message: `expands to ${count} trials; at most ${SWEEP_LIMITS.maxTrials} (a job has at most ${LIMITS.maxNodes} nodes)`,
      });
      return;
    }
    const params = trialValues(sweep);
    replicated.set(n.id, { group: n.id, ids: params.map((_, t) => trialNodeId(n.id as string, t, count)), params });
    groups[n.id] = {
      strategy: sweep.strategy,
      trials: count,
      ...(f.maxParallel !== undefined && { maxParallel: f.maxParallel }),
      ...(f.minSuccessRatio !== undefined && { minSuccessRatio: f.minSuccessRatio }),
      ...(f.earlyStop !== undefined && { earlyStop: f.earlyStop }),
    };
  });

  // perTrial nodes: copies of the group their replicated dependencies belong to (resolved depth-first).
  const byId = new Map<string, number>();
  raw.forEach((n, i) => isRecord(n) && typeof n.id === 'string' && !byId.has(n.id) && byId.set(n.id, i));
  const depsOf = (i: number): string[] => {
    const d = (raw[i] as Record<string, unknown>).dependsOn;
    return Array.isArray(d) ? d.filter((x): x is string => typeof x === 'string') : [];
  };
  const resolving = new Set<number>();
  const resolve = (i: number): Replicated | undefined => {
    const n = raw[i];
    if (!isRecord(n) || typeof n.id !== 'string') return undefined;
    const known = replicated.get(n.id);
    if (known || !fields[i]?.perTrial || resolving.has(i)) return known;
    resolving.add(i); // a cycle through perTrial nodes is left for validation to report
    const found = new Map<string, Replicated>();
    for (const dep of depsOf(i)) {
      const j = byId.get(dep);
      const r = j === undefined ? undefined : resolve(j);
      if (r) found.set(r.group, r);
    }
    resolving.delete(i);
    if (found.size !== 1) {
      errors.push({
        path: `nodes[${i}].perTrial`,
        message:
          found.size === 0
            ? `node "${n.id}" depends on no swept node (or per-trial node), so there is no trial to run it per`
            : `node "${n.id}" depends on several sweeps (${[...found.keys()].join(', ')}); perTrial needs exactly one`,
      });
      return undefined;
    }
    const g = [...found.values()][0]!;
    const copies: Replicated = {
      group: g.group,
      ids: g.params.map((_, t) => trialNodeId(n.id as string, t, g.ids.length)),
      params: g.params,
    };
    replicated.set(n.id, copies);
    return copies;
  };
  raw.forEach((_, i) => resolve(i));
  if (errors.length) return { body, errors, origins: [] };

  // The expanded node list: copies in trial order where their node was; dependencies rewritten.
  const nodes: unknown[] = [];
  const origins: ExpandedOrigin[] = [];
  raw.forEach((n, i) => {
    if (!isRecord(n)) {
      nodes.push(n);
      origins.push({ index: i });
      return;
    }
    const base = Object.fromEntries(Object.entries(n).filter(([k]) => !(SWEEP_KEYS as string[]).includes(k)));
    const rep = typeof n.id === 'string' ? replicated.get(n.id) : undefined;
    const rewriteDeps = (trialIndex: number | undefined): unknown => {
      if (!Array.isArray(n.dependsOn)) return n.dependsOn;
      return n.dependsOn.flatMap((d: unknown) => {
        const r = typeof d === 'string' ? replicated.get(d) : undefined;
        if (!r) return [d];
        // A copy of the same group depends on its own trial; anything else fans in over all of them.
        return trialIndex !== undefined && rep && r.group === rep.group ? [r.ids[trialIndex]!] : r.ids;
      });
    };
    if (!rep) {
      nodes.push({ ...base, ...(n.dependsOn !== undefined && { dependsOn: rewriteDeps(undefined) }) });
      origins.push({ index: i });
      return;
    }
    const isSwept = rep.group === n.id;
    rep.ids.forEach((id, t) => {
      const values = rep.params[t]!;
      let node: Record<string, unknown> = { ...base, id };
      if (n.dependsOn !== undefined) node.dependsOn = rewriteDeps(t);
      if (isSwept)
        node = applyValues(node, values, `nodes[${i}].${fields[i]?.matrix ? 'matrix' : 'sweep.space'}`, errors);
      const trial: Trial = { group: rep.group, index: t, params: values };
      nodes.push({ ...node, trial });
      origins.push({ index: i, trial: id });
    });
  });
  return { body: { ...body, nodes, ...(Object.keys(groups).length && { sweeps: groups }) }, errors, origins };
}

/** Rewrites `nodes[k]` paths of the expanded body to the submission's node, naming the trial. */
export function remapSweepErrors(errors: ErrorDetail[], origins: readonly ExpandedOrigin[]): ErrorDetail[] {
  if (origins.length === 0) return errors;
  const seen = new Set<string>();
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    const m = /^nodes\[(\d+)\]/.exec(e.path);
    const o = m ? origins[Number(m[1])] : undefined;
    const mapped = o
      ? {
          path: `nodes[${o.index}]${e.path.slice(m![0].length)}`,
          message: o.trial ? `trial ${o.trial}: ${e.message}` : e.message,
        }
      : e;
    // The same problem in every trial is said once per trial (messages differ), never silently dropped.
    const key = `${mapped.path}\0${mapped.message}`;
    if (!seen.has(key)) out.push(mapped);
    seen.add(key);
  }
  return out;
}
