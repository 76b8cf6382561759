// The one place that reads the environment. Parsed once with zod; the result is passed in.
// Nothing falls back silently: a malformed value refuses to start the process, naming the variable
// (an empty value counts as unset). Durations become milliseconds here, with the domain's Duration.
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { Duration } from './domain/duration';
import { OverrunPolicy, RefundRule, parseCostRates, type CreditSettings } from './domain/credits';
import { FairnessWeight, type FairnessWeights } from './domain/fairness';
import { NotifyTargets, type NotifyTarget } from './domain/notify';
import { parseGpuQuotas, type GpuQuotaDefaults } from './domain/quota';
import { DEFAULT_QUEUE_PREFIX } from './domain/task-queues';
import {
  STEP_LIMIT_BUILTIN_DEFAULTS,
  STEP_LIMIT_BUILTIN_MAX,
  parseStepLimits,
  type StepLimits,
} from './domain/step-limits';
import type { StepNetwork } from './domain/node-types';

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

/** TRAINYARD_FAIRNESS_WEIGHTS="alice=2,bob=0.5,*=1" → weights (owner `*` = everyone else). */
export function parseFairnessWeights(text: string): FairnessWeights {
  const out: FairnessWeights = {};
  for (const entry of csv(text)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.@-]{0,127}|\*)=(\d+(?:\.\d+)?)$/.exec(entry);
    const weight = m ? FairnessWeight.safeParse(Number(m[2])) : undefined;
    if (!m || !weight?.success)
      throw new Error(
        `TRAINYARD_FAIRNESS_WEIGHTS: "${entry}" is not OWNER=WEIGHT with a weight from 0.001 to 1000 (e.g. alice=2,*=1)`,
      );
    out[m[1]!] = weight.data;
  }
  return out;
}

/** A duration variable ("30s", "5m", or a plain number of milliseconds) → milliseconds, at least `minMs`. */
const DurationVar = (fallback: string, minMs = 0) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      Duration.refine((ms) => ms >= minMs, `must be at least ${minMs} ms`),
    )
    .prefault(fallback);

/** Express's body-size notation: "1mb", "256kb", "100000". */
const ByteSize = z.string().regex(/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i, 'must be a size such as 256kb or 1mb');

const POOL_NAME_RE = /^[a-z0-9][a-z0-9-]*$/;

/** The job workflows' stack traces when TRAINYARD_WORKFLOW_STACK_TRACES is unset (off: bench/README.md §1). */
export const DEFAULT_WORKFLOW_STACK_TRACES = false;

/**
 * The variables a command step's process inherits from its worker's environment (everything else
 * it gets is set by the step: JOB_INPUT, JOB_OUTPUT_DIR, CUDA_VISIBLE_DEVICES …).
 */
export const INHERITED_STEP_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'PYTHONPATH',
  'NODE_PATH',
  'LD_LIBRARY_PATH',
] as const;

/** The INHERITED_STEP_ENV part of an environment. */
export function inheritedStepEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of INHERITED_STEP_ENV) {
    const v = env[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
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
  /** mTLS to the Temporal frontend: the CA that signed the server's certificate, this process's certificate and key (PEM files). */
  TEMPORAL_TLS_CA: z.string().optional(),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  /** The name the server's certificate is checked against (default: the address's host). */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  /** Worker Versioning: the worker deployment (default: the queue prefix) and this build's id; a build id turns versioning on. */
  TRAINYARD_DEPLOYMENT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/)
    .optional(),
  TRAINYARD_BUILD_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/)
    .optional(),
  /** PINNED (a job runs on the build it started on until it continues-as-new onto the current one) or AUTO_UPGRADE. */
  TRAINYARD_VERSIONING_BEHAVIOR: z.enum(['PINNED', 'AUTO_UPGRADE']).default('PINNED'),
  /** A prebuilt workflow bundle (npm run build:bundle) the workers load instead of bundling at start. */
  TRAINYARD_WORKFLOW_BUNDLE: z.string().optional(),
  TRAINYARD_QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/)
    .default(DEFAULT_QUEUE_PREFIX),
  TRAINYARD_ALLOWED_COMMANDS: z.string().default('node,python3'),
  TRAINYARD_DATA_ROOT: z.string().optional(),
  TRAINYARD_SCRIPTS_DIR: z.string().optional(),
  TRAINYARD_STEP_KIT_DIR: z.string().optional(),
  /** YAML file of operator-registered step templates (see src/domain/step-templates.ts). */
  TRAINYARD_STEP_TEMPLATES: z.string().optional(),
  TRAINYARD_ARTIFACT_ROOT: z.string().optional(),
  /** Where artifacts, checkpoints and logs live: s3://bucket/prefix (an S3-compatible store), or file:///abs/path; default the local TRAINYARD_ARTIFACT_ROOT. */
  TRAINYARD_ARTIFACT_STORE: z.string().optional(),
  /** The S3 endpoint (S3-compatible servers such as MinIO); unset = AWS. */
  AWS_ENDPOINT_URL: z.url().optional(),
  AWS_REGION: z.string().default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  /** Path-style S3 addressing (http://host/bucket/key); default on when AWS_ENDPOINT_URL is set. */
  TRAINYARD_S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  /** This host's scratch folder for node workspaces (default <home>/work). */
  TRAINYARD_WORK_DIR: z.string().optional(),
  /** Simulated GPU inventory for machines without NVIDIA GPUs: "2x16" = 2 GPUs of 16 GB. */
  TRAINYARD_GPUS: z.string().optional(),
  TRAINYARD_GPU_POOLS: z.string().optional(),
  /** The pool this GPU worker serves. */
  TRAINYARD_GPU_POOL: z.string().regex(POOL_NAME_RE, 'must be a pool name (a-z, 0-9, "-")').default('default'),
  TRAINYARD_CPU_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
  TRAINYARD_WORKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(40),
  /**
   * Threads running workflow code in the CPU worker (the SDK's workflowThreadPoolSize). Each new job
   * evaluates the workflow bundle's modules once on its thread (bench/README.md, Throughput), so with
   * one thread the job workflows of a worker use one core at most. Default 1 (the SDK's): 2 did not
   * measure faster on the loaded 2-core bench host (bench/README.md §10); try it on an idle multi-core one.
   */
  TRAINYARD_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  /**
   * The SDK's workflow stack traces for the job workflows (the Web UI's "Stack Trace" tab,
   * `temporal workflow stack`). Off by default: they cost a source-mapped stack capture per workflow
   * promise, ~0.6 ms of a dependent hop (bench/README.md §1). Turn on to debug
   * a job workflow that seems stuck; failures keep their stacks either way.
   */
  TRAINYARD_WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).optional(),
  // At least 1s: Temporal refuses an activity whose start-to-close timeout is 0 (the job would loop on
  // BadScheduleActivityAttributes).
  TRAINYARD_DEFAULT_STEP_TIMEOUT: DurationVar('30m', 1000),
  TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT: DurationVar('60s', 1000),
  TRAINYARD_SHUTDOWN_GRACE: DurationVar('30s'),
  /** A GPU worker treats this file's appearance as a preemption notice (a cloud agent writes it). */
  TRAINYARD_PREEMPTION_NOTICE_FILE: z.string().optional(),
  /** A GPU worker listens on 127.0.0.1:PORT for `POST /preemption-notice` (0 = a free port, logged). */
  TRAINYARD_PREEMPTION_PORT: Port.optional(),
  TRAINYARD_API_KEYS: z.string().optional(),
  TRAINYARD_API_KEYS_FILE: z.string().optional(),
  TRAINYARD_DOCS_USER: z.string().default('docs'),
  TRAINYARD_DOCS_PASSWORD: z.string().optional(),
  TRAINYARD_MAX_BODY: ByteSize.default('1mb'),
  /** Dashboard sessions: idle lifetime (each use pushes it on) and absolute lifetime. */
  TRAINYARD_SESSION_TTL: DurationVar('30m', 1000),
  TRAINYARD_SESSION_MAX_AGE: DurationVar('12h', 1000),
  /** The session cookie's Secure flag: auto = when the request came over TLS to this process. */
  TRAINYARD_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  /** The dashboard's public base URL (default http://HOST:PORT), for the link from the Temporal Web UI back to a job. */
  TRAINYARD_PUBLIC_URL: z.string().url().optional(),
  /** The Temporal Web UI (default: the dev server's, http://127.0.0.1:TEMPORAL_UI_PORT, when no TEMPORAL_ADDRESS is set). */
  TRAINYARD_TEMPORAL_UI_URL: z.string().url().optional(),
  /** Fair-share weight per owner (default 1): `alice=2,bob=0.5,*=1`. */
  TRAINYARD_FAIRNESS_WEIGHTS: z.string().default(''),
  /** GPU quotas: unset/off = none; `on` and/or `[pool/]owner=N|unlimited` defaults. */
  TRAINYARD_GPU_QUOTAS: z.string().default('off'),
  /** How often a quota entity checks that its lease holders still run. */
  TRAINYARD_GPU_QUOTA_SWEEP: DurationVar('60s', 1000),
  /** Credits: `on` enforces them (reserve at submit, charge at the end); `off` charges nothing. */
  TRAINYARD_CREDITS: z.enum(['on', 'off']).default('off'),
  /** The cost model: `base=1,cell=0.00001,parameter=0.00001,preprocess=0.5,visualization=0.25,gpuSecond=0.01,gpuSecond.<pool>=…`. */
  TRAINYARD_CREDITS_COSTS: z.string().default(''),
  /** A cancelled or failed job: `full` refund of its reservation (default), or `gpu-used` (GPU time consumed is charged). */
  TRAINYARD_CREDITS_REFUND: RefundRule.default('full'),
  /** A completed job that cost more than its reservation: `charge` the difference (default) or `cap` at the reservation. */
  TRAINYARD_CREDITS_OVERRUN: OverrunPolicy.default('charge'),
  /** How often an account with open reservations checks that their jobs still run (a terminated job's is refunded). */
  TRAINYARD_CREDITS_SWEEP: DurationVar('5m', 1000),
  /** `npm start`: credits the dev key's owner starts with (granted once). */
  TRAINYARD_CREDITS_DEV_GRANT: z.coerce.number().min(0).max(1e9).default(1000),
  /** Notification signing secrets per owner: `alice=s3cr3t,*=shared` (`*` = everyone else). */
  TRAINYARD_NOTIFY_SECRETS: z.string().default(''),
  /** Per-owner default notification targets, JSON: `{"alice":[{"url":"https://…","events":["failed"]}]}`. */
  TRAINYARD_NOTIFY_DEFAULTS: z.string().default(''),
  /** Addresses (IPs or CIDRs) notifications may reach although loopback, link-local or private: `127.0.0.1/32,::1`. */
  TRAINYARD_NOTIFY_ALLOW: z.string().default(''),
  /** One notification POST's deadline. */
  TRAINYARD_NOTIFY_TIMEOUT: DurationVar('10s', 100),
  /** Retries: first interval, its cap (doubling in between), and attempts in all. */
  TRAINYARD_NOTIFY_RETRY_INITIAL: DurationVar('2s', 1),
  TRAINYARD_NOTIFY_RETRY_MAX: DurationVar('5m', 1),
  TRAINYARD_NOTIFY_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(12),
  TRAINYARD_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Command steps run in a bubblewrap sandbox (`bwrap`, the default); `off` runs them as plain subprocesses (logged loudly). */
  TRAINYARD_SANDBOX: z.enum(['bwrap', 'off']).default('bwrap'),
  /** The bubblewrap binary. */
  TRAINYARD_BWRAP: z.string().default('/usr/bin/bwrap'),
  /** A command step's network: `none` (its own empty network namespace) or `host`; a step template may choose its own. */
  TRAINYARD_STEP_NETWORK: z.enum(['none', 'host']).default('none'),
  /** Where allowlisted command names are looked up when the worker starts (never the step's PATH). */
  TRAINYARD_COMMAND_PATH: z.string().default('/usr/local/bin:/usr/bin:/bin'),
  /** Per-step limits when a node asks for none: `memoryMb=4096,processes=256,…` (see StepLimits). */
  TRAINYARD_STEP_LIMITS: z.string().default(''),
  /** The most a node may ask for, per limit (same form). */
  TRAINYARD_STEP_LIMITS_MAX: z.string().default(''),
  /** Where the Temporal CLI is looked for when neither TEMPORAL_CLI nor the project's copy is there. */
  PATH: z.string().default(''),
});

/** Where the artifact store lives (TRAINYARD_ARTIFACT_STORE). */
export type ArtifactStoreConfig =
  | { kind: 'file'; root: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      accessKeyId?: string;
      secretAccessKey?: string;
      forcePathStyle: boolean;
    };

/** `s3://bucket/some/prefix` or `file:///abs/root` → the store's config (throws naming what is wrong). */
export function parseArtifactStore(
  uri: string,
  e: Pick<
    z.infer<typeof Env>,
    'AWS_ENDPOINT_URL' | 'AWS_REGION' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'TRAINYARD_S3_FORCE_PATH_STYLE'
  >,
): ArtifactStoreConfig {
  if (uri.startsWith('file://')) {
    const root = decodeURIComponent(uri.slice('file://'.length));
    if (!path.isAbsolute(root)) throw new Error(`TRAINYARD_ARTIFACT_STORE: "${uri}" must be file:///an/absolute/path`);
    return { kind: 'file', root: path.resolve(root) };
  }
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m)
    throw new Error(
      `TRAINYARD_ARTIFACT_STORE: "${uri}" is not s3://bucket[/prefix] (bucket: 3–63 lowercase letters, digits, dots, hyphens) or file:///path`,
    );
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix.split('/').some((s) => s === '..' || s === '.') || prefix.includes('//'))
    throw new Error(`TRAINYARD_ARTIFACT_STORE: the prefix "${prefix}" has an empty, "." or ".." segment`);
  if (!!e.AWS_ACCESS_KEY_ID !== !!e.AWS_SECRET_ACCESS_KEY)
    throw new Error('AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither');
  return {
    kind: 's3',
    bucket: m[1]!,
    prefix,
    ...(e.AWS_ENDPOINT_URL && { endpoint: e.AWS_ENDPOINT_URL }),
    region: e.AWS_REGION,
    ...(e.AWS_ACCESS_KEY_ID && { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY }),
    forcePathStyle: e.TRAINYARD_S3_FORCE_PATH_STYLE
      ? e.TRAINYARD_S3_FORCE_PATH_STYLE === 'true'
      : e.AWS_ENDPOINT_URL !== undefined,
  };
}

/** How command steps are isolated (TRAINYARD_SANDBOX, TRAINYARD_BWRAP, TRAINYARD_STEP_NETWORK, TRAINYARD_COMMAND_PATH, TRAINYARD_STEP_LIMITS*). */
export interface SandboxConfig {
  mode: 'bwrap' | 'off';
  bwrap: string;
  network: StepNetwork;
  commandPath: string[];
  limits: { defaults: StepLimits; max: StepLimits };
}

export interface Config {
  home: string;
  sandbox: SandboxConfig;
  /** The artifact store (objects, checkpoints, logs): local (under artifactRoot) or S3. */
  artifactStore: ArtifactStoreConfig;
  /** The local store's root (also the default TRAINYARD_ARTIFACT_STORE). */
  artifactRoot: string;
  /** Node workspaces on this host (TRAINYARD_WORK_DIR). */
  workDir: string;
  dataRoot: string;
  /** Where `{scripts}/…` arguments of command steps resolve on this worker. */
  scriptsDir: string;
  /** Folder holding the Python step kit (`trainyard` package), first on command steps' PYTHONPATH. */
  stepKitDir: string;
  /** TRAINYARD_STEP_TEMPLATES: the step templates file, when the deployment registers any. */
  stepTemplatesFile?: string;
  api: {
    host: string;
    port: number;
    maxBody: string;
    docsUser: string;
    docsPassword?: string;
    apiKeys?: string;
    apiKeysFile?: string;
    sessionTtlMs: number;
    sessionMaxAgeMs: number;
    cookieSecure: 'auto' | boolean;
    /** Base URL of the dashboard as users reach it (no trailing slash). */
    publicUrl: string;
    /** The Temporal Web UI's base URL, when known. */
    temporalUiUrl?: string;
  };
  temporal: {
    address?: string;
    namespace: string;
    port: number;
    uiPort: number;
    cli?: string;
    /** PATH, searched for `temporal` when TEMPORAL_CLI and the project's copy are missing. */
    searchPath: string;
    dbFile: string;
    /** mTLS to the frontend (all of ca/cert/key, or none). */
    tls?: { caFile: string; certFile: string; keyFile: string; serverName?: string };
  };
  /** Worker Versioning of this process's Workers; undefined = unversioned (dev, tests). */
  versioning?: { deploymentName: string; buildId: string; behavior: 'PINNED' | 'AUTO_UPGRADE' };
  /** Absolute path of a prebuilt workflow bundle, if given. */
  workflowBundle?: string;
  queuePrefix: string;
  allowedCommands: string[];
  gpus?: string;
  gpuPools: GpuPool[];
  gpuPool: string;
  cpuConcurrency: number;
  workflowConcurrency: number;
  /** Threads running workflow code in the CPU worker (TRAINYARD_WORKFLOW_THREADS). */
  workflowThreads: number;
  /** The SDK's workflow stack traces in the CPU worker's workflow threads (TRAINYARD_WORKFLOW_STACK_TRACES). */
  workflowStackTraces: boolean;
  /** Step timeout of a node that sets none (TRAINYARD_DEFAULT_STEP_TIMEOUT), ms. */
  defaultStepTimeoutMs: number;
  /** Heartbeat timeout of a node that sets none (TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT), ms. */
  defaultHeartbeatTimeoutMs: number;
  /** How long running steps get to finish when a worker drains (TRAINYARD_SHUTDOWN_GRACE), ms. */
  shutdownGraceMs: number;
  /** A GPU worker's preemption notice sources besides SIGTERM (TRAINYARD_PREEMPTION_NOTICE_FILE, TRAINYARD_PREEMPTION_PORT). */
  preemption: { noticeFile?: string; port?: number };
  /** The variables a command step inherits from this process (INHERITED_STEP_ENV). */
  stepEnv: Record<string, string>;
  /** Fair-share weights per owner (TRAINYARD_FAIRNESS_WEIGHTS); `*` = the rest. */
  fairnessWeights: FairnessWeights;
  /** GPU quotas (TRAINYARD_GPU_QUOTAS, TRAINYARD_GPU_QUOTA_SWEEP). */
  gpuQuotas: { enabled: boolean; defaults: GpuQuotaDefaults; sweepMs: number };
  /** Credits (TRAINYARD_CREDITS*): the cost model, refund and overrun rules, the entity's sweep, npm start's grant. */
  credits: { enabled: boolean; settings: CreditSettings; sweepMs: number; devGrant: number };
  /** Notifications (TRAINYARD_NOTIFY_*): signing secrets and default targets per owner, the SSRF allowlist, retries. */
  notify: NotifyConfig;
  logLevel: z.infer<typeof Env>['TRAINYARD_LOG_LEVEL'];
}

export interface NotifyConfig {
  /** Owner → HMAC secret (`*` = the rest); an owner without one cannot be notified (the delivery fails, not retried). */
  secrets: Record<string, string>;
  defaults: Record<string, NotifyTarget[]>;
  /** IPs / CIDRs allowed although not public. */
  allow: string[];
  attemptTimeoutMs: number;
  retry: { initialIntervalMs: number; maxIntervalMs: number; backoffCoefficient: number; maxAttempts: number };
}

/** TRAINYARD_NOTIFY_SECRETS="alice=s1,*=s2" → owner → secret. */
export function parseNotifySecrets(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of csv(text)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.@-]{0,127}|\*)=(.{16,})$/.exec(entry);
    if (!m)
      throw new Error('TRAINYARD_NOTIFY_SECRETS: an entry is not OWNER=SECRET with a secret of at least 16 characters');
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** TRAINYARD_NOTIFY_DEFAULTS (JSON: owner → targets). */
export function parseNotifyDefaults(text: string): Record<string, NotifyTarget[]> {
  if (!text.trim()) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(
      'TRAINYARD_NOTIFY_DEFAULTS: not JSON (expected {"owner":[{"url":"https://…","events":["failed"]}]})',
    );
  }
  const r = z.record(z.string(), NotifyTargets).safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`TRAINYARD_NOTIFY_DEFAULTS: ${i.path.join('.')}: ${i.message}`);
  }
  return r.data;
}

/** TRAINYARD_NOTIFY_ALLOW="127.0.0.1/32,::1,10.0.0.0/8" → the entries (each an IP or IP/prefix). */
export function parseNotifyAllow(text: string): string[] {
  return csv(text).map((entry) => {
    const [ip, bits, more] = entry.split('/');
    const family = net.isIP(ip ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || more !== undefined || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max)))
      throw new Error(
        `TRAINYARD_NOTIFY_ALLOW: "${entry}" is not an IP address or CIDR (e.g. 127.0.0.1/32, ::1, 10.0.0.0/8)`,
      );
    return entry;
  });
}

/** ` (got "…")` for a refused variable, unless it may hold a secret. */
function shownValue(name: string, env: Record<string, string | undefined>): string {
  const v = env[name];
  return v === undefined || /KEY|PASSWORD|SECRET|TOKEN/.test(name) ? '' : ` (got ${JSON.stringify(v.slice(0, 80))})`;
}

/** Parses the environment (or a given record) into a Config; throws with every bad variable named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty value (`X=` in a compose file) means unset.
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${i.path.join('.')}: ${i.message}${shownValue(String(i.path[0] ?? ''), given)}`,
    );
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.TRAINYARD_HOME);
  const simulated = e.TRAINYARD_GPUS ? /^(\d+)x(\d+(?:\.\d+)?)$/.exec(e.TRAINYARD_GPUS) : null;
  if (e.TRAINYARD_GPUS && !simulated)
    throw new Error(
      `invalid configuration:\n  TRAINYARD_GPUS: "${e.TRAINYARD_GPUS}" is not COUNTxMEMORY_GB (e.g. 2x16)`,
    );
  const tlsVars = [e.TEMPORAL_TLS_CA, e.TEMPORAL_TLS_CERT, e.TEMPORAL_TLS_KEY];
  if (tlsVars.some(Boolean) && !tlsVars.every(Boolean))
    throw new Error(
      'invalid configuration:\n  TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY: set all three (mTLS) or none',
    );
  if (e.TRAINYARD_DEPLOYMENT_NAME && !e.TRAINYARD_BUILD_ID)
    throw new Error(
      'invalid configuration:\n  TRAINYARD_BUILD_ID: required when TRAINYARD_DEPLOYMENT_NAME is set (Worker Versioning)',
    );
  let stepLimits: SandboxConfig['limits'];
  try {
    const max = {
      ...STEP_LIMIT_BUILTIN_MAX,
      ...parseStepLimits('TRAINYARD_STEP_LIMITS_MAX', e.TRAINYARD_STEP_LIMITS_MAX),
    };
    const defaults = {
      ...STEP_LIMIT_BUILTIN_DEFAULTS,
      ...parseStepLimits('TRAINYARD_STEP_LIMITS', e.TRAINYARD_STEP_LIMITS),
    };
    for (const [k, v] of Object.entries(defaults) as [keyof StepLimits, number][])
      if (v > max[k])
        throw new Error(`TRAINYARD_STEP_LIMITS: ${k}=${v} is over its maximum ${max[k]} (TRAINYARD_STEP_LIMITS_MAX)`);
    stepLimits = { defaults, max };
  } catch (err) {
    throw new Error(`invalid configuration:\n  ${(err as Error).message}`);
  }
  const commandPath = e.TRAINYARD_COMMAND_PATH.split(':').filter(Boolean);
  if (commandPath.some((d) => !path.isAbsolute(d)))
    throw new Error(
      `invalid configuration:\n  TRAINYARD_COMMAND_PATH: every folder must be an absolute path (got ${JSON.stringify(e.TRAINYARD_COMMAND_PATH)})`,
    );
  if (!path.isAbsolute(e.TRAINYARD_BWRAP))
    throw new Error(
      `invalid configuration:\n  TRAINYARD_BWRAP: must be an absolute path (got ${JSON.stringify(e.TRAINYARD_BWRAP)})`,
    );
  let fairnessWeights: FairnessWeights;
  let quotaDefaults: GpuQuotaDefaults;
  let creditSettings: CreditSettings;
  let notify: NotifyConfig;
  const quotasOff = ['', 'off'].includes(e.TRAINYARD_GPU_QUOTAS.trim());
  try {
    fairnessWeights = parseFairnessWeights(e.TRAINYARD_FAIRNESS_WEIGHTS);
    quotaDefaults = quotasOff ? [] : parseGpuQuotas(e.TRAINYARD_GPU_QUOTAS);
    creditSettings = {
      rates: parseCostRates(e.TRAINYARD_CREDITS_COSTS),
      refund: e.TRAINYARD_CREDITS_REFUND,
      overrun: e.TRAINYARD_CREDITS_OVERRUN,
    };
    notify = {
      secrets: parseNotifySecrets(e.TRAINYARD_NOTIFY_SECRETS),
      defaults: parseNotifyDefaults(e.TRAINYARD_NOTIFY_DEFAULTS),
      allow: parseNotifyAllow(e.TRAINYARD_NOTIFY_ALLOW),
      attemptTimeoutMs: e.TRAINYARD_NOTIFY_TIMEOUT,
      retry: {
        initialIntervalMs: e.TRAINYARD_NOTIFY_RETRY_INITIAL,
        maxIntervalMs: Math.max(e.TRAINYARD_NOTIFY_RETRY_MAX, e.TRAINYARD_NOTIFY_RETRY_INITIAL),
        backoffCoefficient: 2,
        maxAttempts: e.TRAINYARD_NOTIFY_ATTEMPTS,
      },
    };
  } catch (err) {
    throw new Error(`invalid configuration:\n  ${(err as Error).message}`);
  }
  const artifactRoot = path.resolve(e.TRAINYARD_ARTIFACT_ROOT ?? path.join(home, 'artifacts'));
  let artifactStore: ArtifactStoreConfig;
  try {
    artifactStore = e.TRAINYARD_ARTIFACT_STORE
      ? parseArtifactStore(e.TRAINYARD_ARTIFACT_STORE, e)
      : { kind: 'file', root: artifactRoot };
  } catch (err) {
    throw new Error(`invalid configuration:\n  ${(err as Error).message}`);
  }
  // Without declared pools, one "default" pool shaped like this machine's (simulated) GPUs.
  const gpuPools = e.TRAINYARD_GPU_POOLS
    ? parsePools(e.TRAINYARD_GPU_POOLS)
    : [
        {
          name: e.TRAINYARD_GPU_POOL,
          gpusPerWorker: simulated ? Number(simulated[1]) : 1,
          memoryGb: simulated ? Number(simulated[2]) : 80,
        },
      ];
  return {
    home,
    sandbox: {
      mode: e.TRAINYARD_SANDBOX,
      bwrap: e.TRAINYARD_BWRAP,
      network: e.TRAINYARD_STEP_NETWORK,
      commandPath,
      limits: stepLimits,
    },
    artifactStore,
    artifactRoot: artifactStore.kind === 'file' ? artifactStore.root : artifactRoot,
    workDir: path.resolve(e.TRAINYARD_WORK_DIR ?? path.join(home, 'work')),
    dataRoot: path.resolve(e.TRAINYARD_DATA_ROOT ?? path.join(home, 'data')),
    scriptsDir: path.resolve(e.TRAINYARD_SCRIPTS_DIR ?? path.join(__dirname, '..', 'examples', 'scripts')),
    stepKitDir: path.resolve(e.TRAINYARD_STEP_KIT_DIR ?? path.join(__dirname, '..', 'clients', 'python')),
    ...(e.TRAINYARD_STEP_TEMPLATES && { stepTemplatesFile: path.resolve(e.TRAINYARD_STEP_TEMPLATES) }),
    api: {
      host: e.TRAINYARD_HOST,
      port: e.TRAINYARD_PORT,
      maxBody: e.TRAINYARD_MAX_BODY,
      docsUser: e.TRAINYARD_DOCS_USER,
      docsPassword: e.TRAINYARD_DOCS_PASSWORD,
      apiKeys: e.TRAINYARD_API_KEYS,
      apiKeysFile: e.TRAINYARD_API_KEYS_FILE,
      sessionTtlMs: e.TRAINYARD_SESSION_TTL,
      sessionMaxAgeMs: e.TRAINYARD_SESSION_MAX_AGE,
      cookieSecure: e.TRAINYARD_COOKIE_SECURE === 'auto' ? 'auto' : e.TRAINYARD_COOKIE_SECURE === 'true',
      publicUrl: (
        e.TRAINYARD_PUBLIC_URL ??
        `http://${e.TRAINYARD_HOST === '0.0.0.0' ? '127.0.0.1' : e.TRAINYARD_HOST}:${e.TRAINYARD_PORT}`
      ).replace(/\/+$/, ''),
      ...((e.TRAINYARD_TEMPORAL_UI_URL || !e.TEMPORAL_ADDRESS) && {
        temporalUiUrl: (e.TRAINYARD_TEMPORAL_UI_URL ?? `http://127.0.0.1:${e.TEMPORAL_UI_PORT}`).replace(/\/+$/, ''),
      }),
    },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cli: e.TEMPORAL_CLI,
      searchPath: e.PATH,
      dbFile: path.join(home, 'temporal.db'),
      ...(e.TEMPORAL_TLS_CA &&
        e.TEMPORAL_TLS_CERT &&
        e.TEMPORAL_TLS_KEY && {
          tls: {
            caFile: path.resolve(e.TEMPORAL_TLS_CA),
            certFile: path.resolve(e.TEMPORAL_TLS_CERT),
            keyFile: path.resolve(e.TEMPORAL_TLS_KEY),
            ...(e.TEMPORAL_TLS_SERVER_NAME && { serverName: e.TEMPORAL_TLS_SERVER_NAME }),
          },
        }),
    },
    ...(e.TRAINYARD_BUILD_ID && {
      versioning: {
        deploymentName: e.TRAINYARD_DEPLOYMENT_NAME ?? e.TRAINYARD_QUEUE_PREFIX,
        buildId: e.TRAINYARD_BUILD_ID,
        behavior: e.TRAINYARD_VERSIONING_BEHAVIOR,
      },
    }),
    ...(e.TRAINYARD_WORKFLOW_BUNDLE && { workflowBundle: path.resolve(e.TRAINYARD_WORKFLOW_BUNDLE) }),
    queuePrefix: e.TRAINYARD_QUEUE_PREFIX,
    allowedCommands: csv(e.TRAINYARD_ALLOWED_COMMANDS),
    gpus: e.TRAINYARD_GPUS,
    gpuPools,
    gpuPool: e.TRAINYARD_GPU_POOL,
    cpuConcurrency: e.TRAINYARD_CPU_CONCURRENCY,
    workflowConcurrency: e.TRAINYARD_WORKFLOW_CONCURRENCY,
    workflowThreads: e.TRAINYARD_WORKFLOW_THREADS ?? 1,
    workflowStackTraces: (e.TRAINYARD_WORKFLOW_STACK_TRACES ?? (DEFAULT_WORKFLOW_STACK_TRACES ? 'on' : 'off')) === 'on',
    defaultStepTimeoutMs: e.TRAINYARD_DEFAULT_STEP_TIMEOUT,
    defaultHeartbeatTimeoutMs: e.TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT,
    shutdownGraceMs: e.TRAINYARD_SHUTDOWN_GRACE,
    preemption: {
      ...(e.TRAINYARD_PREEMPTION_NOTICE_FILE && { noticeFile: path.resolve(e.TRAINYARD_PREEMPTION_NOTICE_FILE) }),
      ...(e.TRAINYARD_PREEMPTION_PORT !== undefined && { port: e.TRAINYARD_PREEMPTION_PORT }),
    },
    stepEnv: inheritedStepEnv(env),
    fairnessWeights,
    gpuQuotas: { enabled: !quotasOff, defaults: quotaDefaults, sweepMs: e.TRAINYARD_GPU_QUOTA_SWEEP },
    credits: {
      enabled: e.TRAINYARD_CREDITS === 'on',
      settings: creditSettings,
      sweepMs: e.TRAINYARD_CREDITS_SWEEP,
      devGrant: e.TRAINYARD_CREDITS_DEV_GRANT,
    },
    notify,
    logLevel: e.TRAINYARD_LOG_LEVEL,
  };
}
