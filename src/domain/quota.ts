// GPU quotas: a cap on the GPUs one owner may hold at once in one pool, across every GPU worker.
// Sandbox-safe: the job workflow and the quota workflow import these definitions, and so do the
// API, the CLI and the worker-side activities.
//
// Where leases live: one quota entity workflow per (pool, owner), id quotaWorkflowId(…). Before a
// GPU node is scheduled, the job workflow asks it for a lease of the node's GPUs (update-with-start
// from a local activity); a node over quota is not scheduled at all — it holds no worker slot and
// no GPU, so other owners' steps pass it in the queue — and shows `waiting_for_quota` until the
// entity grants the lease (a signal to the job). The job releases the lease when the node's
// execution ends, however it ends; a Temporal retry after a worker crash runs under the same lease,
// so a crashed worker holds nothing. Leases of a job that closed without releasing (terminated,
// reset) are reclaimed by the entity's sweep.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

/** GPUs one owner may hold in a pool; null = unlimited. */
export const GpuLimit = cachedSchema('src/domain/quota#GpuLimit', () =>
  z.number().int().min(0).max(100_000).nullable(),
);
export type GpuLimit = z.infer<typeof GpuLimit>;

export const LeaseRequest = cachedSchema('src/domain/quota#LeaseRequest', () =>
  z.strictObject({
    /** `<jobId>/<nodeId>#<execution>`: unique per node execution, so a retried request is the same one. */
    leaseId: z.string().min(1).max(300),
    jobId: z.string().min(1).max(200),
    nodeId: z.string().min(1).max(64),
    gpus: z.number().int().min(1).max(64),
    /** Job priority (1 first … 5 last) orders the owner's waiters; then arrival. */
    priority: z.number().int().min(1).max(5),
    /** The deployment's default limit for this pool and owner (TRAINYARD_GPU_QUOTAS) as the caller sees it. */
    defaultLimit: GpuLimit,
  }),
);
export type LeaseRequest = z.infer<typeof LeaseRequest>;

export const LeaseAnswer = cachedSchema('src/domain/quota#LeaseAnswer', () =>
  z.object({
    granted: z.boolean(),
    /** GPUs the owner holds in the pool (this lease included when granted). */
    held: z.number().int(),
    limit: GpuLimit,
    /** Requests of the same owner ahead of this one (0 when granted). */
    ahead: z.number().int(),
  }),
);
export type LeaseAnswer = z.infer<typeof LeaseAnswer>;

export const ReleaseLease = cachedSchema('src/domain/quota#ReleaseLease', () =>
  z.strictObject({ leaseId: z.string().min(1).max(300) }),
);
export type ReleaseLease = z.infer<typeof ReleaseLease>;

export const SetGpuLimit = cachedSchema('src/domain/quota#SetGpuLimit', () =>
  z.strictObject({
    /** The explicit limit (null = unlimited), or "default" to go back to TRAINYARD_GPU_QUOTAS. */
    limit: z.union([GpuLimit, z.literal('default')]),
  }),
);
export type SetGpuLimit = z.infer<typeof SetGpuLimit>;

export const QuotaLease = cachedSchema('src/domain/quota#QuotaLease', () =>
  z.object({
    leaseId: z.string(),
    jobId: z.string(),
    nodeId: z.string(),
    gpus: z.number().int(),
    priority: z.number().int(),
    /** ISO time the lease was asked for / granted. */
    requestedAt: z.string(),
    grantedAt: z.string().optional(),
  }),
);
export type QuotaLease = z.infer<typeof QuotaLease>;

/** What the quota entity carries across continue-as-new, and what its query shows. */
export const QuotaBookState = cachedSchema('src/domain/quota#QuotaBookState', () =>
  z.object({
    explicitLimit: GpuLimit.optional(),
    defaultLimit: GpuLimit,
    leases: z.array(QuotaLease),
    /** In grant order: priority, then arrival. */
    waiting: z.array(QuotaLease),
  }),
);
export type QuotaBookState = z.infer<typeof QuotaBookState>;

export const QuotaView = cachedSchema('src/domain/quota#QuotaView', () =>
  QuotaBookState.extend({
    pool: z.string(),
    owner: z.string(),
    /** The limit in force: the explicit one, else the default; null = unlimited. */
    limit: GpuLimit,
    held: z.number().int(),
  }),
);
export type QuotaView = z.infer<typeof QuotaView>;

export interface QuotaWorkflowInput {
  pool: string;
  owner: string;
  /** How often leases are checked against their jobs (closed jobs' leases are reclaimed). */
  sweepMs: number;
  carried?: QuotaBookState;
}

/** Where a job asks for a lease: `${pool}` and `${owner}` name the quota entity. */
export interface LeaseCall {
  queuePrefix: string;
  pool: string;
  owner: string;
  request: Omit<LeaseRequest, 'defaultLimit'>;
}

/**
 * Local activities of the workflows Worker that the job and quota workflows call (the worker
 * fills in the default limit from its configuration).
 */
export interface QuotaActivities {
  requestGpuLease(call: LeaseCall): Promise<LeaseAnswer>;
  /** The given job ids whose workflows are closed or gone. */
  findClosedJobs(jobIds: string[]): Promise<string[]>;
}

export const requestLeaseUpdate = defineUpdate<LeaseAnswer, [LeaseRequest]>('requestGpuLease');
export const setLimitUpdate = defineUpdate<QuotaView, [SetGpuLimit]>('setGpuLimit');
export const releaseLeaseSignal = defineSignal<[ReleaseLease]>('releaseGpuLease');
export const quotaQuery = defineQuery<QuotaView>('gpuQuota');
/** Entity → job: the lease the job was waiting for is granted. */
export const leaseGrantedSignal = defineSignal<[{ leaseId: string; pool: string }]>('gpuLeaseGranted');

export const QUOTA_WORKFLOW_TYPE = 'gpuQuotaWorkflow';

/** One quota entity per deployment (queue prefix), pool and owner. */
export function quotaWorkflowId(queuePrefix: string, pool: string, owner: string): string {
  return `${queuePrefix}-quota:${pool}:${owner}`;
}

export function leaseIdOf(jobId: string, nodeId: string, execution: number): string {
  return `${jobId}/${nodeId}#${execution}`;
}

/** "over quota in pool default: needs 1 GPU; the owner holds 2 of 2 (1 request ahead)". */
export function describeQuotaWait(w: {
  pool: string;
  gpus: number;
  held?: number;
  limit?: number | null;
  ahead?: number;
}): string {
  const gpus = `${w.gpus} GPU${w.gpus === 1 ? '' : 's'}`;
  if (w.held === undefined) return `asking for a GPU lease in pool ${w.pool} (${gpus})`;
  const limit = w.limit === null || w.limit === undefined ? 'no limit' : `a quota of ${w.limit}`;
  const ahead = w.ahead ? ` (${w.ahead} request${w.ahead === 1 ? '' : 's'} ahead)` : '';
  return `over quota in pool ${w.pool}: needs ${gpus}; the owner holds ${w.held} with ${limit}${ahead}`;
}

// ---- default limits (TRAINYARD_GPU_QUOTAS) ----

/**
 * Default limits: `[pool/]owner=N|unlimited` entries, `*` for any owner; the most specific entry
 * wins (pool/owner, pool/*, owner, *). Unlisted = unlimited. The admin API's explicit limits
 * override these per pool and owner.
 */
export type GpuQuotaDefaults = { pool: string | null; owner: string; limit: GpuLimit }[];

const QUOTA_ENTRY_RE = /^(?:([a-z0-9][a-z0-9-]*)\/)?([A-Za-z0-9][A-Za-z0-9_.@-]{0,127}|\*)=(\d+|unlimited)$/;

/** Parses TRAINYARD_GPU_QUOTAS (after `on`, if given); throws naming the bad entry. */
export function parseGpuQuotas(text: string): GpuQuotaDefaults {
  const out: GpuQuotaDefaults = [];
  for (const entry of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (entry === 'on') continue;
    const m = QUOTA_ENTRY_RE.exec(entry);
    if (!m)
      throw new Error(
        `TRAINYARD_GPU_QUOTAS: "${entry}" is not [POOL/]OWNER=GPUS (GPUS a whole number or "unlimited"; OWNER may be *), e.g. on,*=8,alice=2,a100-80g/*=4`,
      );
    out.push({ pool: m[1] ?? null, owner: m[2]!, limit: m[3] === 'unlimited' ? null : Number(m[3]) });
  }
  return out;
}

export function defaultGpuLimit(defaults: GpuQuotaDefaults, pool: string, owner: string): GpuLimit {
  const find = (p: string | null, o: string) => defaults.find((d) => d.pool === p && d.owner === o);
  const hit = find(pool, owner) ?? find(pool, '*') ?? find(null, owner) ?? find(null, '*');
  return hit ? hit.limit : null;
}
