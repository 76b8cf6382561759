// What flows between the workflow and step activities. Only small summaries and artifact
// references cross the workflow boundary — never bulk data (history stays small). Sandbox-safe.
// Every shape here is parsed where it arrives: activity inputs by defineStep, heartbeat details by
// the step wrapper, the GPU interceptor and the status read model, carried outputs by the workflow.
import { z } from 'zod';
import { StepLimitsSpec } from './step-limits';
import { NodeType } from './node-types';
import { NodeStatus } from './statuses';
import { CacheOutcome } from './step-cache';
import { cachedSchema } from './schema-cache';

/** A reference to a stored artifact (model, dataset copy, metrics, plot, log). */
export const ArtifactRef = cachedSchema('src/domain/step-io#ArtifactRef', () =>
  z.object({
    /** Logical name within the node, e.g. "model.onnx". */
    name: z.string(),
    /** Store URI, e.g. "file:///…/runs/<job>/<node>/model.onnx". */
    uri: z.string(),
    /** Path relative to the artifact root: "runs/<jobId>/<nodeId>/model.onnx". */
    path: z.string(),
    sha256: z.string(),
    size: z.number(),
    mediaType: z.string(),
  }),
);
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/** GPUs handed to a step by the GPU allocator. */
export const GpuAssignment = cachedSchema('src/domain/step-io#GpuAssignment', () =>
  z.object({
    /** Device indices as CUDA sees them; CUDA_VISIBLE_DEVICES = indices.join(','). */
    indices: z.array(z.number().int()),
    uuids: z.array(z.string()),
    simulated: z.boolean(),
  }),
);
export type GpuAssignment = z.infer<typeof GpuAssignment>;

/**
 * What a node's execution used, summed over its Temporal attempts (the step wrapper carries the
 * earlier attempts' figures forward in the heartbeat details). `runningMs`: the step's code ran
 * (for a GPU step: while holding its GPUs); `gpuWaitMs`: dispatched to a GPU worker, waiting for free
 * GPUs; `gpuSeconds`: GPUs held × seconds held.
 */
export const StepUsage = cachedSchema('src/domain/step-io#StepUsage', () =>
  z.object({
    runningMs: z.number().min(0),
    gpuWaitMs: z.number().min(0),
    gpuSeconds: z.number().min(0),
  }),
);
export type StepUsage = z.infer<typeof StepUsage>;

export const NO_USAGE: StepUsage = { runningMs: 0, gpuWaitMs: 0, gpuSeconds: 0 };

export function addUsage(a: StepUsage, b: StepUsage | undefined): StepUsage {
  if (!b) return a;
  return {
    runningMs: a.runningMs + b.runningMs,
    gpuWaitMs: a.gpuWaitMs + b.gpuWaitMs,
    gpuSeconds: a.gpuSeconds + b.gpuSeconds,
  };
}

/** Facts about the attempt that produced an output (or a failure, in its details). */
export const StepMeta = cachedSchema('src/domain/step-io#StepMeta', () =>
  z.object({
    attempt: z.number(),
    startedAt: z.string(),
    finishedAt: z.string(),
    worker: z.string().optional(),
    taskQueue: z.string().optional(),
    gpus: z.array(z.number().int()).optional(),
    /** This execution's attempts so far, this one included. */
    usage: StepUsage.optional(),
    /** A failed attempt: the last checkpoint it (or an earlier attempt) reported; `recover` resumes from it. */
    checkpoint: ArtifactRef.optional(),
  }),
);
export type StepMeta = z.infer<typeof StepMeta>;

/** Output of every step activity: a small summary plus artifact references. */
export const StepOutput = cachedSchema('src/domain/step-io#StepOutput', () =>
  z.object({
    /** Step-specific facts (metrics, parity, row counts …); small JSON. */
    summary: z.record(z.string(), z.unknown()),
    artifacts: z.array(ArtifactRef),
    /**
     * Named references a step carries forward for steps further down (e.g. train passes on the
     * split's "testData" so evaluate finds it through its direct parent).
     */
    refs: z.record(z.string(), ArtifactRef).optional(),
    /** Filled in by the step wrapper (activities/define-step.ts). */
    meta: StepMeta.optional(),
    /** A node that uses the step cache: its key, and whether this output is a hit (src/storage/step-cache.ts). */
    cache: CacheOutcome.optional(),
  }),
);
export type StepOutput = z.infer<typeof StepOutput>;

export const StepResources = cachedSchema('src/domain/step-io#StepResources', () =>
  z.object({
    gpus: z.number().int().min(0),
    gpuMemoryGb: z.number().min(0),
    /** The limits the node asked for (unset ones: the worker's defaults). */
    ...StepLimitsSpec.shape,
  }),
);
export type StepResources = z.infer<typeof StepResources>;

/** One upstream node of a `select` step, as the workflow knows it when the step starts (src/domain/select.ts ranks them). */
export const SelectCandidate = cachedSchema('src/domain/step-io#SelectCandidate', () =>
  z.object({
    nodeId: z.string(),
    status: NodeStatus,
    /** The trial it is (or runs per): group and index; its values in `params`. */
    trial: z.object({ group: z.string(), index: z.number().int() }).optional(),
    params: z.record(z.string(), z.unknown()),
    /** GPUs × seconds held by every node of its trial (the trial node and its per-trial copies). */
    gpuSeconds: z.number().min(0),
    /** First line of the error of a failed candidate. */
    error: z.string().optional(),
  }),
);
export type SelectCandidate = z.infer<typeof SelectCandidate>;

/** Input of every step activity (config is parsed separately, by the node type's schema). */
export const StepInput = cachedSchema('src/domain/step-io#StepInput', () =>
  z.object({
    jobId: z.string().min(1),
    nodeId: z.string().min(1),
    nodeType: NodeType,
    config: z.unknown(),
    /** Outputs of the node's direct dependencies, by parent node id. */
    upstream: z.record(z.string(), StepOutput),
    /** The job's folder, relative to the artifact root (`<spec.outputDir>/<jobId>`). */
    outputDir: z.string().min(1),
    resources: StepResources,
    /** GPU pool chosen at submit time (GPU queues only). */
    pool: z.string().optional(),
    /** Job priority (1 highest … 5 lowest). */
    priority: z.number().int(),
    /**
     * Checkpoint to continue from when the workflow restarts a node that was stopped by `pause now`
     * (a Temporal retry instead finds it in activityInfo().heartbeatDetails).
     */
    checkpoint: ArtifactRef.optional(),
    /** The node's `params` (command and template nodes). */
    params: z.record(z.string(), z.unknown()).optional(),
    /** `select` nodes: every direct parent, with its status and GPU time (the workflow's knowledge). */
    candidates: z.array(SelectCandidate).optional(),
    /**
     * Sweep trials with early stopping: report `metric` from the heartbeats every `every` epochs to the
     * job's workflow (trialMetric signal). Never put in a submission; set by the workflow.
     */
    report: z
      .object({ metric: z.string(), every: z.number().int().min(1), execution: z.number().int().min(1) })
      .optional(),
  }),
);
/** A step's input with its config parsed to `C`. */
export type StepInput<C = unknown> = Omit<z.infer<typeof StepInput>, 'config'> & { config: C };

export const HEARTBEAT_PHASES = [
  'waiting_for_quota',
  'waiting_for_gpu',
  'running',
  'checkpointing',
  'finishing',
] as const;

/** Heartbeat details: live progress, and the checkpoint a retried attempt resumes from. */
export const StepHeartbeat = cachedSchema('src/domain/step-io#StepHeartbeat', () =>
  z.object({
    phase: z.enum(HEARTBEAT_PHASES).optional(),
    percent: z.number().optional(),
    epoch: z.number().optional(),
    epochs: z.number().optional(),
    loss: z.number().optional(),
    valMetric: z.number().optional(),
    message: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    checkpoint: ArtifactRef.optional(),
    gpus: z.array(z.number().int()).optional(),
    /** What this execution used up to this heartbeat (every attempt so far): the next attempt adds to it. */
    usage: StepUsage.optional(),
  }),
);
export type StepHeartbeat = z.infer<typeof StepHeartbeat>;

/**
 * Heartbeat details as they arrive (another worker version, a hand-sent heartbeat): parsed; when
 * the whole does not parse, its checkpoint is still kept if that does — losing it would restart
 * a long training from scratch.
 */
export function parseHeartbeat(details: unknown): StepHeartbeat | undefined {
  if (details === undefined || details === null) return undefined;
  const whole = StepHeartbeat.safeParse(details);
  if (whole.success) return whole.data;
  const checkpoint =
    typeof details === 'object' && 'checkpoint' in details ? ArtifactRef.safeParse(details.checkpoint) : undefined;
  const usage = typeof details === 'object' && 'usage' in details ? StepUsage.safeParse(details.usage) : undefined;
  if (!checkpoint?.success && !usage?.success) return undefined;
  return {
    ...(checkpoint?.success && { checkpoint: checkpoint.data }),
    ...(usage?.success && { usage: usage.data }),
  };
}
