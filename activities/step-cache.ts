// The step cache's activities (run on the CPU queue, no GPU): look a node up before it runs, store
// its output after. The key is computed here, from the step's input as the workflow recorded it:
// step type + implementation version + cache version + canonical config (+ params and template)
// + the sha256 of every upstream artifact it consumes (+ a dataset's source file), by the storage
// boundary (src/storage/step-cache.ts, which the plan's prediction uses too), which does the rest. A cache that fails never fails the node: a
// lookup error is a miss, a store error leaves the output uncached (both logged).
import { log } from '@temporalio/activity';
import { z } from 'zod';
import type { CacheActivities, CacheOutcome } from '../src/domain/step-cache';
import { StepInput, StepOutput } from '../src/domain/step-io';
import { StepCache, stepCacheKey } from '../src/storage/step-cache';
import type { StepDeps } from './step-deps';

export const CacheRequest = z.object({
  owner: z.string().min(1),
  cache: z.object({ version: z.string(), ttlMs: z.number().optional() }),
  template: z.string().optional(),
  input: StepInput,
});
type CacheRequest = z.infer<typeof CacheRequest>;

/** The key of the node the workflow is about to run (src/storage/step-cache.ts computes it). */
export function requestKey(r: CacheRequest, dataRoot: string): Promise<string> {
  return stepCacheKey({ ...r.input, template: r.template }, r.cache.version, dataRoot);
}

export function createCacheActivities(deps: StepDeps): CacheActivities {
  const cache = new StepCache(deps.store);
  return {
    /** A hit (the output, copied into this job's node folder, with cache.hit), or the key to store under. */
    async cacheLookup(raw): Promise<{ hit?: StepOutput; key?: string }> {
      const r = CacheRequest.parse(raw);
      try {
        const key = await requestKey(r, deps.dataRoot);
        const hit = await cache.get({
          owner: r.owner,
          key,
          jobDir: r.input.outputDir,
          nodeId: r.input.nodeId,
          upstream: r.input.upstream,
        });
        return hit ? { hit } : { key };
      } catch (err) {
        log.warn('step cache lookup failed: the node runs', { node: r.input.nodeId, error: String(err) });
        return {};
      }
    },
    /** Stores a completed node's output; returns the output with its cache outcome (hit: false). */
    async cacheStore(raw) {
      const r = CacheRequest.extend({ key: z.string(), output: StepOutput }).parse(raw);
      const outcome: CacheOutcome = { key: r.key, hit: false };
      try {
        await cache.put(
          {
            owner: r.owner,
            key: r.key,
            cache: r.cache,
            jobId: r.input.jobId,
            nodeId: r.input.nodeId,
            nodeType: r.input.nodeType,
          },
          r.output,
        );
      } catch (err) {
        log.warn('step cache store failed: the output is not cached', { node: r.input.nodeId, error: String(err) });
        return r.output;
      }
      return { ...r.output, cache: outcome };
    },
  };
}
