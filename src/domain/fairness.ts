// Fair share between owners: every job's workflow task and step activities carry Temporal's
// `priority.fairnessKey` (the owner) and `fairnessWeight` (from TRAINYARD_FAIRNESS_WEIGHTS), so a
// task queue with a backlog dispatches owners in proportion to their weights instead of in arrival
// order (the server needs `matching.enableFairness=true`). Captured in the snapshot at submit, so a
// job keeps its weight for its whole life. Sandbox-safe.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

/** Temporal's limits: a key of at most 64 bytes; weights are clamped to [0.001, 1000]. */
export const FAIRNESS_KEY_MAX_BYTES = 64;
export const MIN_FAIRNESS_WEIGHT = 0.001;
export const MAX_FAIRNESS_WEIGHT = 1000;

export const FairnessWeight = cachedSchema('src/domain/fairness#FairnessWeight', () =>
  z.number().min(MIN_FAIRNESS_WEIGHT).max(MAX_FAIRNESS_WEIGHT),
);

export const Fairness = cachedSchema('src/domain/fairness#Fairness', () =>
  z.object({
    key: z.string().min(1).max(FAIRNESS_KEY_MAX_BYTES),
    weight: FairnessWeight,
  }),
);
export type Fairness = z.infer<typeof Fairness>;

/** Owner → weight; `*` is the weight of every owner not listed (default 1). */
export type FairnessWeights = Record<string, number>;

/**
 * The fairness key of an owner: the owner itself when it fits Temporal's 64 bytes (owners are
 * ASCII), else a prefix plus a hash of the whole name, so two long owners never share a key.
 */
export function fairnessKeyOf(owner: string): string {
  if (owner.length <= FAIRNESS_KEY_MAX_BYTES) return owner;
  return `${owner.slice(0, FAIRNESS_KEY_MAX_BYTES - 9)}~${fnv1a32(owner)}`;
}

export function fairnessFor(owner: string, weights: FairnessWeights): Fairness {
  return { key: fairnessKeyOf(owner), weight: weights[owner] ?? weights['*'] ?? 1 };
}

/** Temporal's `priority` of a job's workflow and steps. */
export function priorityOf(
  priorityKey: number,
  fairness: Fairness | undefined,
): { priorityKey: number; fairnessKey?: string; fairnessWeight?: number } {
  return fairness ? { priorityKey, fairnessKey: fairness.key, fairnessWeight: fairness.weight } : { priorityKey };
}

function fnv1a32(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
