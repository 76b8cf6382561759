// A real Temporal dev server for a benchmark, the two workflow bundles, and bench workers whose
// settings are identical for the job workflow and the baseline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { queueNames } from '../../src/domain/task-queues';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/temporal/dev-server';

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop } as never;

let runtimeInstalled = false;
/** Quiet SDK logs (a 10k-node run would print a line per continue-as-new otherwise). */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: quietLogger, shutdownSignals: [], telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
}

export interface BenchTemporal {
  server: DevServer;
  client: Client;
  connection: Connection;
  native: NativeConnection;
  tmpDir: string;
  teardown(): Promise<void>;
}

export async function startBenchTemporal(opts: DevServerOptions = {}): Promise<BenchTemporal> {
  installQuietRuntime();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-bench-'));
  const server = await startDevServer({ uiPort: null, logFile: path.join(tmpDir, 'temporal.log'), ...opts });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  return {
    server,
    client,
    connection,
    native,
    tmpDir,
    async teardown() {
      await native.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await server.stop();
      fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

const bundles = new Map<string, Promise<{ code: string }>>();
/**
 * A workflow bundle as production workers load it (workers/workflow-bundle.ts): code only. With a
 * source map the SDK's promise hook maps every workflow promise's stack through it, which costs
 * several times more per node; both sides of every comparison use the same form.
 */
export function bundle(which: 'job' | 'baseline'): Promise<{ code: string }> {
  const p = which === 'job' ? require.resolve('../../workflows') : require.resolve('../baseline-workflows');
  let b = bundles.get(p);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath: p, logger: quietLogger }).then((x: WorkflowBundleWithSourceMap) => ({ code: x.code }));
    bundles.set(p, b);
  }
  return b;
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
