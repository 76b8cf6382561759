// Signals, queries and updates of the job workflow. define* needs no workflow context, so the
// client, API and CLI import these same definitions. Sandbox-safe.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { TrialMetricReport } from './early-stop';
import { NodeState, PauseMode, type JobProgress } from './progress';
import { cachedSchema } from './schema-cache';
import { JobStatus, NodeStatus } from './statuses';

export const PauseInput = cachedSchema('src/domain/messages#PauseInput', () =>
  z.strictObject({
    /** "drain" (default): no new node starts, running nodes finish. "now": running nodes checkpoint and stop. */
    mode: PauseMode.default('drain'),
  }),
);
export type PauseInput = z.input<typeof PauseInput>;

export const RecoverInput = cachedSchema('src/domain/messages#RecoverInput', () =>
  z.strictObject({
    /** Re-run this node and everything downstream of it (default: failed + skipped nodes). */
    fromNode: z.string().min(1).max(64).optional(),
    /**
     * Start the reset nodes from scratch. By default a node whose failed (or cancelled) execution
     * reported a checkpoint resumes from it (TRAINYARD_RESUME_CHECKPOINT for command steps).
     */
    fromScratch: z.boolean().optional(),
  }),
);
export type RecoverInput = z.input<typeof RecoverInput>;

/** Result of a control update: the job's status after it. */
export const ControlResult = cachedSchema('src/domain/messages#ControlResult', () =>
  z.object({ status: JobStatus, message: z.string() }),
);
export type ControlResult = z.infer<typeof ControlResult>;

// Signals: what `temporal workflow signal --name pause` sends. Invalid payloads are logged and ignored.
export const pauseSignal = defineSignal<[PauseInput?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const recoverSignal = defineSignal<[RecoverInput?]>('recover');
/**
 * Rolling upgrades: a job pinned to an older build moves onto the deployment's current build at its
 * next safe point (no step running) by continuing-as-new. Any workflow task tells a pinned job that
 * the current build changed; this signal gives an idle job (paused, or failed and waiting for
 * recover) one. A no-op for a job already on the current build.
 */
export const upgradeSignal = defineSignal<[]>('upgrade');
/** A sweep trial's metric at an epoch, sent by its step (early stopping; src/domain/early-stop.ts). */
export const trialMetricSignal = defineSignal<[TrialMetricReport]>('trialMetric');

// Updates: the same operations with validators, so callers get an answer (rejected with a reason).
export const pauseUpdate = defineUpdate<ControlResult, [PauseInput?]>('pauseJob');
export const resumeUpdate = defineUpdate<ControlResult, []>('resumeJob');
export const recoverUpdate = defineUpdate<ControlResult, [RecoverInput?]>('recoverJob');

export const progressQuery = defineQuery<JobProgress>('progress');

/** Most nodes one `nodes` query answers (GET /v1/jobs/:id/nodes pages at most this many). */
export const NODES_QUERY_MAX_LIMIT = 1000;
/**
 * The node states of one `nodes` answer stay under this many bytes of JSON, so a page of
 * GET /v1/jobs/:id/nodes (the same nodes, refined, minus stacks) stays under 512 KiB.
 */
export const NODES_QUERY_BUDGET_BYTES = 384 * 1024;

/** The `nodes` query's input: a slice of the job's nodes in spec order, optionally only those of some statuses. */
export const NodesQueryInput = cachedSchema('src/domain/messages#NodesQueryInput', () =>
  z.strictObject({
    offset: z.number().int().min(0),
    limit: z.number().int().min(1).max(NODES_QUERY_MAX_LIMIT),
    /** Only nodes whose (view) status is one of these; all nodes when absent. */
    statuses: z.array(NodeStatus).min(1).optional(),
  }),
);
export type NodesQueryInput = z.infer<typeof NodesQueryInput>;

/** The `nodes` query's answer: the slice, and how many nodes match the filter in all. */
export const NodesQueryResult = cachedSchema('src/domain/messages#NodesQueryResult', () =>
  z.object({
    nodes: z.array(NodeState),
    /** Nodes matching the filter, over the whole job. */
    total: z.number().int(),
    /** Set when some nodes of the slice came without their output (the slice would have been over its byte budget). */
    trimmed: z.literal('outputs').optional(),
    /**
     * The statuses of the unfinished dependencies of the slice's pending nodes that are not in the
     * slice themselves (at most NODES_QUERY_MAX_UPSTREAM), so a page can say what each waits for.
     */
    upstream: z.record(z.string(), NodeStatus).optional(),
  }),
);
/** Most dependency statuses one `nodes` answer carries beside its slice. */
export const NODES_QUERY_MAX_UPSTREAM = 2000;
export type NodesQueryResult = z.infer<typeof NodesQueryResult>;

/**
 * A slice of the job's nodes (a page of GET /v1/jobs/:id/nodes). Read-only; a bad input fails the
 * query with a message naming the field. Fewer than `limit` nodes come back when the slice would
 * be over its byte budget; the caller continues from `offset + nodes.length`.
 */
export const nodesQuery = defineQuery<NodesQueryResult, [NodesQueryInput]>('nodes');
