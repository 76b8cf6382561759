// The GPU worker process (workers/gpu.ts): discovers the GPUs, then serves the pool's GPU-train and
// GPU-export queues. Split from gpu.ts so tests can start the same process with their own steps.
import { CheckpointRequests } from '../activities/checkpoint-requests';
import type { Config } from '../src/config';
import { describeInventory, discoverGpus, type GpuInventory } from '../src/gpu/discovery';
import { createGpuWorkers } from './gpu-workers';
import { runWorkerProcess } from './worker-process';

export interface GpuProcessOptions {
  /**
   * The step activity table for this worker. Its steps register with `checkpointRequests`, which
   * the preemption notice (SIGTERM, notice file, notice endpoint) asks for a checkpoint now.
   */
  activities(config: Config, inventory: GpuInventory, checkpointRequests: CheckpointRequests): object;
  env?: Record<string, string | undefined>;
}

export function runGpuWorkerProcess(opts: GpuProcessOptions): Promise<number> {
  return runWorkerProcess({
    name: 'gpu-worker',
    env: opts.env,
    async build({ config, connection, log }) {
      const inventory = await discoverGpus(config);
      const checkpointRequests = new CheckpointRequests();
      const workers = await createGpuWorkers({
        connection,
        config,
        activities: opts.activities(config, inventory, checkpointRequests),
        inventory,
        log,
      });
      const slots = inventory.gpus.length;
      return {
        workers,
        checkpointRequests,
        describe: [
          `pool "${workers.pool}": queues ${workers.queues.train}, ${workers.queues.export}`,
          `GPUs: ${describeInventory(inventory)}`,
          `concurrency: at most ${slots} GPU step(s) at once (one activity slot per free GPU, shared by both queues); shutdown grace ${config.shutdownGraceMs} ms`,
          'preemption notice (SIGTERM, notice file, notice endpoint): running steps checkpoint now, then the drain',
          ...(inventory.simulated
            ? [`SIMULATED GPUs (${inventory.source}): no real device behind CUDA_VISIBLE_DEVICES`]
            : []),
        ],
      };
    },
  });
}
