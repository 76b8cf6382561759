// Step templates: operator-registered step kinds (TRAINYARD_STEP_TEMPLATES), e.g. "our trainer".
// A node `type: <template>` (or the single-job form's `jobType: <template or alias>`) is expanded
// at submit time into a `command` node that keeps `template: <name>`: the template's argv, env,
// default resources, retry and timeouts, the node's own `config` as the program's config file and
// its `params` on top of the template's. The snapshot holds the expanded node, so a running job
// never depends on the live template file, and it runs through the command step (and its sandbox).
// Pure and sandbox-safe (zod only).
import { z } from 'zod';
import { LIMITS, NODE_ID_RE, Params, ResourcesSpec, RetrySpec, TimeoutSpec } from './job-spec';
import { CommandConfig, NODE_TYPES, StepNetwork, type NodeType } from './node-types';
import type { ErrorDetail } from './issues';
import { cachedSchema } from './schema-cache';

export const TemplateName = cachedSchema('src/domain/step-templates#TemplateName', () =>
  z
    .string()
    .min(1)
    .max(LIMITS.maxIdLength)
    .regex(NODE_ID_RE, 'must match [a-z0-9][a-z0-9_-]* (lowercase letters, digits, "_" and "-")')
    .refine((n) => !(NODE_TYPES as readonly string[]).includes(n), {
      message: `must not be a built-in node type (${NODE_TYPES.join(', ')}); use "aliases" to answer to one in the single-job form`,
    }),
);

export const StepTemplate = cachedSchema('src/domain/step-templates#StepTemplate', () =>
  z.strictObject({
    description: z.string().max(2000).optional(),
    /**
     * Job types the single-job form maps to this template: `{ jobType: "train", … }` runs it instead
     * of the built-in step (which could not run alone anyway). DAG nodes always name the template.
     */
    aliases: z.array(z.enum(NODE_TYPES)).max(NODE_TYPES.length).default([]),
    /** argv; placeholders: `{config}` (the node's config file), `{params}` (params.json), `{output}` (the node's folder), `{scripts}/…`. */
    command: CommandConfig.shape.command,
    env: CommandConfig.shape.env,
    cwd: CommandConfig.shape.cwd,
    nonRetryableExitCodes: CommandConfig.shape.nonRetryableExitCodes,
    killGraceMs: CommandConfig.shape.killGraceMs,
    /** How the node's config is written for `{config}`. */
    configFormat: CommandConfig.shape.configFormat,
    /** The step's network (`none` or `host`); unset = the worker's TRAINYARD_STEP_NETWORK. */
    network: StepNetwork.optional(),
    /** Default params; a node's `params` override them key by key. */
    params: Params.default({}),
    /** Defaults for nodes of this type that do not say. */
    resources: ResourcesSpec.optional(),
    retry: RetrySpec.optional(),
    timeout: TimeoutSpec.optional(),
  }),
);
export type StepTemplate = z.infer<typeof StepTemplate>;

/** Why a template name is not allowed (empty when it is). */
export function templateNameProblems(name: string): string[] {
  const r = TemplateName.safeParse(name);
  return r.success ? [] : r.error.issues.map((i) => i.message);
}

export const StepTemplatesFile = cachedSchema('src/domain/step-templates#StepTemplatesFile', () =>
  z.strictObject({
    templates: z.record(z.string(), StepTemplate).superRefine((templates, c) => {
      for (const name of Object.keys(templates))
        for (const message of templateNameProblems(name)) c.addIssue({ code: 'custom', path: [name], message });
    }),
  }),
);
export type StepTemplatesFile = z.infer<typeof StepTemplatesFile>;
export type StepTemplates = StepTemplatesFile['templates'];

/** What a client sees of a template (GET /v1/config). */
export function describeTemplate(name: string, t: StepTemplate) {
  return {
    name,
    ...(t.description !== undefined && { description: t.description }),
    aliases: t.aliases,
    command: t.command,
    params: t.params,
    ...(t.resources && { resources: t.resources }),
    ...(t.retry && { retry: t.retry }),
    ...(t.timeout && { timeout: t.timeout }),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The template a single-job `jobType` names: a template's own name, or a built-in type one template aliases. */
export function templateForJobType(jobType: unknown, templates: StepTemplates): string | undefined {
  if (typeof jobType !== 'string') return undefined;
  if (Object.hasOwn(templates, jobType)) return jobType;
  return Object.entries(templates).find(([, t]) => t.aliases.includes(jobType as NodeType))?.[0];
}

/** A node naming a template, expanded into a command node (other nodes are returned as they are). */
function expandNode(raw: unknown, at: string, templates: StepTemplates, errors: ErrorDetail[]): unknown {
  // Only the server names a node's template: the template decides the step's network.
  if (isRecord(raw) && raw.type === 'command' && raw.template !== undefined)
    errors.push({ path: `${at}.template`, message: 'is set by the server when a node names a step template' });
  if (!isRecord(raw) || typeof raw.type !== 'string' || !Object.hasOwn(templates, raw.type)) return raw;
  const name = raw.type;
  const t = templates[name]!;
  const { config, params, resources, retry, timeout, template, ...rest } = raw;
  if (template !== undefined && template !== name)
    errors.push({ path: `${at}.template`, message: `is set by the server from "type" (${JSON.stringify(name)})` });
  if (config !== undefined && !isRecord(config))
    errors.push({ path: `${at}.config`, message: `must be an object (the config file of template ${name})` });
  if (params !== undefined && !isRecord(params)) errors.push({ path: `${at}.params`, message: 'must be an object' });
  const merged = (a: unknown, b: unknown) =>
    isRecord(a) || isRecord(b) ? { ...(a as object), ...(b as object) } : undefined;
  return {
    ...rest,
    type: 'command',
    template: name,
    config: {
      command: t.command,
      env: t.env,
      ...(t.cwd !== undefined && { cwd: t.cwd }),
      nonRetryableExitCodes: t.nonRetryableExitCodes,
      killGraceMs: t.killGraceMs,
      configFormat: t.configFormat,
      ...(t.network !== undefined && { network: t.network }),
      configFile: isRecord(config) ? config : {},
    },
    params: { ...t.params, ...(isRecord(params) ? params : {}) },
    ...((resources !== undefined || t.resources) && { resources: merged(t.resources, resources) ?? resources }),
    ...((retry !== undefined || t.retry) && { retry: merged(t.retry, retry) ?? retry }),
    ...((timeout !== undefined || t.timeout) && { timeout: merged(t.timeout, timeout) ?? timeout }),
  };
}

/**
 * Expands every template node of a submission (DAG or single-job form; configPath / paramsFile
 * already resolved). The single-job form naming a template (or an alias of one) becomes a one-node
 * DAG whose node id is the jobType. Returns the body unchanged when it names no template.
 */
export function expandTemplates(body: unknown, templates: StepTemplates): { body: unknown; errors: ErrorDetail[] } {
  const errors: ErrorDetail[] = [];
  if (!isRecord(body)) return { body, errors };
  if (Array.isArray(body.nodes)) {
    const nodes = body.nodes.map((n: unknown, i: number) => expandNode(n, `nodes[${i}]`, templates, errors));
    return { body: { ...body, nodes }, errors };
  }
  if (!('jobType' in body)) return { body, errors };
  const name = templateForJobType(body.jobType, templates);
  if (name === undefined) return { body, errors };
  const { jobType, name: jobName, config, params, outputDir, gpuCount, gpuMemoryGb, priority, tags, ...unknown } = body;
  for (const key of Object.keys(unknown)) errors.push({ path: key, message: `unknown field "${key}"` });
  const id = String(jobType);
  const resources =
    gpuCount !== undefined || gpuMemoryGb !== undefined
      ? { ...(gpuCount !== undefined && { gpus: gpuCount }), ...(gpuMemoryGb !== undefined && { gpuMemoryGb }) }
      : undefined;
  const node = expandNode(
    { id, type: name, config, params, ...(resources && { resources }) },
    'nodes[0]',
    templates,
    errors,
  );
  return {
    body: {
      name: jobName ?? `${id}-job`,
      ...(outputDir !== undefined && { outputDir }),
      ...(priority !== undefined && { priority }),
      ...(tags !== undefined && { tags }),
      nodes: [node],
    },
    errors,
  };
}
