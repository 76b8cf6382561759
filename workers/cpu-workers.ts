// The CPU worker kind: the job workflows (DAG interpreter) and CPU step activities, as two Temporal
// Workers on one shared connection and one workflow bundle.
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Duration } from '@temporalio/common';
import type { Config } from '../src/config';
import { queueNames } from '../src/domain/task-queues';

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
  const workflows = await Worker.create({
    connection: o.connection,
    namespace,
    taskQueue: q.workflows,
    workflowBundle: o.workflowBundle,
    maxConcurrentWorkflowTaskExecutions: o.config.workflowConcurrency,
  });
  const cpu = await Worker.create({
    connection: o.connection,
    namespace,
    taskQueue: q.cpu,
    activities: o.activities,
    // The seed's max_jobs: 10 concurrent CPU steps by default.
    maxConcurrentActivityTaskExecutions: o.config.cpuConcurrency,
    shutdownGraceTime: o.config.shutdownGrace as Duration,
    // Live progress: heartbeats reach Temporal (and the API's stream) at least every second.
    maxHeartbeatThrottleInterval: '1s',
  });
  return [workflows, cpu];
}
