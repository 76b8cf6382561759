// What a job used, measured, for its credit charge: the cells of the datasets it loaded, the
// parameters of the models it trained, the preprocess and visualize nodes that ran, and the
// GPU-seconds of every execution and attempt, by pool. Pure (reads the job's state only).
import type { CreditUsage } from '../src/domain/credits';
import { DEFAULT_POOL } from '../src/domain/task-queues';
import type { JobState } from './job-state';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function measuredUsage(state: JobState, pools: Record<string, string>): CreditUsage {
  const usage: CreditUsage = { cells: 0, parameters: 0, preprocess: 0, visualizations: 0, gpuSeconds: {} };
  for (const n of state.nodes) {
    const summary = n.output?.summary;
    switch (n.spec.type) {
      case 'dataset':
        usage.cells += (num(summary?.rows) ?? 0) * (num(summary?.columns) ?? 0);
        break;
      case 'train':
        usage.parameters += num(summary?.parameters) ?? 0;
        break;
      case 'preprocess':
        if (n.executions > 0) usage.preprocess++;
        break;
      case 'visualize':
        if (n.executions > 0) usage.visualizations++;
        break;
      default:
        break;
    }
    // The node's measured GPU time (every attempt and execution; src/domain/progress.ts NodeUsage).
    const secs = state.gpuSeconds(n);
    if (secs > 0) {
      const pool = pools[n.spec.id] ?? DEFAULT_POOL;
      usage.gpuSeconds[pool] = (usage.gpuSeconds[pool] ?? 0) + secs;
    }
  }
  return usage;
}
