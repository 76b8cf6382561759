// The spec validator: a pure function run by the API, CLI, SDK and again inside the workflow.
// Sandbox-safe: zod and src/domain only. It returns every problem at once, each with the JSON path
// of the offending field. Graph rules run even when the schema fails (on whatever parts of the
// input are well-formed), and stay O(nodes + edges) for 10,000-node specs.
import type { z } from 'zod';
import { buildDag, findCycles, topologicalIndices } from './dag';
import { Duration } from './duration';
import { JobSpec, LIMITS, SingleJobSpec, isSingleJobForm, singleJobToDag } from './job-spec';
import { NODE_CONFIG_SCHEMAS, NODE_TYPES, type NodeType } from './node-types';
import { issueDetails, type ErrorDetail } from './issues';
import { allowlistMayAdmit } from './allowlist';
import { deniedEnvReason } from './step-env';
import { STEP_LIMIT_KEYS, type StepLimits } from './step-limits';
import { MAX_FOREACH_ITEMS, itemNodeId } from './sweep-spec';
import { choosePool, describePool, describeRequest, gpuRequest, largestPool, type PoolSpec } from './pools';

/** One problem with the spec, at its JSON path ("nodes[3].dependsOn[0]"). */
export type ValidationError = ErrorDetail;

export interface ValidationContext {
  /** Executables a `command` node may run (TRAINYARD_ALLOWED_COMMANDS). Omitted = not checked (workflow re-validation). */
  allowedCommands?: string[];
  /** GPU pools; omitted = not checked. */
  pools?: PoolSpec[];
  /** Reject nodes whose `configPath` was not loaded into `config` (the API/CLI set this after resolving files). */
  requireResolvedConfig?: boolean;
  /** The deployment's step templates (TRAINYARD_STEP_TEMPLATES), named when a node type is unknown. */
  templateNames?: string[];
  /** The most a command node may ask for (TRAINYARD_STEP_LIMITS_MAX); omitted = not checked here (the worker checks). */
  stepLimitsMax?: StepLimits;
}

/** "unknown node type": what may be used instead, built-ins and this deployment's templates. */
function unknownTypeMessage(value: unknown, ctx: ValidationContext): string {
  const templates = ctx.templateNames ?? [];
  return `unknown node type ${JSON.stringify(value)}: use a built-in type (${NODE_TYPES.join(', ')})${
    templates.length
      ? ` or a step template of this deployment (${templates.join(', ')})`
      : ' (this deployment registers no step templates)'
  }`;
}

/** Replaces zod's enum message on `type` / `jobType` with one that lists the choices, templates included. */
function nameUnknownTypes(errors: ValidationError[], body: unknown, ctx: ValidationContext): ValidationError[] {
  return errors.map((e) => {
    const m = /^nodes\[(\d+)\]\.type$/.exec(e.path);
    const value = m ? rawNodes(body)[Number(m[1])] : e.path === 'jobType' && isRecord(body) ? body : undefined;
    const type = isRecord(value) ? (m ? value.type : value.jobType) : undefined;
    if (typeof type !== 'string' || asNodeType(type) !== undefined) return e;
    return { path: e.path, message: unknownTypeMessage(type, ctx) };
  });
}

export type ValidationResult = { ok: true; spec: JobSpec } | { ok: false; errors: ValidationError[] };

/** At most this many cycles are reported (each costs a message, not time). */
const MAX_REPORTED_CYCLES = 10;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const TYPE_BIT: Record<NodeType, number> = Object.fromEntries(NODE_TYPES.map((t, i) => [t, 1 << i])) as Record<
  NodeType,
  number
>;
/** Set on nodes whose ancestry is not fully known (unknown type upstream, dangling dependency). */
const UNKNOWN_BIT = 1 << NODE_TYPES.length;

/** What the node-level rules need, read leniently so they run even when the schema fails. */
interface LooseNode {
  id: string | undefined;
  type: NodeType | undefined;
  /** dependsOn entries with their indices (non-strings skipped: the schema reports them). */
  deps: { value: string; at: number }[];
  config: Record<string, unknown> | undefined;
  hasConfigPath: boolean;
  hasParamsFile: boolean;
  hasParams: boolean;
  /** retry.initialInterval / retry.maxInterval in ms, when given and valid (undefined otherwise). */
  retryIntervals: { initial: number; max: number | undefined };
  template: unknown;
  /** A sweep trial: trials of a lone swept node have no edges, and are not orphans. */
  isTrial: boolean;
  resources: { gpus?: number; gpuMemoryGb?: number } | undefined;
  /** `resources` as written (its limits are checked against the deployment's maxima). */
  rawResources: Record<string, unknown> | undefined;
}

function asNodeType(v: unknown): NodeType | undefined {
  return typeof v === 'string' && (NODE_TYPES as readonly string[]).includes(v) ? (v as NodeType) : undefined;
}

/** `raw` as parsed (defaults filled in) when the schema passed, else as written; `written` as written. */
function looseNode(raw: unknown, written: unknown): LooseNode {
  const r = isRecord(raw) ? raw : {};
  const deps: LooseNode['deps'] = [];
  if (Array.isArray(r.dependsOn)) r.dependsOn.forEach((d, at) => typeof d === 'string' && deps.push({ value: d, at }));
  const type = asNodeType(r.type);
  let resources: LooseNode['resources'] = {};
  if (r.resources !== undefined) {
    const res = isRecord(r.resources) ? r.resources : undefined;
    const gpus = res?.gpus;
    const mem = res?.gpuMemoryGb;
    const okGpus = gpus === undefined || (typeof gpus === 'number' && Number.isInteger(gpus) && gpus >= 0);
    const okMem = mem === undefined || (typeof mem === 'number' && Number.isFinite(mem) && mem >= 0);
    resources =
      res && okGpus && okMem
        ? {
            ...(gpus !== undefined && { gpus: gpus as number }),
            ...(mem !== undefined && { gpuMemoryGb: mem as number }),
          }
        : undefined;
  }
  return {
    id: typeof r.id === 'string' ? r.id : undefined,
    type,
    deps,
    retryIntervals: retryIntervalsOf(written),
    config: r.config === undefined ? {} : isRecord(r.config) ? r.config : undefined,
    hasConfigPath: r.configPath !== undefined,
    hasParamsFile: r.paramsFile !== undefined,
    hasParams: r.params !== undefined,
    template: r.template,
    isTrial: r.trial !== undefined,
    resources,
    rawResources: isRecord(r.resources) ? r.resources : undefined,
  };
}

/** The retry intervals as written (not with the schema's defaults filled in). */
function retryIntervalsOf(rawNode: unknown): LooseNode['retryIntervals'] {
  const retry = isRecord(rawNode) && isRecord(rawNode.retry) ? rawNode.retry : {};
  return {
    initial: retry.initialInterval === undefined ? 1000 : (intervalMs(retry.initialInterval) ?? 0),
    max: intervalMs(retry.maxInterval),
  };
}

// Module-level, not a closure per node: this runs for every node of a spec (50,000 at most).
function intervalMs(v: unknown): number | undefined {
  // A failed safeParse builds a ZodError (tens of µs): 50,000 nodes without maxInterval paid it each.
  if (v === undefined) return undefined;
  const p = Duration.safeParse(v);
  return p.success ? p.data : undefined;
}

const q = (s: string): string => JSON.stringify(s);

/** Graph rules: ids, dependencies, cycles, orphans, connection types. */
function checkGraph(nodes: readonly LooseNode[], errors: ValidationError[]): void {
  const firstAt = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (node.id === undefined) return;
    const first = firstAt.get(node.id);
    if (first === undefined) firstAt.set(node.id, i);
    else
      errors.push({ path: `nodes[${i}].id`, message: `duplicate id ${q(node.id)}: already used by nodes[${first}]` });
  });

  const referenced = new Set<string>();
  const graphNodes: { id: string; dependsOn: string[] }[] = [];
  const rawIndex: number[] = [];
  const incomplete: boolean[] = [];
  nodes.forEach((node, i) => {
    const seen = new Map<string, number>();
    const valid: string[] = [];
    let dangling = false;
    for (const { value, at } of node.deps) {
      const prev = seen.get(value);
      if (prev !== undefined) {
        errors.push({
          path: `nodes[${i}].dependsOn[${at}]`,
          message: `${q(value)} is listed more than once (first at dependsOn[${prev}])`,
        });
        continue;
      }
      seen.set(value, at);
      if (value === node.id) {
        errors.push({ path: `nodes[${i}].dependsOn[${at}]`, message: `node ${q(value)} depends on itself` });
        continue;
      }
      referenced.add(value);
      if (!firstAt.has(value)) {
        errors.push({ path: `nodes[${i}].dependsOn[${at}]`, message: `depends on unknown node ${q(value)}` });
        dangling = true;
        continue;
      }
      valid.push(value);
    }
    if (node.id !== undefined && firstAt.get(node.id) === i) {
      graphNodes.push({ id: node.id, dependsOn: valid });
      rawIndex.push(i);
      incomplete.push(dangling);
    }
  });

  const dag = buildDag(graphNodes);
  const order = topologicalIndices(dag);

  if (order.length < graphNodes.length) {
    for (const cycle of findCycles(dag, MAX_REPORTED_CYCLES)) {
      // The edge that closes the cycle: its first node depends on its last distinct node.
      const first = rawIndex[dag.index.get(cycle[0]!)!]!;
      const closing = cycle[cycle.length - 2]!;
      const at = nodes[first]!.deps.find((d) => d.value === closing)?.at ?? 0;
      errors.push({ path: `nodes[${first}].dependsOn[${at}]`, message: `dependency cycle: ${cycle.join(' -> ')}` });
    }
  }

  if (nodes.length > 1) {
    nodes.forEach((node, i) => {
      if (
        node.id === undefined ||
        node.isTrial ||
        node.deps.length > 0 ||
        referenced.has(node.id) ||
        firstAt.get(node.id) !== i
      )
        return;
      errors.push({
        path: `nodes[${i}]`,
        message: `node ${q(node.id)} is not connected: it depends on nothing and nothing depends on it (a multi-node DAG has no orphans)`,
      });
    });
  }

  // Ancestor node types as bit masks, propagated in topological order (nodes on or below a cycle are skipped).
  const ancestry = new Int32Array(graphNodes.length);
  for (const g of order) {
    let mask = incomplete[g] ? UNKNOWN_BIT : 0;
    for (const p of dag.parents[g]!) {
      const pt = nodes[rawIndex[p]!]!.type;
      mask |= ancestry[p]! | (pt === undefined ? UNKNOWN_BIT : TYPE_BIT[pt]);
    }
    ancestry[g] = mask;
    const i = rawIndex[g]!;
    const { id, type } = nodes[i]!;
    if (type === undefined || mask & UNKNOWN_BIT) continue;
    const problem = connectionProblem(type, mask);
    if (problem) errors.push({ path: `nodes[${i}].dependsOn`, message: `node ${q(id!)} (${type}) ${problem}` });
  }
}

/** Why a node of `type` cannot have these ancestor types, or null when it can. */
function connectionProblem(type: NodeType, mask: number): string | null {
  switch (type) {
    case 'evaluate': {
      if (hasType(mask, 'train') && hasType(mask, 'split')) return null;
      const missing = (['train', 'split'] as const).filter((t) => !hasType(mask, t));
      if (missing.length === 0) return null;
      return `needs a "train" ancestor and a "split" ancestor; it has no ${missing.map(q).join(' or ')} ancestor`;
    }
    case 'export':
      return hasType(mask, 'train') ? null : 'needs a "train" ancestor; it has none';
    case 'visualize':
      return hasType(mask, 'train') || hasType(mask, 'evaluate') || hasType(mask, 'command')
        ? null
        : 'needs a "train", "evaluate" or "command" ancestor; it has none';
    // The built-in steps read what these ancestors write (dataset → table → split rows → fitted
    // features), so a missing link would only fail at run time; refuse it before anything starts.
    case 'split':
      return hasType(mask, 'dataset') ? null : 'needs a "dataset" ancestor (split divides its table); it has none';
    case 'preprocess':
      return hasType(mask, 'split')
        ? null
        : 'needs a "split" ancestor (preprocessing is fitted on the training rows only); it has none';
    case 'train':
      return hasType(mask, 'preprocess')
        ? null
        : 'needs a "preprocess" ancestor (train reads the preprocessed training rows); it has none';
    case 'select':
      return mask !== 0
        ? null
        : "needs upstream nodes to choose from (a sweep's trials, or their evaluations); it has none";
    default:
      return null;
  }
}

function hasType(mask: number, t: NodeType): boolean {
  return (mask & TYPE_BIT[t]) !== 0;
}

/** Per-node rules: config schema, unresolved configPath, command safety, GPU pools. */
function checkNode(node: LooseNode, i: number, ctx: ValidationContext, errors: ValidationError[]): void {
  const { type } = node;
  if (type === undefined) return;
  if (node.hasConfigPath && ctx.requireResolvedConfig) {
    errors.push({
      path: `nodes[${i}].configPath`,
      message: 'configPath must be resolved at submit time (load the file into "config" before validation)',
    });
  }
  if (node.hasParamsFile && ctx.requireResolvedConfig) {
    errors.push({
      path: `nodes[${i}].paramsFile`,
      message: 'paramsFile must be resolved at submit time (load the file into "params" before validation)',
    });
  }
  if (type !== 'command' && (node.hasParams || node.hasParamsFile)) {
    errors.push({
      path: `nodes[${i}].${node.hasParams ? 'params' : 'paramsFile'}`,
      message: `only command and step-template nodes take params; a ${type} node is configured through "config"`,
    });
  }
  // The workflow raises a default maxInterval to initialInterval; one given below it is a mistake
  // (Temporal refuses "MaximumInterval cannot be less than InitialInterval").
  const { initial, max } = node.retryIntervals;
  if (max !== undefined && max >= 1 && initial >= 1 && max < initial) {
    errors.push({
      path: `nodes[${i}].retry.maxInterval`,
      message: `must not be below retry.initialInterval (${max}ms < ${initial}ms)`,
    });
  }
  if (node.template !== undefined && type !== 'command') {
    errors.push({
      path: `nodes[${i}].template`,
      message: 'only command nodes expanded from a step template carry "template"',
    });
  }
  // A node still naming a configPath gets its config from that file later; check it then.
  if (node.config !== undefined && !node.hasConfigPath) {
    const schema: z.ZodType = NODE_CONFIG_SCHEMAS[type];
    const r = schema.safeParse(node.config);
    if (!r.success) errors.push(...issueDetails(r.error.issues, ['nodes', i, 'config']));
    if (type === 'command') {
      checkCommand(node.config.command, i, ctx, errors);
      checkCommandEnv(node.config.env, i, errors);
      // The network is the operator's choice: a step template's `network`, never the node's.
      if (node.config.network !== undefined && node.template === undefined)
        errors.push({
          path: `nodes[${i}].config.network`,
          message: "is chosen by the operator (a step template's network, or TRAINYARD_STEP_NETWORK), not by the job",
        });
    }
  }
  if (type === 'command' && ctx.stepLimitsMax !== undefined && node.rawResources) {
    for (const k of STEP_LIMIT_KEYS) {
      const v = node.rawResources[k];
      if (typeof v === 'number' && v > ctx.stepLimitsMax[k])
        errors.push({
          path: `nodes[${i}].resources.${k}`,
          message: `${v} is over this deployment's maximum ${ctx.stepLimitsMax[k]} (TRAINYARD_STEP_LIMITS_MAX)`,
        });
    }
  }
  if (type !== 'command' && node.rawResources) {
    for (const k of STEP_LIMIT_KEYS)
      if (node.rawResources[k] !== undefined)
        errors.push({
          path: `nodes[${i}].resources.${k}`,
          message: 'only command and step-template nodes run in the sandbox that enforces it',
        });
  }
  if (ctx.pools !== undefined && node.resources !== undefined) {
    const req = gpuRequest({ type, resources: node.resources });
    if ((req.gpus > 0 || req.gpuMemoryGb > 0) && choosePool({ type, resources: node.resources }, ctx.pools) === null) {
      const largest = largestPool(ctx.pools);
      const name = node.id === undefined ? `nodes[${i}]` : `node ${q(node.id)}`;
      errors.push({
        path: `nodes[${i}].resources`,
        message: `${name} asks for ${describeRequest(req)}; ${
          largest ? `the largest pool ${q(largest.name)} has ${describePool(largest)}` : 'no GPU pool is configured'
        }`,
      });
    }
  }
}

function checkCommandEnv(env: unknown, i: number, errors: ValidationError[]): void {
  if (!isRecord(env)) return;
  for (const name of Object.keys(env)) {
    const why = deniedEnvReason(name);
    if (why) errors.push({ path: `nodes[${i}].config.env.${name}`, message: `may not be set: ${why}` });
  }
}

function checkCommand(command: unknown, i: number, ctx: ValidationContext, errors: ValidationError[]): void {
  if (!Array.isArray(command) || command.length === 0 || typeof command[0] !== 'string') return;
  const exe: string = command[0];
  if (command.length === 1 && /\S\s+\S/.test(exe)) {
    const argv = exe.trim().split(/\s+/);
    errors.push({
      path: `nodes[${i}].config.command`,
      message: `${q(exe)} looks like a shell command line; commands run without a shell, so use an argv array, e.g. ${JSON.stringify(argv)}`,
    });
    return;
  }
  if (exe.trim() === '') {
    errors.push({ path: `nodes[${i}].config.command[0]`, message: 'the executable must not be empty' });
    return;
  }
  const allowed = ctx.allowedCommands;
  if (allowed === undefined || allowlistMayAdmit(allowed, exe)) return;
  const list = allowed.length > 0 ? allowed.join(', ') : '(none)';
  errors.push({
    path: `nodes[${i}].config.command[0]`,
    message: exe.includes('/')
      ? `${q(exe)} is a path; only an exact path on the allowlist may run (allowed: ${list})`
      : `${q(exe)} is not an allowed command (allowed: ${list})`,
  });
}

function rawNodes(input: unknown): unknown[] {
  if (!isRecord(input) || !Array.isArray(input.nodes)) return [];
  return input.nodes;
}

/**
 * Validates a job spec in the DAG form: the JobSpec schema, then ids, dependencies, cycles,
 * orphans, connection types, per-type config, command safety and GPU pools. All errors at once.
 */
export function validateJob(input: unknown, ctx: ValidationContext = {}): ValidationResult {
  const errors: ValidationError[] = [];
  const parsed = JobSpec.safeParse(input);
  if (!parsed.success) errors.push(...nameUnknownTypes(issueDetails(parsed.error.issues), input, ctx));
  const raw = parsed.success ? parsed.data.nodes : rawNodes(input);
  // Beyond the size limit, the schema error is the answer; don't walk a huge graph.
  if (raw.length <= LIMITS.maxNodes) {
    const written = rawNodes(input);
    const nodes = raw.map((n, i) => looseNode(n, written[i]));
    checkGraph(nodes, errors);
    nodes.forEach((node, i) => checkNode(node, i, ctx, errors));
  }
  if (parsed.success) {
    checkTrials(parsed.data, errors);
    checkForeach(parsed.data, errors);
  }
  return errors.length > 0 || !parsed.success ? { ok: false, errors: byNode(errors) } : { ok: true, spec: parsed.data };
}

/** Every trial names a sweep of the job's `sweeps`, within its size (both are written by the expansion). */
function checkTrials(spec: JobSpec, errors: ValidationError[]): void {
  const sweeps = spec.sweeps ?? {};
  spec.nodes.forEach((n, i) => {
    if (!n.trial) return;
    const g = sweeps[n.trial.group];
    if (!g) errors.push({ path: `nodes[${i}].trial.group`, message: `names no sweep of the job ("sweeps")` });
    else if (n.trial.index >= g.trials)
      errors.push({ path: `nodes[${i}].trial.index`, message: `sweep ${q(n.trial.group)} has ${g.trials} trials` });
  });
}

/** A foreach names one of the node's own dependencies, and its item ids fit the id limit. */
function checkForeach(spec: JobSpec, errors: ValidationError[]): void {
  spec.nodes.forEach((n, i) => {
    const f = n.foreach;
    if (!f) return;
    if (!n.dependsOn.includes(f.node))
      errors.push({
        path: `nodes[${i}].foreach.node`,
        message: `${q(f.node)} must be one of the node's dependsOn (${n.dependsOn.map(q).join(', ') || 'none'}): the list comes from a direct dependency`,
      });
    const longest = itemNodeId(n.id, MAX_FOREACH_ITEMS - 1, MAX_FOREACH_ITEMS);
    if (longest.length > LIMITS.maxIdLength)
      errors.push({
        path: `nodes[${i}].id`,
        message: `a foreach node's id must leave room for its items' ids (${q(longest)} is over ${LIMITS.maxIdLength} characters)`,
      });
  });
}

/** Job-level errors first, then each node's errors together, in node order (stable otherwise). */
function byNode(errors: ValidationError[]): ValidationError[] {
  const key = (e: ValidationError): number => {
    const m = /^nodes\[(\d+)\]/.exec(e.path);
    return m ? Number(m[1]) : -1;
  };
  return errors
    .map((e) => ({ e, k: key(e) }))
    .sort((a, b) => a.k - b.k)
    .map(({ e }) => e);
}

/** Path of a one-node DAG's error, in the single-job form's terms. */
function singlePath(path: string): string {
  const rules: [RegExp, string][] = [
    [/^nodes\[0\]\.config(?=$|[.[])/, 'config'],
    [/^nodes\[0\]\.configPath$/, 'configPath'],
    [/^nodes\[0\]\.params(?=$|[.[])/, 'params'],
    [/^nodes\[0\]\.paramsFile$/, 'paramsFile'],
    [/^nodes\[0\]\.resources\.gpus$/, 'gpuCount'],
    [/^nodes\[0\]\.resources\.gpuMemoryGb$/, 'gpuMemoryGb'],
    [/^nodes\[0\]\.resources$/, 'gpuCount'],
    [/^nodes\[0\](\.(type|id|dependsOn))?$/, 'jobType'],
  ];
  for (const [re, to] of rules) if (re.test(path)) return path.replace(re, to);
  return path;
}

/**
 * Validates a submission body in either form: the DAG form, or the seeds' single-job form
 * (`{ jobType, config | configPath, outputDir, gpuCount, gpuMemoryGb, priority, tags }`), which
 * becomes a one-node DAG. Single-job errors carry single-job paths (`jobType`, `config.testSize`).
 */
export function validateSubmission(body: unknown, ctx: ValidationContext = {}): ValidationResult {
  const r = validateSubmissionForm(body, ctx);
  if (!r.ok) return r;
  const errors = outputDirErrors(r.spec.outputDir);
  return errors.length ? { ok: false, errors } : r;
}

/**
 * `outputDir` is a folder inside the owner's namespace that no job folder can be above: job
 * folders are `<owner>/<outputDir>/job-…`, so no segment may start with "job-" (that would put this
 * job's folder inside another job's). Checked at submission only: the workflow's own validation of
 * jobs already running stays as it was.
 */
export function outputDirErrors(outputDir: string): ValidationError[] {
  const segs = outputDir
    .replace(/^(\.\/)+/, '')
    .replace(/\/+$/, '')
    .split('/');
  const bad = segs.find(
    (s) => s === '' || s === '.' || s.includes('\\') || s.startsWith('job-') || s.startsWith('.trainyard-'),
  );
  if (bad === undefined) return [];
  return [
    {
      path: 'outputDir',
      message: bad.startsWith('job-')
        ? `must not name a job's folder ("${bad}"): a job writes only into its own folder, <outputDir>/<its id>, inside its owner's namespace`
        : `must be a plain relative folder (no empty, "." or reserved segment, no backslash)`,
    },
  ];
}

function validateSubmissionForm(body: unknown, ctx: ValidationContext): ValidationResult {
  if (!isSingleJobForm(body)) return validateJob(body, ctx);
  const single = SingleJobSpec.safeParse(body);
  if (!single.success) {
    const errors = nameUnknownTypes(issueDetails(single.error.issues), body, ctx);
    // Still check the config against its type, so every problem shows at once.
    const b = body as Record<string, unknown>;
    const type = asNodeType(b.jobType);
    if (type !== undefined && isRecord(b.config) && b.configPath === undefined) {
      const schema: z.ZodType = NODE_CONFIG_SCHEMAS[type];
      const r = schema.safeParse(b.config);
      if (!r.success) errors.push(...issueDetails(r.error.issues, ['config']));
    }
    return { ok: false, errors };
  }
  const r = validateJob(singleJobToDag(single.data), ctx);
  if (r.ok) return r;
  return {
    ok: false,
    errors: r.errors.map((e) => {
      const path = singlePath(e.path);
      const hint =
        e.path === 'nodes[0].dependsOn'
          ? '; a single-job submission runs one node, so use the DAG form ("nodes") to give it upstream steps'
          : '';
      return { path, message: e.message + hint };
    }),
  };
}
