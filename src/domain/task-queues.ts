// Task queue names. Sandbox-safe. Every name derives from a prefix so several deployments can
// share one namespace (TRAINYARD_QUEUE_PREFIX).
export const DEFAULT_QUEUE_PREFIX = 'trainyard';
export const DEFAULT_POOL = 'default';

export interface QueueNames {
  /** Workflow tasks (the DAG interpreter). */
  workflows: string;
  /** CPU step activities. */
  cpu: string;
  gpuTrain(pool: string): string;
  gpuExport(pool: string): string;
}

export function queueNames(prefix: string = DEFAULT_QUEUE_PREFIX): QueueNames {
  return {
    workflows: `${prefix}-workflows`,
    cpu: `${prefix}-cpu`,
    gpuTrain: (pool) => `${prefix}-gpu-train-${pool}`,
    gpuExport: (pool) => `${prefix}-gpu-export-${pool}`,
  };
}

export const TASK_QUEUES = queueNames();
