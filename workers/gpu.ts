// GPU worker process entry: `npx tsx workers/gpu.ts` (TEMPORAL_ADDRESS, TRAINYARD_GPU_POOL, and
// TRAINYARD_GPUS=2x16 on machines without an NVIDIA GPU).
import { createActivitiesFromConfig } from '../activities';
import { runGpuWorkerProcess } from './gpu-process';
import { exitWith } from './worker-process';

exitWith(
  runGpuWorkerProcess({
    activities: (config, inventory, checkpointRequests) =>
      createActivitiesFromConfig(config, { cudaAvailable: !inventory.simulated, checkpointRequests }),
  }),
);
