// Which nodes of a plan will hit the step cache, predicted where the store is reachable (the API):
// in topological order, a cache-enabled node's key is computed as the cache activity would compute
// it — a root's from its type, version, config (+ params, template, a dataset's source file); a
// node whose parents are all predicted hits from those entries' artifact sha256s, which are exactly
// what a hit would hand it at run time — and looked up without copying. A node whose key needs
// something only the run produces is `unknown`; so is everything below it.
import { buildDag, topologicalIndices } from '../domain/dag';
import type { JobSpec } from '../domain/job-spec';
import type { PlannedCache } from '../domain/plan';
import { effectiveCache } from '../domain/step-cache';
import { stepCacheKey, type EntryFacts, type StepCache } from './step-cache';

/** Above this many cache-enabled nodes the rest are `unknown` (each lookup reads the store). */
export const MAX_PREDICTED_NODES = 2_000;

export async function predictCacheHits(
  spec: JobSpec,
  o: { owner: string; cache: StepCache; dataRoot: string },
): Promise<Record<string, PlannedCache>> {
  const dag = buildDag(spec.nodes);
  const hits = new Map<string, EntryFacts>();
  const out: Record<string, PlannedCache> = {};
  let looked = 0;
  for (const i of topologicalIndices(dag)) {
    const node = spec.nodes[i]!;
    const settings = effectiveCache(spec.cache, node.cache);
    if (!settings) continue;
    const parents = dag.parents[i]!.map((p) => dag.ids[p]!);
    // foreach: its items exist only at run time; select: its candidates' statuses too.
    if (node.foreach || node.type === 'select' || parents.some((p) => !hits.has(p)) || looked >= MAX_PREDICTED_NODES) {
      out[node.id] = { prediction: 'unknown' };
      continue;
    }
    looked++;
    let key: string;
    try {
      key = await stepCacheKey(
        {
          nodeType: node.type,
          config: node.config,
          ...(node.params !== undefined && { params: node.params }),
          ...(node.template !== undefined && { template: node.template }),
          upstream: Object.fromEntries(parents.map((p) => [p, hits.get(p)!])),
        },
        settings.version,
        o.dataRoot,
      );
    } catch {
      out[node.id] = { prediction: 'unknown' }; // e.g. a dataset file this process cannot read
      continue;
    }
    const entry = await o.cache.peek(o.owner, key).catch(() => undefined);
    if (!entry) {
      out[node.id] = { prediction: 'miss', key };
      continue;
    }
    hits.set(node.id, entry);
    out[node.id] = {
      prediction: 'hit',
      key,
      from: { jobId: entry.jobId, nodeId: entry.nodeId, storedAt: entry.storedAt },
    };
  }
  return out;
}
