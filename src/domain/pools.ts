// GPU pool choice at submit time. Sandbox-safe. The chosen pool is recorded in the job snapshot
// (JobSnapshot.pools) and turned into a task queue by taskQueueFor.
import { effectiveGpus, type JobSpec, type NodeSpec } from './job-spec';
import { queueKind } from './routing';

/** A GPU pool: workers with `gpusPerWorker` GPUs of `memoryGb` each (same shape as config's GpuPool). */
export interface PoolSpec {
  name: string;
  gpusPerWorker: number;
  memoryGb: number;
}

/** What a node asks of one worker. */
export interface GpuRequest {
  gpus: number;
  gpuMemoryGb: number;
}

type PoolNode = Pick<NodeSpec, 'type'> & { resources: { gpus?: number | undefined; gpuMemoryGb?: number | undefined } };

/** The node's effective GPU request (train defaults to one GPU). */
export function gpuRequest(node: PoolNode): GpuRequest {
  const gpuMemoryGb = node.resources.gpuMemoryGb ?? 0;
  return {
    gpus: effectiveGpus({ type: node.type, resources: { gpus: node.resources.gpus, gpuMemoryGb } }),
    gpuMemoryGb,
  };
}

export function fitsPool(req: GpuRequest, pool: PoolSpec): boolean {
  return req.gpus <= pool.gpusPerWorker && req.gpuMemoryGb <= pool.memoryGb;
}

/** Orders pools smallest first: fewest GPUs, then least memory, then name. */
export function comparePools(a: PoolSpec, b: PoolSpec): number {
  return (
    a.gpusPerWorker - b.gpusPerWorker || a.memoryGb - b.memoryGb || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/** The largest pool (most GPUs, then most memory, then name), or null when there is none. */
export function largestPool(pools: readonly PoolSpec[]): PoolSpec | null {
  let best: PoolSpec | null = null;
  for (const p of pools) if (best === null || comparePools(p, best) > 0) best = p;
  return best;
}

/** The smallest pool that fits the node's GPU request, or null when none does. */
export function choosePool(node: PoolNode, pools: readonly PoolSpec[]): PoolSpec | null {
  const req = gpuRequest(node);
  let best: PoolSpec | null = null;
  for (const p of pools) if (fitsPool(req, p) && (best === null || comparePools(p, best) < 0)) best = p;
  return best;
}

/**
 * The pool of every node routed to a GPU queue (see queueKind), by node id. A GPU-queue node that
 * asks for no GPU gets the smallest pool. Without pools, returns {} (every GPU queue uses the
 * default pool). Throws when a node fits no pool: validate with `ctx.pools` first.
 */
export function resolvePools(spec: Pick<JobSpec, 'nodes'>, pools: readonly PoolSpec[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (pools.length === 0) return out;
  for (const node of spec.nodes) {
    if (queueKind(node) === 'cpu') continue;
    const pool = choosePool(node, pools);
    if (pool === null) throw new Error(`node "${node.id}" fits no GPU pool (${describeRequest(gpuRequest(node))})`);
    out[node.id] = pool.name;
  }
  return out;
}

/** "3 GPUs with 40 GB each" / "1 GPU". */
export function describeRequest(req: GpuRequest): string {
  return `${req.gpus} GPU${req.gpus === 1 ? '' : 's'}${req.gpuMemoryGb > 0 ? ` with ${req.gpuMemoryGb} GB each` : ''}`;
}

/** "2 GPUs of 16 GB". */
export function describePool(pool: PoolSpec): string {
  return `${pool.gpusPerWorker} GPU${pool.gpusPerWorker === 1 ? '' : 's'} of ${pool.memoryGb} GB`;
}
