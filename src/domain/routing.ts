// Which task queue a node runs on. Sandbox-safe: the workflow calls taskQueueFor at run time with
// the pool recorded in the snapshot at submit time.
import { effectiveGpus, type NodeSpec } from './job-spec';
import { DEFAULT_POOL, queueNames } from './task-queues';

/** train → GPU-train queue, export → GPU-export queue, any node asking for GPUs → GPU-train, else CPU. */
export function queueKind(node: Pick<NodeSpec, 'type' | 'resources'>): 'cpu' | 'gpu-train' | 'gpu-export' {
  if (node.type === 'export') return 'gpu-export';
  if (node.type === 'train' || effectiveGpus(node) > 0) return 'gpu-train';
  return 'cpu';
}

export function taskQueueFor(
  node: Pick<NodeSpec, 'id' | 'type' | 'resources'>,
  queuePrefix: string,
  pools: Record<string, string>,
  /** Route CPU nodes to the old CPU queue (job runs that started before CPU steps moved to the workflows queue). */
  o: { legacyCpuQueue?: boolean } = {},
): string {
  const q = queueNames(queuePrefix);
  const pool = pools[node.id] ?? DEFAULT_POOL;
  switch (queueKind(node)) {
    case 'gpu-export':
      return q.gpuExport(pool);
    case 'gpu-train':
      return q.gpuTrain(pool);
    default:
      return o.legacyCpuQueue ? q.legacyCpu : q.cpu;
  }
}
