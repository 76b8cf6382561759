// A real stack for API tests: the Temporal dev server, the job workflow worker, the real step
// activities on the CPU and GPU queues of a unique prefix, and the API on a free port.
import { testSandbox } from './sandbox';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { storageFromConfig } from '../../src/storage';
import type { Artifacts } from '../../src/storage/artifacts';
import { loadConfig, type Config } from '../../src/config';
import { queueNames } from '../../src/domain/task-queues';
import { createGpuWorkers } from '../../workers/gpu-workers';
import { createWorkflowActivities } from '../../workers/workflow-activities';
import { discoverGpus } from '../../src/gpu/discovery';
import { JobView } from '../../src/http/contracts';
import { OpenApiResponseCheck } from './openapi-check';
import {
  installTestRuntime,
  startTestTemporal,
  uniqueId,
  waitFor,
  workflowBundle,
  type TestTemporal,
} from './temporal';

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
  store: Artifacts;
  /** Every response and stream message the API sent, checked against /openapi.json. */
  responses: OpenApiResponseCheck;
  /** Stops everything; then fails if any response did not match its declared schema. */
  stop(): Promise<void>;
}

export async function startApiStack(
  opts: {
    workers?: boolean;
    activities?: object;
    streamIntervalMs?: number;
    statusReuseMs?: number;
    /** More (or other) settings, e.g. TRAINYARD_CREDITS=on; a function gets the stack's temp folder. */
    env?: Record<string, string> | ((tmpDir: string) => Record<string, string>);
    /** The GPU queues served as production serves them (workers/gpu-workers.ts: allocator, usage measured per GPU held). */
    gpuWorkers?: boolean;
  } = {},
): Promise<ApiStack> {
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
    ...(typeof opts.env === 'function' ? opts.env(t.tmpDir) : opts.env),
  });
  const storage = storageFromConfig(config);
  const store = storage.artifacts;
  const workers: Worker[] = [];
  let running: Promise<unknown> = Promise.resolve();
  if (opts.workers !== false) {
    const q = queueNames(prefix);
    const activities =
      opts.activities ??
      createActivities({
        store,
        workspaces: storage.workspaces,
        dataRoot: config.dataRoot,
        sandbox: testSandbox({ workDir: config.workDir, allowedCommands: ['node', 'true', 'echo'] }),
        cudaAvailable: false,
      });
    const bundle = await workflowBundle();
    // Heartbeats at least every second, as the production workers send them (cancellation arrives with them).
    const common = {
      connection: t.nativeConnection,
      namespace: t.server.namespace,
      maxHeartbeatThrottleInterval: '1s' as const,
    };
    // As workers/cpu-workers.ts lays them out: the workflows queue runs the job workflow, its CPU steps
    // and its local activities (quota leases, credit settlements); the legacy CPU queue the older runs' steps.
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: q.workflows,
        workflowBundle: bundle,
        activities: { ...activities, ...createWorkflowActivities(config) },
        shutdownGraceTime: '1s',
      }),
    );
    const plain = opts.gpuWorkers ? [q.legacyCpu] : [q.legacyCpu, q.gpuTrain('default'), q.gpuExport('default')];
    for (const tq of plain)
      workers.push(await Worker.create({ ...common, taskQueue: tq, activities, shutdownGraceTime: '1s' }));
    if (opts.gpuWorkers) {
      const inventory = await discoverGpus(config);
      workers.push(
        ...(await createGpuWorkers({ connection: t.nativeConnection, config, activities, inventory, log: () => {} })),
      );
    }
    running = Promise.all(workers.map((w) => w.run()));
  }
  const responses = new OpenApiResponseCheck();
  const api = await startApiServer({
    observeResponse: responses.observe,
    client: t.client,
    config,
    port: 0,
    host: '127.0.0.1',
    store,
    streamIntervalMs: opts.streamIntervalMs ?? 100,
    ...(opts.statusReuseMs !== undefined && { statusReuseMs: opts.statusReuseMs }),
    logger: { info: () => undefined, warn: () => undefined, error: (o, m) => console.error(m, o) },
  });
  return {
    t,
    api,
    config,
    prefix,
    store,
    responses,
    async stop() {
      await api.close();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running.catch(() => undefined);
      await t.teardown();
      responses.assertClean();
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
      {
        id: 'train',
        type: 'train',
        dependsOn: ['prep'],
        config: { model: 'mlp', epochs: 40, hiddenLayers: [8], epochDelayMs: 50, checkpointEvery: 10 },
      }, // ~2 s: long enough for live progress to be seen
      { id: 'eval', type: 'evaluate', dependsOn: ['train'] },
    ],
  };
}

/** The job's view once it has ended (completed, failed or cancelled), polled through the API. */
export async function jobEnd(s: ApiStack, id: string, key: string, timeoutMs = 120_000): Promise<JobView> {
  return JobView.parse(
    await waitFor(
      async () => {
        const r = await apiCall(s, 'GET', `/v1/jobs/${id}`, key);
        return ['completed', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
      },
      { timeoutMs, intervalMs: 300, what: `job ${id}` },
    ),
  );
}

/** One request to the stack's API: status, body (JSON when it parses), headers. */
export async function apiCall(
  s: ApiStack,
  method: string,
  urlPath: string,
  key: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const res = await fetch(`${s.api.url}${urlPath}`, {
    method,
    headers: { ...(key && { 'x-api-key': key }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: the text itself
  }
  return { status: res.status, body: json, text, headers: res.headers };
}
