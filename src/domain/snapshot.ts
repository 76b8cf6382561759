// The immutable snapshot a job workflow runs from (the spec as submitted + decisions made at
// submit time). Re-running a job = starting a new workflow from the same snapshot. Sandbox-safe.
import { z } from 'zod';
import { SnapshotCredits } from './credits';
import { Fairness } from './fairness';
import { SnapshotNotify } from './notify';
import type { JobSpecInput } from './job-spec';
import { cachedSchema } from './schema-cache';

export const JobSnapshot = cachedSchema('src/domain/snapshot#JobSnapshot', () =>
  z.object({
    /** = workflow id. */
    jobId: z.string().min(1),
    /** Set by the API from the caller's key; never taken from the body. */
    owner: z.string(),
    /** The spec as submitted (configPath already resolved into config); parsed by the workflow. */
    spec: z.custom<JobSpecInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'),
    /** sha256 of the canonical spec JSON (also in the memo). */
    specHash: z.string(),
    /** ISO time of submission. */
    submittedAt: z.string(),
    /** Task queue prefix of the deployment (TRAINYARD_QUEUE_PREFIX). */
    queuePrefix: z.string(),
    /** GPU pool chosen for each node routed to a GPU queue (smallest pool that fits). */
    pools: z.record(z.string(), z.string()),
    /** Deployment defaults for nodes whose spec gives no timeout. */
    defaults: z.object({ stepTimeoutMs: z.number(), heartbeatTimeoutMs: z.number() }),
    /** Fair share: the owner's fairness key and weight on the workflow and every step (absent in jobs submitted before it). */
    fairness: Fairness.optional(),
    /** GPU quotas enforced for this job (TRAINYARD_GPU_QUOTAS at submit): GPU nodes run under leases. */
    quotas: z.boolean().optional(),
    /** Credits enforced for this job (TRAINYARD_CREDITS=on at submit): its reservation, estimate and settlement rules. */
    credits: SnapshotCredits.optional(),
    /** The schedule that started this job (its Temporal schedule id); absent for jobs submitted directly. */
    scheduledBy: z.string().optional(),
    /** The job this one reruns (POST /v1/jobs/:id/rerun): its spec, with overrides, came from that job's snapshot. */
    rerunOf: z.string().optional(),
    /**
     * The job's parent folder in the artifact store, `<owner>/<outputDir>`: the job's folder is
     * `<outputRoot>/<jobId>`, inside its owner's namespace. Absent in jobs submitted before owner
     * namespaces (their folder stays `<outputDir>/<jobId>`).
     */
    outputRoot: z.string().optional(),
    /** Notifications: the spec's targets and the owner's defaults, and how deliveries are retried (absent = none). */
    notify: SnapshotNotify.optional(),
  }),
);
export type JobSnapshot = z.infer<typeof JobSnapshot>;

/**
 * A snapshot stored in the artifact store (src/snapshots/): content-addressed by the sha256 of its
 * JSON, which the loader verifies before the workflow sees any of it.
 */
export const SnapshotRef = cachedSchema('src/domain/snapshot#SnapshotRef', () =>
  z.object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
    /** Bytes of the stored JSON. */
    size: z.number().int().min(0),
    /** Where it is (the store's URI of `key`), for people and tools; the loader reads `key` from its own store. */
    uri: z.string(),
    /** Its key in the store: `_snapshots/<sha256>.json` (no owner namespace can start with `_`). */
    key: z.string(),
  }),
);
export type SnapshotRef = z.infer<typeof SnapshotRef>;

/** What a job workflow started by reference gets inline: the snapshot without its spec and pools (they are in the plan it loads). */
export const SnapshotHeader = cachedSchema('src/domain/snapshot#SnapshotHeader', () =>
  JobSnapshot.omit({ spec: true, pools: true }),
);
export type SnapshotHeader = z.infer<typeof SnapshotHeader>;

/** A snapshot whose JSON is larger than this is stored and passed by reference (see startJobWorkflow). */
export const SNAPSHOT_INLINE_MAX_BYTES = 256 * 1024;

/** The store key of a snapshot by its sha256. */
export function snapshotKey(sha256: string): string {
  return `_snapshots/${sha256}.json`;
}

/** Input of the job workflow, snapshot inline; `carried` is set only by continue-as-new. */
export interface InlineJobInput {
  snapshot: JobSnapshot;
  carried?: unknown;
}

/** Input of the job workflow, snapshot by reference: the header inline, spec and pools loaded by hash. */
export interface RefJobInput {
  header: SnapshotHeader;
  snapshotRef: SnapshotRef;
  /** Nodes in the spec (for readers of the input: schedules, listings) without loading it. */
  nodeCount: number;
  carried?: unknown;
}

export type JobWorkflowInput = InlineJobInput | RefJobInput;

export function isRefInput(input: JobWorkflowInput): input is RefJobInput {
  return 'snapshotRef' in input && input.snapshotRef !== undefined;
}

/** The job's folder, relative to the artifact root: `<outputDir>/<jobId>` (recorded in the memo at start). */
export function jobFolder(outputDir: string, jobId: string): string {
  return `${outputDir}/${jobId}`;
}

/**
 * An owner's name (from the API key file): also the first segment of the owner's namespace in the
 * artifact store, so it can never be "", ".", ".." or a reserved ".trainyard-" name.
 */
export const OWNER_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/** An owner's namespace in the store: `<owner>/<outputDir>` (the parent of the owner's job folders). */
export function ownerOutputRoot(owner: string, outputDir: string): string {
  return `${owner}/${outputDir.replace(/^(\.\/)+/, '').replace(/\/+$/, '')}`;
}

/** The job's folder in the store: under its owner's namespace, or (older jobs) `<outputDir>/<jobId>`. */
export function jobDirOf(snapshot: Pick<JobSnapshot, 'jobId' | 'outputRoot'>, outputDir: string): string {
  return snapshot.outputRoot !== undefined
    ? `${snapshot.outputRoot}/${snapshot.jobId}`
    : jobFolder(outputDir, snapshot.jobId);
}
