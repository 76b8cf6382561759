// Task queue names. Sandbox-safe. Every name derives from a prefix so several deployments can
// share one namespace (TRAINYARD_QUEUE_PREFIX).
export const DEFAULT_QUEUE_PREFIX = 'trainyard';
export const DEFAULT_POOL = 'default';

export interface QueueNames {
  /** Workflow tasks (the DAG interpreter). */
  workflows: string;
  /**
   * CPU step activities: the workflows queue itself. The Worker that runs a job's workflow also runs
   * its CPU steps, so the server hands a step back in the response to the workflow task that
   * scheduled it (eager activity dispatch), skipping a round trip through matching.
   */
  cpu: string;
  /** Where CPU steps went before (executions started by older versions still schedule there). */
  legacyCpu: string;
  gpuTrain(pool: string): string;
  gpuExport(pool: string): string;
}

const byPrefix = new Map<string, QueueNames>();
export function queueNames(prefix: string = DEFAULT_QUEUE_PREFIX): QueueNames {
  // One object per prefix: the plan asks for every node of a job (50,000 at most).
  let names = byPrefix.get(prefix);
  if (!names) {
    names = {
      workflows: `${prefix}-workflows`,
      cpu: `${prefix}-workflows`,
      legacyCpu: `${prefix}-cpu`,
      gpuTrain: (pool) => `${prefix}-gpu-train-${pool}`,
      gpuExport: (pool) => `${prefix}-gpu-export-${pool}`,
    };
    byPrefix.set(prefix, Object.freeze(names));
  }
  return names;
}

export const TASK_QUEUES = queueNames();
