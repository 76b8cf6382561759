// A real Temporal dev server for a benchmark, the two workflow bundles, and bench workers whose
// settings are identical for the job workflow and the baseline.
import { Runtime, Worker } from '@temporalio/worker';
import { queueNames } from '../../src/domain/task-queues';
import type { DevServerOptions } from '../../src/temporal/dev-server';
import { bundleWorkflows, quietLogger, startTestTemporal, type TestTemporal } from '../../test/helpers/temporal';

let runtimeInstalled = false;
/** Quiet SDK logs (a 10k-node run would print a line per continue-as-new otherwise). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: quietLogger, shutdownSignals: [], telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

/** The tests' dev server set-up (test/helpers/temporal.ts), under the benchmarks' name for the native connection. */
export type BenchTemporal = TestTemporal & { native: TestTemporal['nativeConnection'] };

export async function startBenchTemporal(opts: DevServerOptions = {}): Promise<BenchTemporal> {
  installQuietRuntime();
  const t = await startTestTemporal(opts, { tmpPrefix: 'trainyard-bench-' });
  return Object.assign(t, { native: t.nativeConnection });
}

/**
 * A workflow bundle as production workers pass it (workers/workflow-bundle.ts): `{ code }`. The
 * source map travels inlined in the code either way (SDK 1.24 ignores a separate `sourceMap`), so
 * both sides of every comparison pay the same stack-trace bookkeeping.
 */
export async function bundle(which: 'job' | 'baseline'): Promise<{ code: string }> {
  const { code } = await bundleWorkflows(which === 'job' ? require.resolve('../../workflows') : require.resolve('../baseline-workflows'));
  return { code };
}

export interface BenchWorkers {
  prefix: string;
  queues: ReturnType<typeof queueNames>;
  /** Workflow task queue of the baseline workflows. */
  baselineQueue: string;
  workers: Worker[];
  running: Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * The job workflow worker and the baseline workflow worker (same settings), and one activity
 * worker on the CPU queue that serves both with the given step table.
 */
export async function startBenchWorkers(t: BenchTemporal, activities: object, o: { prefix: string; activityConcurrency?: number; baseline?: boolean; workflowConcurrency?: number }): Promise<BenchWorkers> {
  const queues = queueNames(o.prefix);
  const baselineQueue = `${o.prefix}-baseline`;
  const wfSettings = { maxConcurrentWorkflowTaskExecutions: o.workflowConcurrency ?? 40 };
  const workers: Worker[] = [
    await Worker.create({ connection: t.native, namespace: t.server.namespace, taskQueue: queues.workflows, workflowBundle: await bundle('job'), ...wfSettings }),
    await Worker.create({ connection: t.native, namespace: t.server.namespace, taskQueue: queues.cpu, activities, maxConcurrentActivityTaskExecutions: o.activityConcurrency ?? 100 }),
  ];
  if (o.baseline) workers.push(await Worker.create({ connection: t.native, namespace: t.server.namespace, taskQueue: baselineQueue, workflowBundle: await bundle('baseline'), ...wfSettings }));
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    prefix: o.prefix,
    queues,
    baselineQueue,
    workers,
    running,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
