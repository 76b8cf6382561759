// CPU worker process entry: `npx tsx workers/cpu.ts` (TEMPORAL_ADDRESS required). Hosts the job
// workflows and their CPU steps on one connection and one workflow bundle (workers/cpu-workers.ts).
import { createActivitiesFromConfig } from '../activities';
import { queueNames } from '../src/domain/task-queues';
import { createCpuWorkers } from './cpu-workers';
import { loadWorkflowBundle } from './workflow-bundle';
import { exitWith, runWorkerProcess } from './worker-process';

exitWith(
  runWorkerProcess({
    name: 'cpu-worker',
    async build({ config, connection }) {
      const activities = createActivitiesFromConfig(config, { cudaAvailable: false });
      const workflowBundle = await loadWorkflowBundle({ file: config.workflowBundle });
      const workers = await createCpuWorkers({ connection, config, workflowBundle, activities });
      const q = queueNames(config.queuePrefix);
      return {
        workers,
        describe: [
          `queue ${q.workflows}: workflows (${config.workflowConcurrency} concurrent tasks) and CPU steps (${config.cpuConcurrency} concurrent, dispatched eagerly); ${q.legacyCpu}: CPU steps of runs started before they moved`,
          `GPUs: none (GPU steps run on workers/gpu.ts); shutdown grace ${config.shutdownGraceMs} ms`,
        ],
      };
    },
  }),
);
