// The step cache's routes: the caller's own entries only (the cache is scoped by owner; see
// src/storage/step-cache.ts), listed, or purged with the objects no remaining entry names.
import { StepCache } from '../../storage/step-cache';
import type { ResolvedDeps } from '../deps';
import type { RouteHandlers } from '../route-table';

export function cacheHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'listCache' | 'purgeCache'> {
  const cache = new StepCache(d.store);
  return {
    listCache: async ({ principal }) => ({
      status: 200,
      body: { owner: principal.owner, entries: await cache.list(principal.owner) },
    }),
    purgeCache: async ({ principal, query }) => ({
      status: 200,
      body: {
        owner: principal.owner,
        ...(await cache.purge(principal.owner, query.olderThan !== undefined ? { olderThanMs: query.olderThan } : {})),
      },
    }),
  };
}
