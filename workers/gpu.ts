// GPU worker process entry: `npx tsx workers/gpu.ts` (TEMPORAL_ADDRESS, TRAINYARD_GPU_POOL, and
// TRAINYARD_GPUS=2x16 on machines without an NVIDIA GPU).
import { createActivities } from '../activities';
import { LocalArtifactStore } from '../src/artifacts/local-store';
import { runGpuWorkerProcess } from './gpu-process';
import { exitWith } from './worker-process';

exitWith(
  runGpuWorkerProcess({
    activities: (config, inventory) =>
      createActivities({ store: new LocalArtifactStore(config.artifactRoot), dataRoot: config.dataRoot, allowedCommands: config.allowedCommands, scriptsDir: config.scriptsDir, cudaAvailable: !inventory.simulated }),
  }),
);
