// The job spec: one schema used by the API, SDK, CLI and the workflow. Sandbox-safe.
// Structural checks (ids, types, sizes) live here; graph and per-type config rules in validate.ts.
import { z } from 'zod';
import { Duration } from './duration';
import { NodeType, RelativePath } from './node-types';
import { NotifyTargets } from './notify';
import { ForeachSpec, SweepGroup, Trial } from './sweep-spec';
import { StepLimitsSpec } from './step-limits';
import { CacheSpec } from './step-cache';
import { cachedSchema } from './schema-cache';

export const LIMITS = {
  maxNodes: 50_000,
  maxIdLength: 64,
  maxDependsOn: 1_000,
  maxNameLength: 128,
  maxDescriptionLength: 4_000,
  maxTags: 32,
  maxTagLength: 64,
  maxMetadataEntries: 64,
  maxMetadataValueLength: 1_024,
  /** Well under Temporal's 2,000 pending activities per run. */
  maxParallelism: 500,
  maxGpusPerNode: 64,
  /** A node's `params`, as JSON. */
  maxParamsBytes: 64 * 1024,
} as const;

export const NODE_ID_RE = /^[a-z0-9][a-z0-9_-]*$/;
export const NodeId = cachedSchema('src/domain/job-spec#NodeId', () =>
  z
    .string()
    .min(1)
    .max(LIMITS.maxIdLength)
    .regex(NODE_ID_RE, 'must match [a-z0-9][a-z0-9_-]* (lowercase letters, digits, "_" and "-")'),
);

export const Priority = cachedSchema('src/domain/job-spec#Priority', () => z.number().int().min(1).max(5));

/** Free-form parameters for a command or template node (hyperparameters): JSON, size-limited. */
export const Params = cachedSchema('src/domain/job-spec#Params', () =>
  z.record(z.string().min(1).max(128), z.unknown()).refine((p) => JSON.stringify(p).length <= LIMITS.maxParamsBytes, {
    message: `must be at most ${LIMITS.maxParamsBytes} bytes as JSON`,
  }),
);
export type Params = z.infer<typeof Params>;

/**
 * A duration Temporal takes as a timeout or a retry interval: at least 1 ms. Temporal reads 0 as
 * "unset" (a start-to-close of 0 makes the server refuse the activity; the SDK refuses zero retry
 * intervals), so 0 is refused here, naming the field; leave the field out for the default.
 */
export const PositiveDuration = cachedSchema('src/domain/job-spec#PositiveDuration', () =>
  Duration.refine((ms) => ms >= 1, {
    message: 'must be positive (at least 1ms); leave the field out for the default',
  }),
);

export const RetrySpec = cachedSchema('src/domain/job-spec#RetrySpec', () =>
  z.strictObject({
    maxAttempts: z.number().int().min(1).max(100).default(3),
    initialInterval: PositiveDuration.default(1000),
    backoffCoefficient: z.number().min(1).max(10).default(2),
    /** Not below initialInterval when both are given (validate.ts); the default is raised to initialInterval. */
    maxInterval: PositiveDuration.default(60_000),
    nonRetryableErrors: z.array(z.string().min(1).max(128)).max(64).default([]),
  }),
);
export type RetrySpec = z.infer<typeof RetrySpec>;

export const TimeoutSpec = cachedSchema('src/domain/job-spec#TimeoutSpec', () =>
  z.strictObject({
    /** Per attempt. Default: the worker's default step timeout (30 min). */
    startToClose: PositiveDuration.optional(),
    /** A step that sends no heartbeat for this long is retried elsewhere. */
    heartbeat: PositiveDuration.optional(),
    scheduleToStart: PositiveDuration.optional(),
  }),
);
export type TimeoutSpec = z.infer<typeof TimeoutSpec>;

export const ResourcesSpec = cachedSchema('src/domain/job-spec#ResourcesSpec', () =>
  z.strictObject({
    gpus: z.number().int().min(0).max(LIMITS.maxGpusPerNode).optional(),
    gpuMemoryGb: z.number().min(0).max(4096).default(0),
    /** Command steps: memory, processes, open files, file size, CPU time and disk (src/domain/step-limits.ts). */
    ...StepLimitsSpec.shape,
  }),
);
export type ResourcesSpec = z.infer<typeof ResourcesSpec>;

export const NodeSpec = cachedSchema('src/domain/job-spec#NodeSpec', () =>
  z.strictObject({
    id: NodeId,
    type: NodeType,
    dependsOn: z.array(z.string().max(LIMITS.maxIdLength)).max(LIMITS.maxDependsOn).default([]),
    /** Per-type config; validated against NODE_CONFIG_SCHEMAS[type] by validateJob. */
    config: z.record(z.string().max(128), z.unknown()).default({}),
    /** A YAML/JSON file loaded into `config` at submit time (API/CLI); never reaches the workflow. */
    configPath: RelativePath.optional(),
    /**
     * Parameters of a command or template node's own code: snapshotted with the spec (so hashed into
     * its specHash), delivered as JOB_INPUT.params and as params.json in the node's folder.
     */
    params: Params.optional(),
    /** A YAML/JSON file loaded into `params` at submit time (inline `params` win); never reaches the workflow. */
    paramsFile: RelativePath.optional(),
    /** The step template this command node was expanded from at submit (set by the server from `type`). */
    template: z.string().min(1).max(LIMITS.maxIdLength).optional(),
    /** The sweep trial this node is (set by the server when it expands `matrix` / `sweep`, see sweeps.ts). */
    trial: Trial.optional(),
    /** Dynamic fan-out: run once per item of a list an upstream node produces (see ForeachSpec). */
    foreach: ForeachSpec.optional(),
    resources: ResourcesSpec.prefault({}),
    retry: RetrySpec.prefault({}),
    timeout: TimeoutSpec.prefault({}),
    /** Optional estimate, used by the plan for critical path and GPU-time. */
    estimatedDuration: Duration.optional(),
    /** Step cache: reuse the output of an earlier run of the same step on the same inputs (src/domain/step-cache.ts). */
    cache: CacheSpec.optional(),
  }),
);
export type NodeSpec = z.infer<typeof NodeSpec>;
export type NodeSpecInput = z.input<typeof NodeSpec>;

const Tag = cachedSchema('src/domain/job-spec#Tag', () => z.string().min(1).max(LIMITS.maxTagLength));

export const JobSpec = cachedSchema('src/domain/job-spec#JobSpec', () =>
  z.strictObject({
    name: z.string().min(1).max(LIMITS.maxNameLength),
    description: z.string().max(LIMITS.maxDescriptionLength).optional(),
    tags: z.array(Tag).max(LIMITS.maxTags).default([]),
    metadata: z
      .record(z.string().min(1).max(128), z.string().max(LIMITS.maxMetadataValueLength))
      .refine((m) => Object.keys(m).length <= LIMITS.maxMetadataEntries, {
        message: `at most ${LIMITS.maxMetadataEntries} entries`,
      })
      .default({}),
    /** 1 highest … 5 lowest (Temporal's convention). */
    priority: Priority.default(3),
    /** Parent folder for the job's artifacts, under the artifact root; the job's folder is <outputDir>/<jobId>. */
    outputDir: RelativePath.default('runs'),
    /** Max nodes running at once. */
    parallelism: z.number().int().min(1).max(LIMITS.maxParallelism).default(20),
    failurePolicy: z.enum(['continue', 'failFast']).default('continue'),
    maxRecoveryAttempts: z.number().int().min(0).max(100).default(3),
    /** How long a failed job stays open for `recover`; 0 = end at once. */
    recoveryWindow: Duration.default(24 * 3_600_000),
    nodes: z.array(NodeSpec).min(1).max(LIMITS.maxNodes),
    /** Each sweep's settings, by swept node id (set by the server when it expands the sweeps). */
    sweeps: z.record(z.string(), SweepGroup).optional(),
    /** Webhooks POSTed when the job ends or waits for recover (signed; see src/domain/notify.ts). */
    notify: NotifyTargets.optional(),
    /** Step cache for every node (a node's own `cache` wins; `cache: false` opts it out). */
    cache: CacheSpec.optional(),
  }),
);
export type JobSpec = z.infer<typeof JobSpec>;
export type JobSpecInput = z.input<typeof JobSpec>;

/** The seeds' single-job form; becomes a one-node DAG. */
export const SingleJobSpec = cachedSchema('src/domain/job-spec#SingleJobSpec', () =>
  z.strictObject({
    jobType: NodeType,
    name: z.string().min(1).max(LIMITS.maxNameLength).optional(),
    config: z.record(z.string().max(128), z.unknown()).optional(),
    configPath: RelativePath.optional(),
    params: Params.optional(),
    paramsFile: RelativePath.optional(),
    outputDir: RelativePath.optional(),
    gpuCount: z.number().int().min(0).max(LIMITS.maxGpusPerNode).optional(),
    gpuMemoryGb: z.number().min(0).max(4096).optional(),
    priority: Priority.optional(),
    tags: z.array(Tag).max(LIMITS.maxTags).optional(),
  }),
);
export type SingleJobSpec = z.infer<typeof SingleJobSpec>;

/** Turns the single-job form into the DAG form (input shape, not yet parsed). */
export function singleJobToDag(s: SingleJobSpec): JobSpecInput {
  return {
    name: s.name ?? `${s.jobType}-job`,
    ...(s.outputDir !== undefined && { outputDir: s.outputDir }),
    ...(s.priority !== undefined && { priority: s.priority }),
    ...(s.tags !== undefined && { tags: s.tags }),
    nodes: [
      {
        id: s.jobType,
        type: s.jobType,
        ...(s.config !== undefined && { config: s.config }),
        ...(s.configPath !== undefined && { configPath: s.configPath }),
        ...(s.params !== undefined && { params: s.params }),
        ...(s.paramsFile !== undefined && { paramsFile: s.paramsFile }),
        resources: { gpus: s.gpuCount, gpuMemoryGb: s.gpuMemoryGb ?? 0 },
      },
    ],
  };
}

/** True when a body looks like the single-job form rather than a DAG. */
export function isSingleJobForm(body: unknown): boolean {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'jobType' in body && !('nodes' in body);
}

/** GPUs a node gets when its spec does not say: train asks for one, everything else for none. */
export function effectiveGpus(node: Pick<NodeSpec, 'type' | 'resources'>): number {
  return node.resources.gpus ?? (node.type === 'train' ? 1 : 0);
}
