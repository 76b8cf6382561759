// The plan of a validated job: stages, critical path, each node's task queue and pool, and the
// estimated GPU-time when the spec gives durations. Pure and sandbox-safe; used by
// `POST /v1/jobs/validate` and `trainyard validate`.
import { z } from 'zod';
import { buildDag, criticalPath, stageIndices } from './dag';
import { effectiveGpus, type JobSpec } from './job-spec';
import { NodeType } from './node-types';
import { queueKind, taskQueueFor } from './routing';
import { Trial } from './sweep-spec';
import { DEFAULT_POOL } from './task-queues';
import { cachedSchema } from './schema-cache';

/**
 * The step cache's prediction for a cache-enabled node (the API fills it in where the store is
 * reachable): `hit` = its key could be computed at plan time and a live entry exists (`from` names
 * the job and node that stored it); `miss` = computed, no entry; `unknown` = not computable before
 * the run (an upstream that is not a predicted hit, a foreach or select node, an unreadable source).
 */
export const PlannedCache = cachedSchema('src/domain/plan#PlannedCache', () =>
  z.object({
    prediction: z.enum(['hit', 'miss', 'unknown']),
    key: z.string().optional(),
    from: z.object({ jobId: z.string(), nodeId: z.string(), storedAt: z.string() }).optional(),
  }),
);
export type PlannedCache = z.infer<typeof PlannedCache>;

export const PlannedNode = cachedSchema('src/domain/plan#PlannedNode', () =>
  z.object({
    id: z.string(),
    type: NodeType,
    /** The step template a command node was expanded from. */
    template: z.string().optional(),
    /** The sweep trial the node is (expanded from `matrix` / `sweep`, or a `perTrial` copy). */
    trial: Trial.optional(),
    /** Topological level (0 = no dependencies). */
    stage: z.number().int(),
    taskQueue: z.string(),
    /** GPU pool (GPU queues only). */
    pool: z.string().optional(),
    gpus: z.number().int(),
    dependsOn: z.array(z.string()),
    estimatedMs: z.number().optional(),
    /** Cache-enabled nodes, when the plan was checked against the step cache (POST /v1/jobs/validate). */
    cache: PlannedCache.optional(),
  }),
);
export type PlannedNode = z.infer<typeof PlannedNode>;

export const JobPlan = cachedSchema('src/domain/plan#JobPlan', () =>
  z.object({
    /** Topological levels; the nodes of a stage can run at once. */
    stages: z.array(z.array(z.string())),
    /** The longest dependency chain: by estimated duration when the spec gives any, else by node count. */
    criticalPath: z.object({ nodes: z.array(z.string()), estimatedMs: z.number().optional() }),
    nodes: z.array(PlannedNode),
    /** Sum of gpus × estimatedDuration over nodes that give a duration; absent when none does. */
    estimatedGpuMs: z.number().optional(),
    /** The spec's limit on nodes running at once. */
    parallelism: z.number().int(),
    /** The widest stage: more than `parallelism` means some nodes of that stage wait. */
    maxStageWidth: z.number().int(),
    nodeCount: z.number().int(),
    edgeCount: z.number().int(),
    /** Nodes predicted to be step-cache hits (present when the plan was checked against the cache). */
    cacheHits: z.number().int().optional(),
  }),
);
export type JobPlan = z.infer<typeof JobPlan>;

export interface PlanOptions {
  queuePrefix: string;
  /** Pool per GPU-queue node (resolvePools); missing = the default pool. */
  pools: Record<string, string>;
}

/** Plans a validated spec (validateJob first: a cycle throws DagCycleError, an unknown dependency DagError). */
export function planJob(spec: JobSpec, opts: PlanOptions): JobPlan {
  const dag = buildDag(spec.nodes);
  const level = stageIndices(dag);
  const stages: string[][] = [];
  level.forEach((l, i) => {
    while (stages.length <= l) stages.push([]);
    stages[l]!.push(dag.ids[i]!);
  });

  const anyEstimate = spec.nodes.some((n) => n.estimatedDuration !== undefined);
  const durations: Record<string, number> = {};
  let gpuMs = 0;
  const nodes = spec.nodes.map((node, i): PlannedNode => {
    const gpus = effectiveGpus(node);
    const gpuQueue = queueKind(node) !== 'cpu';
    if (node.estimatedDuration !== undefined) {
      durations[node.id] = node.estimatedDuration;
      gpuMs += gpus * node.estimatedDuration;
    }
    return {
      id: node.id,
      type: node.type,
      ...(node.template !== undefined && { template: node.template }),
      ...(node.trial && { trial: node.trial }),
      stage: level[i]!,
      taskQueue: taskQueueFor(node, opts.queuePrefix, opts.pools),
      ...(gpuQueue && { pool: opts.pools[node.id] ?? DEFAULT_POOL }),
      gpus,
      dependsOn: dag.parents[i]!.map((p) => dag.ids[p]!),
      ...(node.estimatedDuration !== undefined && { estimatedMs: node.estimatedDuration }),
    };
  });

  const cp = anyEstimate ? criticalPath(dag, durations) : criticalPath(dag);
  return {
    stages,
    criticalPath: { nodes: cp.nodes, ...(anyEstimate && { estimatedMs: cp.length }) },
    nodes,
    ...(anyEstimate && { estimatedGpuMs: gpuMs }),
    parallelism: spec.parallelism,
    maxStageWidth: stages.reduce((m, s) => Math.max(m, s.length), 0),
    nodeCount: dag.ids.length,
    edgeCount: dag.edgeCount,
  };
}

/** The plan with the step cache's predictions (node id → prediction) marked on its nodes. */
export function withCachePredictions(plan: JobPlan, predictions: Readonly<Record<string, PlannedCache>>): JobPlan {
  const nodes = plan.nodes.map((n) => (predictions[n.id] ? { ...n, cache: predictions[n.id] } : n));
  return { ...plan, nodes, cacheHits: nodes.filter((n) => n.cache?.prediction === 'hit').length };
}
