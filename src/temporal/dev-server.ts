// Starts the real Temporal server (the CLI's `server start-dev`: SQLite persistence + Web UI) as a
// child process, waits until it answers gRPC, and stops it cleanly. Used by `npm start`, the demo,
// the tests and the benchmarks alike.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_CLI_ARGS } from '../domain/search-attributes';
import { resolveTemporalCli } from './cli-path';
import { describeHolder, findPortHolder, isOurDevServer, stopProcess } from './port-holder';

export interface DevServerOptions {
  /** SQLite file; omitted = in-memory (state lost at exit). */
  dbFile?: string;
  /**
   * SQLite pragmas for a `dbFile` (`--sqlite-pragma`). Default: WAL journal, synchronous=NORMAL —
   * commits reach the OS without an fsync each, so they survive the server being killed (not a
   * power loss); with SQLite's defaults (rollback journal, synchronous=FULL) every commit fsyncs and
   * a dependent step costs ~85 ms more (bench/README.md).
   */
  sqlitePragmas?: Record<string, string>;
  /** gRPC port; 0 = pick a free one. */
  port?: number;
  /** Web UI port; 0 = pick a free one; null = headless. */
  uiPort?: number | null;
  /** Prometheus metrics port (`/metrics`); omitted = no metrics endpoint. */
  metricsPort?: number;
  ip?: string;
  namespace?: string;
  cli?: string;
  /** Searched for `temporal` when `cli` and the project's copy are missing (Config.temporal.searchPath). */
  searchPath?: string;
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Record<string, unknown>;
  /** Where the server's own output goes (default: inherited stderr at warn level). */
  logFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
  /**
   * A port held by a dev server on this same `dbFile` (one a SIGKILLed `npm start` left behind):
   * 'stop' stops it and starts afresh (the state is in the file, nothing is lost); 'fail' (default)
   * reports it.
   */
  leftover?: 'stop' | 'fail';
  /** Progress notes (a leftover server being stopped). */
  log?: (line: string) => void;
}

export interface DevServer {
  address: string;
  port: number;
  uiPort: number | null;
  uiUrl: string | null;
  namespace: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (fault tests). */
  kill(): Promise<void>;
}

/**
 * Dynamic config Trainyard always sets (bench/README.md has the measurements behind each):
 * - one task-queue partition, so priority order is strict across the whole queue (priority is
 *   enforced per partition); fair share between owners' fairness keys (off by default in 1.31);
 * - transfer queue reads up to 10,000/s instead of 20/s: the history service reads new transfer
 *   tasks (a workflow task or an activity task to dispatch) at most `transferProcessorMaxPollRPS`
 *   times a second per shard, and the dev server has one shard, so at the default every dependent
 *   step waited ~50 ms twice (100 ms a hop for any SDK). Timer and visibility queues likewise;
 * - eager activity dispatch: a step scheduled on the workflow's own queue comes back in the
 *   response to the workflow task that scheduled it (the CPU worker runs both);
 * - updates enabled.
 */
export const BASE_DYNAMIC_CONFIG: Record<string, unknown> = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
  'history.transferProcessorMaxPollRPS': 10_000,
  'history.timerProcessorMaxPollRPS': 10_000,
  'history.visibilityProcessorMaxPollRPS': 10_000,
  'system.enableActivityEagerExecution': true,
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
};

export const DEFAULT_SQLITE_PRAGMAS: Record<string, string> = { journal_mode: 'WAL', synchronous: 'NORMAL' };

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (open: boolean) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const uiPort = opts.uiPort === null ? null : opts.uiPort || (await freePort(ip));
  const namespace = opts.namespace ?? 'default';
  const cli = resolveTemporalCli(opts.cli, opts.searchPath);
  await claimPort(port, ip, 'port', opts);
  if (uiPort !== null) await claimPort(uiPort, ip, 'UI port', opts);

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--namespace', namespace];
  args.push('--log-level', opts.logLevel ?? 'warn', '--log-format', 'json');
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', ip);
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    for (const [k, v] of Object.entries(opts.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS))
      args.push('--sqlite-pragma', `${k}=${v}`);
  }
  for (const [k, v] of Object.entries({ ...BASE_DYNAMIC_CONFIG, ...opts.dynamicConfig })) {
    args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  }
  args.push(...SEARCH_ATTRIBUTE_CLI_ARGS);

  const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', out, out], detached: false });
  if (typeof out === 'number') fs.closeSync(out);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const address = `${ip}:${port}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const e = exited as { code: number | null; signal: NodeJS.Signals | null };
      throw new Error(
        `temporal server exited during start-up (code ${e.code}, signal ${e.signal})${opts.logFile ? `; see ${opts.logFile}` : ''}`,
      );
    }
    if (await isReady(address, namespace)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal server did not become ready on ${address} within ${opts.readyTimeoutMs ?? 60_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const stop = async (graceMs = 10_000) => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exitPromise;
    clearTimeout(timer);
  };
  const kill = async () => {
    if (exited) return;
    child.kill('SIGKILL');
    await exitPromise;
  };
  return {
    address,
    port,
    uiPort,
    uiUrl: uiPort === null ? null : `http://${ip}:${uiPort}`,
    namespace,
    process: child,
    stop,
    kill,
  };
}

/**
 * Throws when the port is taken, naming the process that holds it; a leftover dev server on our own
 * db file is stopped instead when `opts.leftover` is 'stop'.
 */
async function claimPort(port: number, ip: string, what: string, opts: DevServerOptions): Promise<void> {
  if (!(await isPortOpen(port, ip))) return;
  const holder = findPortHolder(port);
  const ours = holder !== undefined && opts.dbFile !== undefined && isOurDevServer(holder, opts.dbFile);
  if (ours && opts.leftover === 'stop') {
    opts.log?.(
      `${what} ${port} is held by a Temporal dev server left behind on this state (${opts.dbFile}, pid ${holder.pid}; its \`npm start\` did not stop it): stopping it and starting afresh`,
    );
    await stopProcess(holder.pid);
    if (!(await isPortOpen(port, ip))) return;
  }
  throw new Error(
    `${what} ${port} on ${ip} is already in use ${describeHolder(holder)}` +
      (ours
        ? ` — a Temporal dev server on this state (${opts.dbFile}) left behind by an \`npm start\` that did not shut down; \`npm start\` stops it itself, or stop it with \`kill ${holder.pid}\``
        : ' — stop it, or choose other ports (TEMPORAL_PORT, TEMPORAL_UI_PORT)'),
  );
}

/** The server is ready when the namespace can be described (search attributes registered too). */
async function isReady(address: string, namespace: string): Promise<boolean> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: 1000 });
    await conn.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}
