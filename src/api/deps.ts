// What the API needs, with defaults filled in from the Config.
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../artifacts/artifact-store';
import { LocalArtifactStore } from '../artifacts/local-store';
import type { Config } from '../config';
import { TrainyardClient, clientConfigFrom } from '../sdk/client';
import { loadKeyStore, type ApiKeyStore } from './auth';
import type { ErrorLogger } from './errors';
import { StreamHub } from './job-watcher';
import { createMetrics, type ApiMetrics } from './metrics';

export interface ApiLogger extends ErrorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface AppDeps {
  /** A connected Temporal client. */
  client: Client;
  config: Config;
  /** Defaults to a TrainyardClient over `client` with the config's settings. */
  trainyard?: TrainyardClient;
  /** Defaults to the local store at config.artifactRoot. */
  store?: ArtifactStore;
  /** Defaults to the keys in config.api (TRAINYARD_API_KEYS / _FILE). */
  keys?: ApiKeyStore;
  metrics?: ApiMetrics;
  hub?: StreamHub;
  logger?: ApiLogger;
  /** Folder `configPath` is resolved against for API submissions (default: the data root). */
  configBaseDir?: string;
  /** Poll interval of the live stream (default 250 ms). */
  streamIntervalMs?: number;
  /** Version reported by /v1/config. */
  version?: string;
}

export type ResolvedDeps = Required<Omit<AppDeps, 'streamIntervalMs' | 'version'>> & { version: string };

const consoleLogger: ApiLogger = {
  info: () => undefined,
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

export function resolveDeps(d: AppDeps): ResolvedDeps {
  const trainyard = d.trainyard ?? new TrainyardClient(d.client, clientConfigFrom(d.config));
  return {
    client: d.client,
    config: d.config,
    trainyard,
    store: d.store ?? new LocalArtifactStore(d.config.artifactRoot),
    keys: d.keys ?? loadKeyStore(d.config.api),
    metrics:
      d.metrics ??
      createMetrics({
        countJobs: async (query) => (await d.client.workflow.count(query)).count,
      }),
    hub: d.hub ?? new StreamHub(trainyard, d.streamIntervalMs ?? 250),
    logger: d.logger ?? consoleLogger,
    configBaseDir: d.configBaseDir ?? d.config.dataRoot,
    version: d.version ?? '0.1.0',
  };
}
