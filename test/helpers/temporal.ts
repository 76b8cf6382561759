// A real Temporal dev server for a test file: start once in beforeAll, stop in afterAll.
// Never a mock: this is the same `temporal server start-dev` that `npm start` runs. The benchmarks
// (bench/lib/temporal.ts) start theirs and build their bundles through the same functions.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/temporal/dev-server';
import { WORKFLOW_BUNDLE_EXTRAS } from '../../workers/workflow-bundle';

export interface TestTemporal {
  server: DevServer;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  /** A temp folder for this test file (artifacts, logs, db). */
  tmpDir: string;
  teardown(): Promise<void>;
}

/** Starts the dev server (and client connections) for one test file or one benchmark. */
export async function startTestTemporal(
  opts: DevServerOptions = {},
  o: { tmpPrefix?: string } = {},
): Promise<TestTemporal> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), o.tmpPrefix ?? 'trainyard-test-'));
  // Searchable (not listable) by others: a root worker's step sandbox runs bwrap as uid 65534.
  fs.chmodSync(tmpDir, 0o711);
  const server = await startDevServer({ uiPort: null, logFile: path.join(tmpDir, 'temporal.log'), ...opts });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  return {
    server,
    client,
    connection,
    nativeConnection,
    tmpDir,
    async teardown() {
      await nativeConnection.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await server.stop();
      if (!process.env.TRAINYARD_KEEP_TEST_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** SDK logs at WARN for this process; a no-op when another file already installed the Runtime. */
export function installTestRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another file in this process
  }
}

/** A workflow bundle of `workflowsPath`, built once per process and path (webpack is slow). */
export function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, ...WORKFLOW_BUNDLE_EXTRAS, logger: quietLogger });
    bundles.set(workflowsPath, b);
  }
  return b;
}
const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * The job workflow bundle. Its `sourceMap` field is a placeholder in SDK 1.24 (the bundler returns
 * "deprecated: this is no longer in use"); Workers read the source map inlined in `code`, so passing
 * `{ code }` alone, as production does, costs exactly the same.
 */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflows(require.resolve('../../workflows'));
}

/** The usual workflow test file set-up: quiet runtime, a dev server and the job workflow bundle. */
export async function startWorkflowTestEnv(
  opts: DevServerOptions = {},
): Promise<{ t: TestTemporal; bundle: WorkflowBundleWithSourceMap }> {
  installTestRuntime();
  const t = await startTestTemporal(opts);
  return { t, bundle: await workflowBundle() };
}

/**
 * A dev server for the whole test file (quiet runtime; torn down after its tests): call at the top
 * level; the getter gives the server inside tests.
 */
export function useTestTemporal(): () => TestTemporal {
  let t: TestTemporal | undefined;
  beforeAll(async () => {
    installTestRuntime();
    t = await startTestTemporal();
  }, 120_000);
  afterAll(async () => t?.teardown());
  return () => t!;
}

const noop = () => undefined;
/** An SDK logger that prints errors only. */
export const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
  log: noop,
} as never;

/** Polls until fn returns a truthy value (no fixed sleeps in tests). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

let seq = 0;
/** A unique id for workflows / task queues within a test run. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}
