// prod:local's own settings, parsed once from the environment (the only place it reads it).
import path from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const Env = z.object({
  /** State folder: PostgreSQL's data, certificates, secrets, logs, pids, artifacts. */
  TRAINYARD_PROD_HOME: z.string().default(path.join(REPO_ROOT, '.trainyard', 'prod')),
  /** Every port is this plus a fixed offset (PostgreSQL +432, Temporal +233…+239, UI +280, API +80). */
  TRAINYARD_PROD_PORT_BASE: z.coerce.number().int().min(1024).max(64_000).default(17_000),
  TRAINYARD_PROD_GPU_WORKERS: z.coerce.number().int().min(0).max(8).default(2),
  /** Simulated GPUs per GPU worker (machines without NVIDIA GPUs); "" = discover real ones. */
  TRAINYARD_PROD_GPUS: z.string().default('1x80'),
  /** The workers' build id (Worker Versioning); default: the git commit, plus a hash of uncommitted changes. */
  TRAINYARD_BUILD_ID: z.string().optional(),
  TEMPORAL_NAMESPACE_RETENTION: z.string().default('7d'),
  /** Folder with initdb/pg_ctl (default: on PATH, else the newest /usr/lib/postgresql/<v>/bin). */
  TRAINYARD_PG_BIN: z.string().optional(),
  /** The Temporal CLI (default: .temporal/bin/temporal from npm install). */
  TEMPORAL_CLI: z.string().optional(),
  PATH: z.string().default(''),
});

export interface ProdLocalSettings {
  home: string;
  portBase: number;
  gpuWorkers: number;
  gpus: string;
  buildId?: string;
  retention: string;
  pgBin?: string;
  temporalCli: string;
  /** PATH, where PostgreSQL's programs are looked for. */
  searchPath: string;
}

export function loadSettings(env: Record<string, string | undefined> = process.env): ProdLocalSettings {
  const parsed = Env.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  const e = parsed.data;
  return {
    home: path.resolve(e.TRAINYARD_PROD_HOME),
    portBase: e.TRAINYARD_PROD_PORT_BASE,
    gpuWorkers: e.TRAINYARD_PROD_GPU_WORKERS,
    gpus: e.TRAINYARD_PROD_GPUS,
    buildId: e.TRAINYARD_BUILD_ID,
    retention: e.TEMPORAL_NAMESPACE_RETENTION,
    pgBin: e.TRAINYARD_PG_BIN,
    temporalCli: path.resolve(e.TEMPORAL_CLI ?? path.join(REPO_ROOT, '.temporal', 'bin', 'temporal')),
    searchPath: e.PATH,
  };
}

/** The environment a child process inherits from prod:local: only what finding programs needs. */
export function baseProcessEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TZ', 'GOCACHE', 'GOMODCACHE', 'GOPATH', 'GOFLAGS', 'TRAINYARD_TOOLS_DIR'])
    if (env[k] !== undefined) out[k] = env[k];
  return out;
}
