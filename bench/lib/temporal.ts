// A real Temporal dev server for a benchmark, the job workflow bundle, and the bench worker.
import { Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { queueNames } from '../../src/domain/task-queues';
import { WORKFLOW_ISOLATE_TIMEOUT } from '../../workers/isolate-timeout';
import { WORKFLOW_BUNDLE_EXTRAS } from '../../workers/workflow-bundle';
import type { DevServerOptions } from '../../src/temporal/dev-server';
import { bundleWorkflows, quietLogger, startTestTemporal, type TestTemporal } from '../../test/helpers/temporal';

let runtimeInstalled = false;
/**
 * Quiet SDK logs (a 10k-node run would print a line per continue-as-new otherwise). With
 * `metricsBindAddress` the SDK's own metrics (task latencies per task queue) are served for scraping.
 * The first call in a process wins.
 */
export function installQuietRuntime(o: { metricsBindAddress?: string } = {}): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: quietLogger,
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} },
      ...(o.metricsBindAddress && { metrics: { prometheus: { bindAddress: o.metricsBindAddress } } }),
    },
  });
}

/** The tests' dev server set-up (test/helpers/temporal.ts), under the benchmarks' name for the native connection. */
export type BenchTemporal = TestTemporal & { native: TestTemporal['nativeConnection'] };

export async function startBenchTemporal(opts: DevServerOptions = {}): Promise<BenchTemporal> {
  installQuietRuntime();
  const t = await startTestTemporal(opts, { tmpPrefix: 'trainyard-bench-' });
  return Object.assign(t, { native: t.nativeConnection });
}

/**
 * The job workflow bundle as production workers pass it (workers/workflow-bundle.ts): `{ code }`.
 * The source map travels inlined in the code either way (SDK 1.24 ignores a separate `sourceMap`).
 */
export async function jobBundle(): Promise<{ code: string }> {
  const { code } = await bundleWorkflows(require.resolve('../../workflows'));
  return { code };
}

/**
 * The same bundle without the preloaded schema cache (src/domain/schema-cache.ts): every job builds
 * its own schemas, as before the cache. Only the benchmarks use it, as the "before" of an A/B.
 */
export async function jobBundleWithoutSchemaCache(): Promise<{ code: string }> {
  const { preloadModules: _cache, ...extras } = WORKFLOW_BUNDLE_EXTRAS;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    ...extras,
    logger: quietLogger,
  });
  return { code };
}

export interface BenchWorkers {
  prefix: string;
  queues: ReturnType<typeof queueNames>;
  workers: Worker[];
  running: Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * The job workflow and its CPU steps (the given step table) in one Worker on the workflows queue,
 * laid out as workers/cpu-workers.ts runs them in production.
 */
export async function startBenchWorkers(
  t: BenchTemporal,
  activities: object,
  o: { prefix: string; activityConcurrency?: number; workflowConcurrency?: number },
): Promise<BenchWorkers> {
  const queues = queueNames(o.prefix);
  const workers: Worker[] = [
    await Worker.create({
      connection: t.native,
      namespace: t.server.namespace,
      taskQueue: queues.workflows,
      workflowBundle: await jobBundle(),
      ...WORKFLOW_ISOLATE_TIMEOUT,
      activities,
      maxConcurrentWorkflowTaskExecutions: o.workflowConcurrency ?? 40,
      maxConcurrentActivityTaskExecutions: o.activityConcurrency ?? 100,
    }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    prefix: o.prefix,
    queues,
    workers,
    running,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}
