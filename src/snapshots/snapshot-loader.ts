// The loader of snapshots passed by reference: a workflow-queue activity that reads the snapshot by
// hash (verified), validates it (first run) and answers the compact plan (src/domain/job-plan-chunks.ts)
// one chunk at a time. The plan is built once per snapshot and kept in this worker's memory, keyed
// by its sha256, so the runs of a long job (one load per continue-as-new) and the chunks of one run
// cost a read of the store and a parse once, not each time.
import { LRUCache } from 'lru-cache';
import { JobSpec } from '../domain/job-spec';
import {
  chunkText,
  compactPlan,
  type PlanChunk,
  type PlanChunkRequest,
  type SnapshotActivities,
} from '../domain/job-plan-chunks';
import { issueDetails, type ErrorDetail } from '../domain/issues';
import { validateJob } from '../domain/validate';
import type { ObjectStore } from '../storage/object-store';
import { loadSnapshot } from './snapshot-store';

interface BuiltPlan {
  chunks: string[];
  chars: number;
  /** Full validation ran (validateJob) rather than the schema parse. */
  validated: boolean;
  errors?: ErrorDetail[];
}

export interface SnapshotLoaderDeps {
  objects: ObjectStore;
  /** Plans kept in memory (default 16). */
  cachedPlans?: number;
}

export function createSnapshotActivities(deps: SnapshotLoaderDeps): SnapshotActivities {
  const plans = new LRUCache<string, BuiltPlan, PlanChunkRequest>({
    max: deps.cachedPlans ?? 16,
    fetchMethod: async (_key, _stale, { context }) => build(context.ref, context.validate),
  });

  async function build(ref: PlanChunkRequest['ref'], validate: boolean): Promise<BuiltPlan> {
    const snapshot = await loadSnapshot(deps.objects, ref);
    const v = validate ? validateJob(snapshot.spec) : parsed(snapshot.spec);
    if (!v.ok) return { chunks: [''], chars: 0, validated: validate, errors: v.errors.slice(0, 200) };
    const text = JSON.stringify(compactPlan(v.spec, snapshot.pools));
    return { chunks: chunkText(text), chars: text.length, validated: validate };
  }

  return {
    async loadPlanChunk(req: PlanChunkRequest): Promise<PlanChunk> {
      const key = `${req.ref.sha256}/${req.validate ? 'validated' : 'parsed'}`;
      // A validated plan answers a parse-only request too.
      let plan = req.validate ? undefined : plans.get(`${req.ref.sha256}/validated`);
      plan ??= await plans.fetch(key, { context: req });
      if (!plan) throw new Error(`snapshot ${req.ref.sha256}: no plan`);
      const text = plan.chunks[req.index];
      if (text === undefined)
        throw new Error(`snapshot ${req.ref.sha256}: no chunk ${req.index} (the plan has ${plan.chunks.length})`);
      return {
        sha256: req.ref.sha256,
        index: req.index,
        count: plan.chunks.length,
        chars: plan.chars,
        text,
        ...(plan.errors && { errors: plan.errors }),
      };
    },
  };
}

function parsed(spec: unknown): { ok: true; spec: JobSpec } | { ok: false; errors: ErrorDetail[] } {
  const r = JobSpec.safeParse(spec);
  return r.success ? { ok: true, spec: r.data } : { ok: false, errors: issueDetails(r.error.issues) };
}
