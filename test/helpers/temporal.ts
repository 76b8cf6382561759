// A real Temporal dev server for a test file: start once in beforeAll, stop in afterAll.
// Never a mock: this is the same `temporal server start-dev` that `npm start` runs.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/temporal/dev-server';

export interface TestTemporal {
  server: DevServer;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  /** A temp folder for this test file (artifacts, logs, db). */
  tmpDir: string;
  teardown(): Promise<void>;
}

export async function startTestTemporal(opts: DevServerOptions = {}): Promise<TestTemporal> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-test-'));
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

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file (webpack is slow). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundlePromise;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop } as never;

/** Polls until fn returns a truthy value (no fixed sleeps in tests). */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

let seq = 0;
/** A unique id for workflows / task queues within a test run. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++seq}`;
}
