// What the API needs, with defaults filled in from the Config.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { createLogger } from '../logger';
import { ScheduleService } from '../job-service/schedules';
import type { Artifacts } from '../storage/artifacts';
import { storageFromConfig } from '../storage';
import { jobServiceConfigFrom } from '../job-service/config';
import { JobService } from '../job-service/job-service';
import { loadKeyStore, type ApiKeyStore } from './auth';
import type { ErrorLogger } from './errors';
import { StreamHub, STATUS_REUSE_MS } from './job-watcher';
import { createMetrics, type ApiMetrics } from './metrics';
import type { ResponseObserver } from './route-table';
import { SessionStore } from './sessions';

export interface ApiLogger extends ErrorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AppDeps {
  /** A connected Temporal client. */
  client: Client;
  config: Config;
  /** Defaults to a JobService over `client` with the config's settings. */
  trainyard?: JobService;
  /** Defaults to a ScheduleService over `client` and `trainyard`. */
  schedules?: ScheduleService;
  /** Defaults to the store the config names. */
  store?: Artifacts;
  /** Defaults to the keys in config.api (TRAINYARD_API_KEYS / _FILE). */
  keys?: ApiKeyStore;
  metrics?: ApiMetrics;
  hub?: StreamHub;
  /** Dashboard sessions (default: a store with the config's lifetimes). */
  sessions?: SessionStore;
  /** Folder of the built dashboard (default: dashboard/dist of this checkout). */
  dashboardDir?: string;
  /** Defaults to the pino logger at config.logLevel (src/logger.ts). */
  logger?: ApiLogger;
  /** Folder `configPath` is resolved against for API submissions (default: the data root). */
  configBaseDir?: string;
  /** Poll interval of the live stream (default 250 ms). */
  streamIntervalMs?: number;
  /** How long GET /v1/jobs/:id, logs, metrics and the stream reuse a job's status read (default STATUS_REUSE_MS). */
  statusReuseMs?: number;
  /** A stream subscriber this soon after the job started gets the caught-up story, not a snapshot (default 5 s). */
  streamCatchUpMs?: number;
  /** Version reported by /v1/config. */
  version?: string;
  /** Sees every response body and stream message the routes send (the API tests check them against /openapi.json). */
  observeResponse?: ResponseObserver;
}

export type ResolvedDeps = Required<
  Omit<AppDeps, 'streamIntervalMs' | 'streamCatchUpMs' | 'version' | 'observeResponse'>
> & {
  version: string;
  observeResponse?: ResponseObserver;
};

/** Where `npm install` (scripts/build-dashboard.js) puts the built dashboard. */
export const DEFAULT_DASHBOARD_DIR = path.resolve(__dirname, '..', '..', 'dashboard', 'dist');

export function resolveDeps(d: AppDeps): ResolvedDeps {
  const store = d.store ?? storageFromConfig(d.config).artifacts;
  const trainyard = d.trainyard ?? new JobService(d.client, jobServiceConfigFrom(d.config), store.objects);
  return {
    client: d.client,
    config: d.config,
    trainyard,
    store,
    keys: d.keys ?? loadKeyStore(d.config.api),
    metrics:
      d.metrics ??
      createMetrics({
        countJobs: async (query) => (await d.client.workflow.count(query)).count,
      }),
    hub:
      d.hub ??
      new StreamHub(trainyard, d.streamIntervalMs ?? 250, {
        catchUpMs: d.streamCatchUpMs,
        reuseMs: d.statusReuseMs ?? STATUS_REUSE_MS,
      }),
    statusReuseMs: d.statusReuseMs ?? STATUS_REUSE_MS,
    sessions:
      d.sessions ?? new SessionStore({ ttlMs: d.config.api.sessionTtlMs, maxAgeMs: d.config.api.sessionMaxAgeMs }),
    dashboardDir: d.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
    logger: d.logger ?? createLogger('api', d.config.logLevel),
    configBaseDir: d.configBaseDir ?? d.config.dataRoot,
    schedules:
      d.schedules ?? new ScheduleService(d.client, trainyard, { configBaseDir: d.configBaseDir ?? d.config.dataRoot }),
    version: d.version ?? '0.1.0',
    ...(d.observeResponse && { observeResponse: d.observeResponse }),
  };
}
