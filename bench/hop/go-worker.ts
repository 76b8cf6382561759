// Builds (`go build`) and runs the Go SDK hop worker (bench/hop/go). The binary goes to
// bench/hop/go/bin/ (git-ignored) and is rebuilt when a Go source is newer. Without `go` on PATH the
// Go column of the hop benchmark is skipped with the reason. `npx tsx bench/hop/go-worker.ts` builds only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { MtlsFiles } from '../../src/temporal/connection';

const GO_DIR = path.join(__dirname, 'go');
export const GO_HOP_BINARY = path.join(GO_DIR, 'bin', 'hop-worker');

/** The worker's flags (see go/main.go). */
export interface GoHopWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  maxCached?: number;
  wfPollers?: number;
  actPollers?: number;
  autoscale?: boolean;
  disableEager?: boolean;
  activityConcurrency?: number;
  /** mTLS (PEM files), as temporal-server on PostgreSQL (deploy/prod-local) asks for. */
  tls?: MtlsFiles;
}

export interface GoHopWorker {
  process: ChildProcess;
  stop(): Promise<void>;
}

function newestSourceMs(): number {
  return Math.max(
    ...fs
      .readdirSync(GO_DIR)
      .filter((f) => /\.(go|mod|sum)$/.test(f))
      .map((f) => fs.statSync(path.join(GO_DIR, f)).mtimeMs),
  );
}

/** Builds the binary if needed; returns its path, or the reason it cannot (no Go toolchain, build error). */
export function buildGoHopWorker(log: (l: string) => void = () => undefined): { binary: string } | { skipped: string } {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    return { skipped: '`go` is not on PATH (install Go ≥ 1.26 to add the Go SDK column)' };
  }
  if (fs.existsSync(GO_HOP_BINARY) && fs.statSync(GO_HOP_BINARY).mtimeMs >= newestSourceMs())
    return { binary: GO_HOP_BINARY };
  log('building the Go SDK hop worker (go build; the first build downloads go.temporal.io/sdk and takes minutes)');
  try {
    execFileSync('go', ['build', '-o', GO_HOP_BINARY, '.'], {
      cwd: GO_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' },
    });
  } catch (err) {
    return { skipped: `go build failed: ${(err as Error).message}` };
  }
  return { binary: GO_HOP_BINARY };
}

/** Starts the worker and resolves once it polls (it prints `ready`). */
export async function startGoHopWorker(binary: string, o: GoHopWorkerOptions): Promise<GoHopWorker> {
  const args = ['-address', o.address, '-namespace', o.namespace, '-task-queue', o.taskQueue];
  if (o.maxCached !== undefined) args.push('-max-cached', String(o.maxCached));
  if (o.wfPollers !== undefined) args.push('-wf-pollers', String(o.wfPollers));
  if (o.actPollers !== undefined) args.push('-act-pollers', String(o.actPollers));
  if (o.autoscale) args.push('-autoscale');
  if (o.disableEager) args.push('-disable-eager');
  if (o.activityConcurrency !== undefined) args.push('-activity-concurrency', String(o.activityConcurrency));
  if (o.tls) {
    args.push('-tls-ca', o.tls.caFile, '-tls-cert', o.tls.certFile, '-tls-key', o.tls.keyFile);
    if (o.tls.serverName) args.push('-tls-server-name', o.tls.serverName);
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      if (line.trim() === 'ready') resolve();
    });
    child.once('exit', (code) => reject(new Error(`Go hop worker exited during start-up (code ${code})`)));
  });
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

if (require.main === module) {
  const r = buildGoHopWorker(console.error);
  if ('skipped' in r) {
    console.error(r.skipped);
    process.exit(1);
  }
  console.log(r.binary);
}
