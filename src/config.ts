// The one place that reads the environment. Parsed once with zod; the result is passed in.
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_QUEUE_PREFIX } from './domain/task-queues';

const Port = z.coerce.number().int().min(0).max(65_535);
const csv = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** A GPU pool: GPUs per worker and memory per GPU. */
export const GpuPool = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  gpusPerWorker: z.number().int().min(1).max(64),
  memoryGb: z.number().positive().max(4096),
});
export type GpuPool = z.infer<typeof GpuPool>;

/** TRAINYARD_GPU_POOLS="default:2x16,a100-80g:8x80" → pools. */
export function parsePools(text: string): GpuPool[] {
  return csv(text).map((entry) => {
    const m = /^([a-z0-9][a-z0-9-]*):(\d+)x(\d+(?:\.\d+)?)$/.exec(entry);
    if (!m) throw new Error(`TRAINYARD_GPU_POOLS: "${entry}" is not NAME:COUNTxMEMORY_GB (e.g. default:2x16)`);
    return GpuPool.parse({ name: m[1], gpusPerWorker: Number(m[2]), memoryGb: Number(m[3]) });
  });
}

const Env = z.object({
  TRAINYARD_HOME: z.string().default('.trainyard'),
  TRAINYARD_PORT: Port.default(8080),
  TRAINYARD_HOST: z.string().default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_PORT: Port.default(7233),
  TEMPORAL_UI_PORT: Port.default(8233),
  TEMPORAL_CLI: z.string().optional(),
  TRAINYARD_QUEUE_PREFIX: z.string().regex(/^[a-z0-9][a-z0-9-]*$/).default(DEFAULT_QUEUE_PREFIX),
  TRAINYARD_ALLOWED_COMMANDS: z.string().default('node,python3'),
  TRAINYARD_DATA_ROOT: z.string().optional(),
  TRAINYARD_SCRIPTS_DIR: z.string().optional(),
  TRAINYARD_ARTIFACT_ROOT: z.string().optional(),
  /** Simulated GPU inventory for machines without NVIDIA GPUs: "2x16" = 2 GPUs of 16 GB. */
  TRAINYARD_GPUS: z.string().optional(),
  TRAINYARD_GPU_POOLS: z.string().optional(),
  /** The pool this GPU worker serves. */
  TRAINYARD_GPU_POOL: z.string().default('default'),
  TRAINYARD_CPU_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
  TRAINYARD_WORKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(40),
  TRAINYARD_DEFAULT_STEP_TIMEOUT: z.string().default('30m'),
  TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT: z.string().default('60s'),
  TRAINYARD_SHUTDOWN_GRACE: z.string().default('30s'),
  TRAINYARD_API_KEYS: z.string().optional(),
  TRAINYARD_API_KEYS_FILE: z.string().optional(),
  TRAINYARD_DOCS_USER: z.string().default('docs'),
  TRAINYARD_DOCS_PASSWORD: z.string().optional(),
  TRAINYARD_MAX_BODY: z.string().default('1mb'),
  TRAINYARD_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export interface Config {
  home: string;
  artifactRoot: string;
  dataRoot: string;
  /** Where `{scripts}/…` arguments of command steps resolve on this worker. */
  scriptsDir: string;
  api: { host: string; port: number; maxBody: string; docsUser: string; docsPassword?: string; apiKeys?: string; apiKeysFile?: string };
  temporal: { address?: string; namespace: string; port: number; uiPort: number; cli?: string; dbFile: string };
  queuePrefix: string;
  allowedCommands: string[];
  gpus?: string;
  gpuPools: GpuPool[];
  gpuPool: string;
  cpuConcurrency: number;
  workflowConcurrency: number;
  defaultStepTimeout: string;
  defaultHeartbeatTimeout: string;
  shutdownGrace: string;
  logLevel: z.infer<typeof Env>['TRAINYARD_LOG_LEVEL'];
}

/** Parses the environment (or a given record) into a Config; throws with every bad variable named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.TRAINYARD_HOME);
  const simulated = e.TRAINYARD_GPUS ? /^(\d+)x(\d+(?:\.\d+)?)$/.exec(e.TRAINYARD_GPUS) : null;
  if (e.TRAINYARD_GPUS && !simulated) throw new Error(`invalid configuration:\n  TRAINYARD_GPUS: "${e.TRAINYARD_GPUS}" is not COUNTxMEMORY_GB (e.g. 2x16)`);
  // Without declared pools, one "default" pool shaped like this machine's (simulated) GPUs.
  const gpuPools = e.TRAINYARD_GPU_POOLS
    ? parsePools(e.TRAINYARD_GPU_POOLS)
    : [{ name: e.TRAINYARD_GPU_POOL, gpusPerWorker: simulated ? Number(simulated[1]) : 1, memoryGb: simulated ? Number(simulated[2]) : 80 }];
  return {
    home,
    artifactRoot: path.resolve(e.TRAINYARD_ARTIFACT_ROOT ?? path.join(home, 'artifacts')),
    dataRoot: path.resolve(e.TRAINYARD_DATA_ROOT ?? path.join(home, 'data')),
    scriptsDir: path.resolve(e.TRAINYARD_SCRIPTS_DIR ?? path.join(__dirname, '..', 'examples', 'scripts')),
    api: {
      host: e.TRAINYARD_HOST,
      port: e.TRAINYARD_PORT,
      maxBody: e.TRAINYARD_MAX_BODY,
      docsUser: e.TRAINYARD_DOCS_USER,
      docsPassword: e.TRAINYARD_DOCS_PASSWORD,
      apiKeys: e.TRAINYARD_API_KEYS,
      apiKeysFile: e.TRAINYARD_API_KEYS_FILE,
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cli: e.TEMPORAL_CLI,
      dbFile: path.join(home, 'temporal.db'),
    },
    queuePrefix: e.TRAINYARD_QUEUE_PREFIX,
    allowedCommands: csv(e.TRAINYARD_ALLOWED_COMMANDS),
    gpus: e.TRAINYARD_GPUS,
    gpuPools,
    gpuPool: e.TRAINYARD_GPU_POOL,
    cpuConcurrency: e.TRAINYARD_CPU_CONCURRENCY,
    workflowConcurrency: e.TRAINYARD_WORKFLOW_CONCURRENCY,
    defaultStepTimeout: e.TRAINYARD_DEFAULT_STEP_TIMEOUT,
    defaultHeartbeatTimeout: e.TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT,
    shutdownGrace: e.TRAINYARD_SHUTDOWN_GRACE,
    logLevel: e.TRAINYARD_LOG_LEVEL,
  };
}

