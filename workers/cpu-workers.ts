// The CPU worker kind: the job workflows (DAG interpreter) and the CPU step activities in ONE
// Temporal Worker on the workflows queue, so the server hands a CPU step to the worker in the
// response to the workflow task that scheduled it (eager activity dispatch: no trip through
// matching, a few ms less per dependent step). A second Worker serves the old CPU queue for job
// runs that started before CPU steps moved (src/domain/task-queues.ts `legacyCpu`).
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Config } from '../src/config';
import { queueNames } from '../src/domain/task-queues';
import { WORKFLOW_ISOLATE_TIMEOUT } from './isolate-timeout';
import { versioningOptions } from './versioning';
import { createWorkflowActivities } from './workflow-activities';
import { createWorkflowWorker } from './workflow-stack-traces';

export interface CpuWorkerOptions {
  connection: NativeConnection;
  config: Config;
  workflowBundle: WorkflowBundleOption;
  /** The step activity table (activities/index.ts createActivities). */
  activities: object;
  namespace?: string;
}

export async function createCpuWorkers(o: CpuWorkerOptions): Promise<Worker[]> {
  const q = queueNames(o.config.queuePrefix);
  const namespace = o.namespace ?? o.config.temporal.namespace;
  const steps = {
    activities: o.activities,
    shutdownGraceTime: o.config.shutdownGraceMs,
    // Live progress: heartbeats reach Temporal (and the API's stream) at least every second.
    maxHeartbeatThrottleInterval: 1000,
    ...versioningOptions(o.config),
  };
  // Without the SDK's per-promise stack capture unless asked for (workers/workflow-stack-traces.ts).
  const main = await createWorkflowWorker(o.config.workflowStackTraces, () =>
    Worker.create({
      connection: o.connection,
      namespace,
      taskQueue: q.workflows,
      workflowBundle: o.workflowBundle,
      ...WORKFLOW_ISOLATE_TIMEOUT,
      maxConcurrentWorkflowTaskExecutions: o.config.workflowConcurrency,
      // A new job's first task evaluates the bundle's modules (its zod schemas) in a fresh module cache
      // on its thread: one thread caps job creation at one core (bench/README.md §10, TRAINYARD_WORKFLOW_THREADS).
      workflowThreadPoolSize: o.config.workflowThreads,
      // The seed's max_jobs: 10 concurrent CPU steps by default.
      maxConcurrentActivityTaskExecutions: o.config.cpuConcurrency,
      ...steps,
      // The CPU steps, and the local activities the job and entity workflows call (GPU quota leases).
      activities: { ...o.activities, ...createWorkflowActivities(o.config) },
    }),
  );
  const legacy = await Worker.create({
    connection: o.connection,
    namespace,
    taskQueue: q.legacyCpu,
    maxConcurrentActivityTaskExecutions: o.config.cpuConcurrency,
    // Idle once the older runs are done: one poll is enough.
    maxConcurrentActivityTaskPolls: 1,
    ...steps,
  });
  return [main, legacy];
}
