// The whole local stack in one process tree: the real Temporal dev server (a child process, unless
// TEMPORAL_ADDRESS points at an existing cluster), the CPU and GPU workers, and the HTTP API.
// Used by `npm start` and `npm run demo`.
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createActivitiesFromConfig } from '../activities';
import { createCpuWorkers } from '../workers/cpu-workers';
import { createGpuWorkers } from '../workers/gpu-workers';
import { loadWorkflowBundle } from '../workers/workflow-bundle';
import { startApiServer } from '../src/api/server';
import type { Config } from '../src/config';
import { discoverGpus } from '../src/gpu/discovery';
import { temporalConnectionOptions } from '../src/temporal/connection';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { AccountClient } from '../src/credits/account-client';
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
    const release = acquireLock(config.home, {
      apiUrl: `http://${config.api.host}:${config.api.port}`,
      temporalAddress: temporalGuess,
      uiUrl: uiUrlGuess,
    });
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
      log(
        `starting Temporal dev server (state: ${path.relative(process.cwd(), config.temporal.dbFile) || config.temporal.dbFile}) …`,
      );
      server = await startDevServer({
        dbFile: config.temporal.dbFile,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        cli: config.temporal.cli,
        searchPath: config.temporal.searchPath,
        logFile: path.join(config.home, 'temporal.log'),
        // This home's lock is ours, so a server on its db file is a leftover of a killed stack.
        leftover: 'stop',
        log,
      });
      cleanups.push(() => server!.stop());
      address = server.address;
    }
    // An existing cluster (TEMPORAL_ADDRESS) may need mTLS; the dev server started here does not.
    const connectOpts = temporalConnectionOptions(config, address);
    const connection = await Connection.connect(connectOpts);
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: config.temporal.namespace });

    if (opts.workers !== false) {
      const nativeConnection = await NativeConnection.connect(connectOpts);
      const activities = createActivitiesFromConfig(config, { cudaAvailable: false });
      const workflowBundle = await loadWorkflowBundle({ file: config.workflowBundle });
      const workers: Worker[] = await createCpuWorkers({
        connection: nativeConnection,
        config,
        workflowBundle,
        activities,
      });
      {
        const inventory = await discoverGpus(config);
        workers.push(...(await createGpuWorkers({ connection: nativeConnection, config, activities, inventory })));
        log(
          `GPU worker: pool "${config.gpuPool}", ${inventory.gpus.length} GPU(s)${inventory.simulated ? ' — SIMULATED (TRAINYARD_GPUS)' : ''}`,
        );
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
      apiConfig = {
        ...config,
        api: {
          ...config.api,
          apiKeys: `${DEV_OWNER}:${apiKey}:admin`,
          docsPassword: config.api.docsPassword ?? apiKey,
        },
      };
    }
    // Before the API listens: its first submission already finds the dev owner's balance.
    if (apiKey && config.credits.enabled && opts.workers !== false) {
      const granted = await grantDevCredits(client, config);
      if (granted !== undefined) log(`credits: granted ${granted} to the dev key's owner "${DEV_OWNER}"`);
    }
    const api = await startApiServer({ client, config: apiConfig });
    cleanups.push(() => api.close());

    return { config, apiUrl: api.url, apiKey, temporalAddress: address, uiUrl: server?.uiUrl ?? null, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The dev owner's starting balance: granted once, when its account has never had a grant. */
async function grantDevCredits(client: Client, config: Config): Promise<number | undefined> {
  const accounts = new AccountClient(client, config.queuePrefix, { sweepMs: config.credits.sweepMs });
  if ((await accounts.get(DEV_OWNER)).totals.granted > 0 || config.credits.devGrant <= 0) return undefined;
  const r = await accounts.grant(DEV_OWNER, {
    grantId: 'dev-starting-balance',
    amount: config.credits.devGrant,
    reason: 'npm start: starting balance of the dev key',
  });
  return r.applied ? config.credits.devGrant : undefined;
}
