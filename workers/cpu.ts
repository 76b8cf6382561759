// CPU worker process entry: `npx tsx workers/cpu.ts` (TEMPORAL_ADDRESS required). Hosts the job
// workflows and the CPU step queue on one connection and one workflow bundle.
import { createActivities } from '../activities';
import { LocalArtifactStore } from '../src/artifacts/local-store';
import { queueNames } from '../src/domain/task-queues';
import { createCpuWorkers } from './cpu-workers';
import { loadWorkflowBundle } from './workflow-bundle';
import { exitWith, runWorkerProcess } from './worker-process';

exitWith(
  runWorkerProcess({
    name: 'cpu-worker',
    async build({ config, connection }) {
      const activities = createActivities({ store: new LocalArtifactStore(config.artifactRoot), dataRoot: config.dataRoot, allowedCommands: config.allowedCommands, scriptsDir: config.scriptsDir, cudaAvailable: false });
      const workflowBundle = await loadWorkflowBundle();
      const workers = await createCpuWorkers({ connection, config, workflowBundle, activities });
      const q = queueNames(config.queuePrefix);
      return {
        workers,
        describe: [
          `queues: ${q.workflows} (workflows, ${config.workflowConcurrency} concurrent tasks), ${q.cpu} (CPU steps, ${config.cpuConcurrency} concurrent)`,
          `GPUs: none (GPU steps run on workers/gpu.ts); shutdown grace ${config.shutdownGrace}`,
        ],
      };
    },
  }),
);
