// The production topology on one machine, without Docker: PostgreSQL, temporal-server (mTLS), the
// Temporal Web UI, and every Trainyard service of docker-compose.yml as its own process (the API,
// a CPU worker, N GPU workers), each started with its compose command and environment. Everything
// listens on 127.0.0.1. Used by `npm run prod:local` (main.ts) and by test:prod (faults: kill and
// restart the server, restart PostgreSQL).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COMPOSE_FILE, readCompose, serviceCommand, trainyardServices } from './compose';
import { REPO_ROOT, baseProcessEnv, type ProdLocalSettings } from './config';
import { ensureCluster, findPgBin, password, postgresOf, startPostgres, stopPostgres, type Postgres } from './postgres';
import {
  dirsOf,
  isAlive,
  logTail,
  running,
  startDaemon,
  stopDaemon,
  waitFor,
  type Dirs,
  type ProcessRecord,
} from './processes';
import { stateFile, type ProdLocalState } from './state';
import { ensureCertificates, type TlsFiles } from './tls';

// scripts/install-go-tools.js is CommonJS shared with CI; its exports are typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const goTools = require('../../scripts/install-go-tools.js') as {
  install(names: string[]): Record<string, { path: string; cached: boolean; builtSeconds?: number }>;
};

export const NAMESPACE = 'default';
export const DEPLOYMENT_NAME = 'trainyard';

export interface Topology {
  settings: ProdLocalSettings;
  home: string;
  dirs: Dirs;
  ports: { postgres: number; temporal: number; ui: number; api: number; metrics: number };
  temporalAddress: string;
  pg: Postgres;
  buildId: string;
  /** Variables for docker-compose.yml's ${…} (what makes its services run on this machine). */
  composeVars: Record<string, string>;
  log: (line: string) => void;
}

function gitBuildId(): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  try {
    const head = git(['rev-parse', '--short=12', 'HEAD']);
    // Uncommitted work (changes and new files) is another build: hash it into the id.
    const diff = git(['diff', 'HEAD']);
    const untracked = git(['ls-files', '--others', '--exclude-standard', '-z']).split('\0').filter(Boolean).sort();
    if (!diff && untracked.length === 0) return head;
    const h = createHash('sha256').update(diff);
    for (const f of untracked) h.update(f).update(fs.readFileSync(path.join(REPO_ROOT, f)));
    return `${head}-dirty-${h.digest('hex').slice(0, 8)}`;
  } catch {
    return 'local';
  }
}

function secret(file: string, make: () => string): string {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, make(), { mode: 0o600 });
  }
  return fs.readFileSync(file, 'utf8');
}

export function planTopology(
  settings: ProdLocalSettings,
  log: (line: string) => void = (l) => console.log(l),
): Topology {
  const home = settings.home;
  const b = settings.portBase;
  const ports = { postgres: b + 432, temporal: b + 233, ui: b + 280, api: b + 80, metrics: b + 90 };
  const buildId = settings.buildId ?? gitBuildId();
  const tlsDir = path.join(home, 'tls');
  const secrets = path.join(home, 'secrets');
  const composeVars: Record<string, string> = {
    TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TRAINYARD_TLS_DIR: tlsDir,
    TRAINYARD_HOME: path.join(home, 'app'),
    TRAINYARD_GPU_POOLS: `default:${settings.gpus || '1x80'}`,
    TRAINYARD_GPUS: settings.gpus,
    TRAINYARD_WORKFLOW_BUNDLE: path.join(home, 'bundles', `${buildId}.js`),
    TRAINYARD_BUILD_ID: buildId,
    TRAINYARD_HOST: '127.0.0.1',
    TRAINYARD_PORT: String(ports.api),
    TRAINYARD_API_KEYS_FILE: path.join(secrets, 'api-keys'),
  };
  return {
    settings,
    home,
    dirs: dirsOf(home),
    ports,
    temporalAddress: `127.0.0.1:${ports.temporal}`,
    pg: postgresOf(home, ports.postgres, findPgBin(settings.pgBin, settings.searchPath)),
    buildId,
    composeVars,
    log,
  };
}

function tlsOf(t: Topology): TlsFiles {
  return ensureCertificates(path.join(t.home, 'tls'));
}

function tools(t: Topology): { server: string; sql: string; ui: string } {
  const started = Date.now();
  const r = goTools.install(['temporal-server', 'temporal-sql-tool', 'temporal-ui-server']);
  const built = Object.entries(r).filter(([, v]) => !v.cached);
  if (built.length)
    t.log(
      `built ${built.map(([n, v]) => `${n} (${v.builtSeconds} s)`).join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  return { server: r['temporal-server']!.path, sql: r['temporal-sql-tool']!.path, ui: r['temporal-ui-server']!.path };
}

/** The operator's view of the server: the env the Temporal CLI and setup.sh read. */
export function operatorEnv(t: Topology): Record<string, string> {
  const tls = tlsOf(t);
  const op = tls.client('operator');
  return {
    TEMPORAL_ADDRESS: t.temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TLS_CA: tls.ca,
    TEMPORAL_TLS_CERT: op.cert,
    TEMPORAL_TLS_KEY: op.key,
    TEMPORAL_TLS_SERVER_NAME: tls.serverName,
  };
}

/** `temporal` CLI connection flags with the operator certificate (and `--namespace` unless told not to). */
export function cliFlags(t: Topology, opts: { namespace?: boolean } = {}): string[] {
  const e = operatorEnv(t);
  return [
    '--address',
    e.TEMPORAL_ADDRESS!,
    ...(opts.namespace === false ? [] : ['--namespace', NAMESPACE]),
    '--tls-ca-path',
    e.TEMPORAL_TLS_CA!,
    '--tls-cert-path',
    e.TEMPORAL_TLS_CERT!,
    '--tls-key-path',
    e.TEMPORAL_TLS_KEY!,
    '--tls-server-name',
    e.TEMPORAL_TLS_SERVER_NAME!,
  ];
}

function dbEnv(t: Topology): Record<string, string> {
  return {
    TEMPORAL_DB_HOST: '127.0.0.1',
    TEMPORAL_DB_PORT: String(t.ports.postgres),
    TEMPORAL_DB_USER: 'temporal',
    TEMPORAL_DB_PASSWORD: password(t.pg),
  };
}

function setup(t: Topology, phase: 'schema' | 'namespace', sqlTool: string): void {
  const started = Date.now();
  try {
    execFileSync('sh', [path.join(REPO_ROOT, 'deploy', 'temporal', 'setup.sh'), phase], {
      cwd: REPO_ROOT,
      env: {
        ...baseProcessEnv(),
        ...dbEnv(t),
        ...operatorEnv(t),
        TEMPORAL_SQL_TOOL: sqlTool,
        TEMPORAL_CLI: t.settings.temporalCli,
        TEMPORAL_NAMESPACE_RETENTION: t.settings.retention,
      },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    throw new Error(
      `deploy/temporal/setup.sh ${phase} failed:\n${(e.stderr || e.stdout || String(err)).trim().slice(-3000)}`,
    );
  }
  t.log(`setup ${phase}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---- temporal-server ----

export function startTemporalServer(t: Topology, serverBin: string): ProcessRecord {
  const existing = running(t.dirs, 'temporal-server');
  if (existing) return existing;
  return startDaemon(
    t.dirs,
    'temporal-server',
    [serverBin, '--config-file', path.join(REPO_ROOT, 'deploy', 'temporal', 'server.yaml'), '--allow-no-auth', 'start'],
    {
      cwd: t.home,
      env: {
        ...baseProcessEnv(),
        ...dbEnv(t),
        TEMPORAL_BIND_IP: '127.0.0.1',
        TEMPORAL_FRONTEND_PORT: String(t.ports.temporal),
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${t.ports.metrics}`,
        TEMPORAL_DYNAMIC_CONFIG: path.join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'),
        TEMPORAL_TLS_DIR: path.join(t.home, 'tls'),
        TEMPORAL_LOG_LEVEL: 'warn',
      },
    },
  );
}

/** The frontend answers a health check over mTLS. */
export function temporalHealthy(t: Topology): Promise<boolean> {
  try {
    execFileSync(t.settings.temporalCli, ['operator', 'cluster', 'health', ...cliFlags(t, { namespace: false })], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return Promise.resolve(true);
  } catch {
    return Promise.resolve(false);
  }
}

export async function waitTemporal(t: Topology, proc?: ProcessRecord, timeoutMs = 90_000): Promise<void> {
  await waitFor('temporal-server', () => temporalHealthy(t), { timeoutMs, proc, intervalMs: 500 });
}

// ---- Worker Versioning ----

function cli(t: Topology, args: string[]): string {
  try {
    return execFileSync(t.settings.temporalCli, [...args, ...cliFlags(t)], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`temporal ${args.slice(0, 3).join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** The deployment's current build id, if any. */
export function currentVersion(t: Topology): string | undefined {
  try {
    // The CLI's JSON shape (CLI 1.8): { routingConfig: { currentVersionBuildID } }.
    const d = JSON.parse(cli(t, ['worker', 'deployment', 'describe', '--name', DEPLOYMENT_NAME, '-o', 'json'])) as {
      routingConfig?: { currentVersionBuildID?: string };
    };
    return d.routingConfig?.currentVersionBuildID || undefined;
  } catch {
    return undefined; // no deployment yet
  }
}

/** Makes `buildId` the current version (new jobs start on it); returns the previous current build. */
export function setCurrentVersion(t: Topology, buildId: string): string | undefined {
  const previous = currentVersion(t);
  if (previous !== buildId)
    cli(t, [
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      DEPLOYMENT_NAME,
      '--build-id',
      buildId,
      '--yes',
    ]);
  return previous;
}

/** Visibility query for running job workflows pinned to `buildId`. */
export function pinnedQuery(buildId: string): string {
  return `WorkflowType = 'jobWorkflow' AND ExecutionStatus = 'Running' AND TemporalWorkerDeploymentVersion = '${DEPLOYMENT_NAME}:${buildId}'`;
}

export function runningJobsOn(t: Topology, buildId: string): number {
  const r = JSON.parse(cli(t, ['workflow', 'count', '--query', pinnedQuery(buildId), '-o', 'json'])) as {
    count?: string | number;
  };
  return Number(r.count ?? 0);
}

// ---- the compose services ----

export interface AppService {
  /** Process name: api, cpu-worker, gpu-worker-1, … */
  name: string;
  /** The docker-compose.yml service it runs. */
  service: string;
  argv: string[];
  env: Record<string, string>;
}

/** Every Trainyard service of docker-compose.yml, with the compose command and environment (gpu-worker ×N). */
export function appServices(t: Topology, compose = readCompose()): AppService[] {
  const out: AppService[] = [];
  for (const service of trainyardServices(compose)) {
    const cmd = serviceCommand(service, t.composeVars, compose);
    const count = service === 'gpu-worker' ? t.settings.gpuWorkers : 1;
    for (let i = 1; i <= count; i++)
      out.push({
        name: count > 1 || service === 'gpu-worker' ? `${service}-${i}` : service,
        service,
        argv: cmd.argv,
        // A container sees only its own environment: so does each process (plus PATH/HOME).
        env: { ...baseProcessEnv(), ...cmd.env },
      });
  }
  return out;
}

export function startAppService(t: Topology, svc: AppService): ProcessRecord {
  return running(t.dirs, svc.name) ?? startDaemon(t.dirs, svc.name, svc.argv, { cwd: REPO_ROOT, env: svc.env });
}

async function httpOk(url: string): Promise<boolean> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return r.ok;
}

// ---- whole topology ----

async function ensureBundle(t: Topology): Promise<void> {
  const file = t.composeVars.TRAINYARD_WORKFLOW_BUNDLE!;
  if (fs.existsSync(file)) return;
  const started = Date.now();
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const { WORKFLOWS_PATH, WORKFLOW_BUNDLE_EXTRAS } = await import('../../workers/workflow-bundle');
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...WORKFLOW_BUNDLE_EXTRAS,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => t.log(m), log() {} } as never,
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.partial`, code);
  fs.renameSync(`${file}.partial`, file);
  t.log(
    `workflow bundle for build ${t.buildId}: ${path.relative(REPO_ROOT, file)} (${Math.round((Date.now() - started) / 1000)} s)`,
  );
}

function ensureSecrets(t: Topology): { docsPassword: string } {
  secret(t.composeVars.TRAINYARD_API_KEYS_FILE!, () =>
    [
      '# prod:local API keys: owner:key[:admin] one per line (generated once; mode 0600)',
      `admin:ty_${randomBytes(24).toString('base64url')}:admin`,
      `alice:ty_${randomBytes(24).toString('base64url')}`,
      `bob:ty_${randomBytes(24).toString('base64url')}`,
      '',
    ].join('\n'),
  );
  const docsPassword = secret(
    path.join(t.home, 'secrets', 'docs-password'),
    () => `${randomBytes(18).toString('base64url')}\n`,
  ).trim();
  t.composeVars.TRAINYARD_DOCS_PASSWORD = docsPassword;
  return { docsPassword };
}

export async function up(t: Topology): Promise<ProdLocalState> {
  const started = Date.now();
  fs.mkdirSync(t.home, { recursive: true });
  const bin = tools(t);
  const tls = tlsOf(t);
  ensureSecrets(t);
  const services = appServices(t); // fails early on a docker-compose.yml it cannot run

  ensureCluster(t.pg);
  await startPostgres(t.pg);
  t.log(`PostgreSQL on 127.0.0.1:${t.ports.postgres} (data ${path.relative(REPO_ROOT, t.pg.dataDir) || t.pg.dataDir})`);
  setup(t, 'schema', bin.sql);

  const server = startTemporalServer(t, bin.server);
  await waitTemporal(t, server);
  setup(t, 'namespace', bin.sql);
  t.log(`temporal-server ${t.temporalAddress} (mTLS, namespace ${NAMESPACE}, retention ${t.settings.retention})`);

  const uiClient = tls.client('ui');
  const ui =
    running(t.dirs, 'temporal-ui') ??
    startDaemon(
      t.dirs,
      'temporal-ui',
      [bin.ui, '--root', path.join(REPO_ROOT, 'deploy'), '--config', 'temporal-ui', '--env', 'production', 'start'],
      {
        cwd: t.home,
        env: {
          ...baseProcessEnv(),
          TEMPORAL_UI_ADDRESS: t.temporalAddress,
          TEMPORAL_UI_HOST: '127.0.0.1',
          TEMPORAL_UI_PORT: String(t.ports.ui),
          TEMPORAL_UI_NAMESPACE: NAMESPACE,
          TEMPORAL_UI_TLS_CA: tls.ca,
          TEMPORAL_UI_TLS_CERT: uiClient.cert,
          TEMPORAL_UI_TLS_KEY: uiClient.key,
          TEMPORAL_UI_TLS_SERVER_NAME: tls.serverName,
        },
      },
    );

  await ensureBundle(t);
  const procs = services.map((s) => ({ svc: s, proc: startAppService(t, s) }));
  const apiUrl = `http://127.0.0.1:${t.ports.api}`;
  await waitFor('temporal-ui', () => httpOk(`http://127.0.0.1:${t.ports.ui}/`), { timeoutMs: 60_000, proc: ui });
  const api = procs.find((p) => p.svc.service === 'api');
  if (api) {
    await waitFor('api', () => httpOk(`${apiUrl}/healthz`), { timeoutMs: 120_000, proc: api.proc });
    // Ready = every task queue of the deployment has pollers (the workers are up).
    await waitFor('workers', () => httpOk(`${apiUrl}/readyz`), { timeoutMs: 180_000, intervalMs: 1000 });
  }
  for (const p of procs)
    if (!isAlive(p.proc.pid)) throw new Error(`${p.svc.name} exited; ${p.proc.logFile}:\n${logTail(p.proc.logFile)}`);
  // Worker Versioning: new jobs go to the deployment's current build; make it this one (a rollout).
  const previous = setCurrentVersion(t, t.buildId);
  if (previous && previous !== t.buildId) {
    t.log(`current build: ${t.buildId} (was ${previous})`);
    const left = runningJobsOn(t, previous);
    if (left > 0)
      t.log(
        `WARNING: ${left} running job(s) are pinned to build ${previous}, whose workers are not running here: they wait until that build's workers run again (then they continue as new onto ${t.buildId}); README "Rolling upgrades" says how to move them instead`,
      );
  }

  const op = operatorEnv(t);
  const state: ProdLocalState = {
    home: t.home,
    buildId: t.buildId,
    deploymentName: DEPLOYMENT_NAME,
    startedAt: new Date().toISOString(),
    temporal: {
      address: t.temporalAddress,
      namespace: NAMESPACE,
      retention: t.settings.retention,
      tls: {
        ca: op.TEMPORAL_TLS_CA!,
        cert: op.TEMPORAL_TLS_CERT!,
        key: op.TEMPORAL_TLS_KEY!,
        serverName: op.TEMPORAL_TLS_SERVER_NAME!,
      },
      uiUrl: `http://127.0.0.1:${t.ports.ui}`,
    },
    api: { url: apiUrl, keysFile: t.composeVars.TRAINYARD_API_KEYS_FILE! },
    postgres: { port: t.ports.postgres },
    services: Object.fromEntries(
      [server, ui, ...procs.map((p) => p.proc)].map((r) => [r.name, { pid: r.pid, logFile: r.logFile, argv: r.argv }]),
    ),
  };
  fs.writeFileSync(stateFile(t.home), `${JSON.stringify(state, null, 2)}\n`);
  t.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return state;
}

/** Every process name prod:local may have started, in stopping order. */
function processNames(t: Topology): string[] {
  const names = fs.existsSync(t.dirs.pids)
    ? fs
        .readdirSync(t.dirs.pids)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
    : [];
  const last = ['temporal-ui', 'temporal-server'];
  return [...names.filter((n) => !last.includes(n)), ...last.filter((n) => names.includes(n))];
}

export async function down(t: Topology): Promise<void> {
  fs.rmSync(stateFile(t.home), { force: true });
  const names = processNames(t);
  // The Trainyard services drain first (a GPU worker's grace is up to 60 s; compose allows 90 s).
  const app = names.filter((n) => n !== 'temporal-ui' && n !== 'temporal-server');
  await Promise.all(app.map(async (n) => (await stopDaemon(t.dirs, n, { graceMs: 90_000 })) && t.log(`stopped ${n}`)));
  for (const n of ['temporal-ui', 'temporal-server'])
    if (await stopDaemon(t.dirs, n, { graceMs: 30_000 })) t.log(`stopped ${n}`);
  if (stopPostgres(t.pg)) t.log('stopped PostgreSQL');
}

export { COMPOSE_FILE };
