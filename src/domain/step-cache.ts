// The step cache's spec and wire shapes. Sandbox-safe (imported by the workflow). The cache itself
// lives on the storage boundary (src/storage/step-cache.ts): entries and content-addressed objects
// in the object store, so a hit works on any host that shares the store (local or S3).
import { z } from 'zod';
import { Duration } from './duration';
import type { StepInput, StepOutput } from './step-io';
import { cachedSchema } from './schema-cache';

/** `cache: true` (or false to opt a node out of a job's cache), or `{ version, ttl }`. */
export const CacheSpec = cachedSchema('src/domain/step-cache#CacheSpec', () =>
  z.union([
    z.boolean(),
    z.strictObject({
      /** Bump to invalidate every entry made under another version (as Flyte's cache_version). */
      version: z.string().min(1).max(64).optional(),
      /** How long an entry serves hits after it was stored (default: until purged). */
      ttl: Duration.optional(),
    }),
  ]),
);
export type CacheSpec = z.infer<typeof CacheSpec>;

/** The cache settings a node runs under, or undefined when it does not use the cache. */
export interface EffectiveCache {
  version: string;
  ttlMs?: number;
}

/** A node's own `cache` wins over the job's; `false` on the node opts it out. */
export function effectiveCache(
  jobCache: CacheSpec | undefined,
  nodeCache: CacheSpec | undefined,
): EffectiveCache | undefined {
  const c = nodeCache ?? jobCache;
  if (c === undefined || c === false) return undefined;
  if (c === true) return { version: '0' };
  return { version: c.version ?? '0', ...(c.ttl !== undefined && { ttlMs: c.ttl }) };
}

/** What a node's output says about the cache: its key, and on a hit where the output came from. */
export const CacheOutcome = cachedSchema('src/domain/step-cache#CacheOutcome', () =>
  z.object({
    key: z.string(),
    hit: z.boolean(),
    /** A hit: the job and node that produced the entry, and when it was stored. */
    from: z.object({ jobId: z.string(), nodeId: z.string(), storedAt: z.string() }).optional(),
  }),
);
export type CacheOutcome = z.infer<typeof CacheOutcome>;

/** One entry as `trainyard cache ls` and GET /v1/cache show it. */
export const CacheEntryView = cachedSchema('src/domain/step-cache#CacheEntryView', () =>
  z.object({
    key: z.string(),
    nodeType: z.string(),
    jobId: z.string(),
    nodeId: z.string(),
    storedAt: z.string(),
    expiresAt: z.string().optional(),
    version: z.string(),
    artifacts: z.number().int(),
    bytes: z.number(),
  }),
);
export type CacheEntryView = z.infer<typeof CacheEntryView>;

/** What the workflow sends the cache activities (activities/step-cache.ts). */
export interface CacheRequest {
  owner: string;
  cache: EffectiveCache;
  /** A command node's step template (its argv is in the config). */
  template?: string;
  input: StepInput;
}

/** The step cache's activities, on the CPU queue. */
export interface CacheActivities {
  /** A hit (copied into the job's node folder, `cache.hit`), else the key to store under (none when the lookup failed). */
  cacheLookup(r: CacheRequest): Promise<{ hit?: StepOutput; key?: string }>;
  /** Stores the output; returns it with its cache outcome (unchanged when storing failed). */
  cacheStore(r: CacheRequest & { key: string; output: StepOutput }): Promise<StepOutput>;
}
