// The whole local stack in one process tree: the real Temporal dev server (a child process, unless
// TEMPORAL_ADDRESS points at an existing cluster), the CPU and GPU workers, and the HTTP API.
// Used by `npm start` and `npm run demo`.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivitiesFromConfig } from '../../activities';
import { createCpuWorkers } from '../../workers/cpu-workers';
import { createGpuWorkers } from '../../workers/gpu-workers';
import { loadWorkflowBundle } from '../../workers/workflow-bundle';
import { startApiServer } from '../api/server';
import type { Config } from '../config';
import { discoverGpus } from '../gpu/discovery';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { DEV_OWNER, loadOrCreateDevKey } from './dev-key';
import { acquireLock } from './lock';

export interface Stack {
  config: Config;
  apiUrl: string;
  apiKey?: string;
  temporalAddress: string;
  uiUrl: string | null;
  client: Client;
  /** Stops API, drains workers, closes connections, stops the dev server; idempotent. */
  stop(): Promise<void>;
}

export interface StackOptions {
  log?: (line: string) => void;
  /** Run workers (default true). */
  workers?: boolean;
}

let runtimeInstalled = false;

export async function startStack(config: Config, opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        log(`shutdown: ${(err as Error).message}`);
      }
    }
  };
  try {
    const uiUrlGuess = config.temporal.address ? null : `http://127.0.0.1:${config.temporal.uiPort}`;
    const temporalGuess = config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
    const release = acquireLock(config.home, { apiUrl: `http://${config.api.host}:${config.api.port}`, temporalAddress: temporalGuess, uiUrl: uiUrlGuess });
    cleanups.push(release);

    // We stop workers ourselves, in order (API first, then workers, then server).
    if (!runtimeInstalled) {
      const level = config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN';
      // A Worker serving only workflows (or only activities) warns that it polls nothing else: expected here.
      const expected = /^No (activities|workflows) registered/;
      const logger = new DefaultLogger(level, (entry) => {
        if (!expected.test(entry.message)) console.error(`${entry.level} ${entry.message}`, entry.meta ?? '');
      });
      Runtime.install({ shutdownSignals: [], logger });
      runtimeInstalled = true;
    }

    let server: DevServer | undefined;
    let address = config.temporal.address;
    if (!address) {
      log(`starting Temporal dev server (state: ${path.relative(process.cwd(), config.temporal.dbFile) || config.temporal.dbFile}) …`);
      server = await startDevServer({
        dbFile: config.temporal.dbFile,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        cli: config.temporal.cli,
        logFile: path.join(config.home, 'temporal.log'),
      });
      cleanups.push(() => server!.stop());
      address = server.address;
    }
    const connection = await Connection.connect({ address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });

    if (opts.workers !== false) {
      const nativeConnection = await NativeConnection.connect({ address });
      const activities = createActivitiesFromConfig(config, { cudaAvailable: false });
      const workflowBundle = await loadWorkflowBundle();
      const workers: Worker[] = await createCpuWorkers({ connection: nativeConnection, config, workflowBundle, activities });
      {
        const inventory = await discoverGpus(config);
        workers.push(...(await createGpuWorkers({ connection: nativeConnection, config, activities, inventory })));
        log(`GPU worker: pool "${config.gpuPool}", ${inventory.gpus.length} GPU(s)${inventory.simulated ? ' — SIMULATED (TRAINYARD_GPUS)' : ''}`);
      }
      const running = Promise.all(workers.map((w) => w.run()));
      cleanups.push(async () => {
        await nativeConnection.close();
      });
      cleanups.push(async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running;
      });
    }

    let apiKey: string | undefined;
    let apiConfig = config;
    if (!config.api.apiKeys && !config.api.apiKeysFile) {
      apiKey = loadOrCreateDevKey(config.home);
      // Dev only: the docs page (basic auth) opens with user "docs" and the dev key as password.
      apiConfig = { ...config, api: { ...config.api, apiKeys: `${DEV_OWNER}:${apiKey}:admin`, docsPassword: config.api.docsPassword ?? apiKey } };
    }
    const api = await startApiServer({ client, config: apiConfig });
    cleanups.push(() => api.close());

    return { config, apiUrl: api.url, apiKey, temporalAddress: address, uiUrl: server?.uiUrl ?? null, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
