// A real stack for API tests: the Temporal dev server, the job workflow worker, the real step
// activities on the CPU and GPU queues of a unique prefix, and the API on a free port.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { LocalArtifactStore } from '../../src/artifacts/local-store';
import { loadConfig, type Config } from '../../src/config';
import { queueNames } from '../../src/domain/task-queues';
import { installTestRuntime, startTestTemporal, uniqueId, workflowBundle, type TestTemporal } from './temporal';

export const KEYS = {
  alice: 'alice-key-0123456789',
  bob: 'bob-key-0123456789',
  admin: 'admin-key-0123456789',
};

export interface ApiStack {
  t: TestTemporal;
  api: ApiServer;
  config: Config;
  prefix: string;
  store: LocalArtifactStore;
  stop(): Promise<void>;
}

export async function startApiStack(opts: { workers?: boolean; activities?: object; streamIntervalMs?: number } = {}): Promise<ApiStack> {
  installTestRuntime();
  const t = await startTestTemporal();
  const prefix = uniqueId('api');
  const artifactRoot = path.join(t.tmpDir, 'artifacts');
  fs.mkdirSync(artifactRoot, { recursive: true });
  const config = loadConfig({
    TRAINYARD_HOME: t.tmpDir,
    TRAINYARD_ARTIFACT_ROOT: artifactRoot,
    TRAINYARD_DATA_ROOT: path.resolve(__dirname, '..', '..', 'data'),
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_API_KEYS: `alice:${KEYS.alice},bob:${KEYS.bob},root:${KEYS.admin}:admin`,
    TRAINYARD_DOCS_PASSWORD: 'docs-secret',
    TRAINYARD_MAX_BODY: '256kb',
    TRAINYARD_GPUS: '2x16',
  });
  const store = new LocalArtifactStore(config.artifactRoot);
  const workers: Worker[] = [];
  let running: Promise<unknown> = Promise.resolve();
  if (opts.workers !== false) {
    const q = queueNames(prefix);
    const activities = opts.activities ?? createActivities({ store, dataRoot: config.dataRoot, allowedCommands: ['node', 'true', 'echo'], cudaAvailable: false });
    const bundle = await workflowBundle();
    const common = { connection: t.nativeConnection, namespace: t.server.namespace };
    workers.push(await Worker.create({ ...common, taskQueue: q.workflows, workflowBundle: bundle }));
    for (const tq of [q.cpu, q.gpuTrain('default'), q.gpuExport('default')]) workers.push(await Worker.create({ ...common, taskQueue: tq, activities, shutdownGraceTime: '1s' }));
    running = Promise.all(workers.map((w) => w.run()));
  }
  const api = await startApiServer({
    client: t.client,
    config,
    port: 0,
    host: '127.0.0.1',
    store,
    streamIntervalMs: opts.streamIntervalMs ?? 100,
    logger: { info: () => undefined, warn: () => undefined, error: (o, m) => console.error(m, o) },
  });
  return {
    t,
    api,
    config,
    prefix,
    store,
    async stop() {
      await api.close();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running.catch(() => undefined);
      await t.teardown();
    },
  };
}

/** The iris pipeline (dataset → split → preprocess → train → evaluate), small and fast. */
export function irisPipeline(name = 'iris-api', extra: Record<string, unknown> = {}) {
  return {
    name,
    tags: ['api-test'],
    ...extra,
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'iris' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2 } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
      { id: 'train', type: 'train', dependsOn: ['prep'], config: { model: 'mlp', epochs: 40, hiddenLayers: [8], epochDelayMs: 50, checkpointEvery: 10 } }, // ~2 s: long enough for live progress to be seen
      { id: 'eval', type: 'evaluate', dependsOn: ['train'] },
    ],
  };
}
