// Every Trainyard service of docker-compose.yml, started as a process with exactly its compose
// command and environment (as prod:local starts it, here with a free API port and a scratch home),
// becomes healthy against the production Temporal server: the API answers /healthz, each worker
// polls its task queues under its own identity; SIGTERM drains it and it exits 0. A service whose
// entry file is missing fails the same check, and the API refuses to start without API keys.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/temporal/dev-server';
import { appServices, type AppService } from '../../deploy/prod-local/topology';
import { prod, temporalClient } from './prod-env';

const REPO = path.resolve(__dirname, '..', '..');
const { state, topo } = prod();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-compose-'));
// mkdtemp makes it 0700; the GPU worker's step sandbox (uid 65534) must reach the work folder in it.
fs.chmodSync(tmp, 0o711);
let client: Client;
let connection: Connection;
const started: ChildProcess[] = [];

beforeAll(async () => {
  ({ client, connection } = await temporalClient(state));
});
afterAll(async () => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
  await connection?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The services prod:local runs, re-homed so they do not touch the running topology's API port or files. */
async function services(): Promise<AppService[]> {
  const port = await freePort();
  return appServices({
    ...topo,
    settings: { ...topo.settings, gpuWorkers: 1 },
    composeVars: {
      ...topo.composeVars,
      TRAINYARD_HOME: tmp,
      TRAINYARD_PORT: String(port),
      TRAINYARD_DOCS_PASSWORD: 'x',
    },
  });
}

function start(svc: AppService): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const proc = spawn(svc.argv[0]!, svc.argv.slice(1), { cwd: REPO, env: svc.env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

const QUEUES: Record<string, { name: string; type: 1 | 2 }[]> = {
  'cpu-worker': [
    { name: 'trainyard-workflows', type: 1 },
    { name: 'trainyard-cpu', type: 2 },
  ],
  'gpu-worker': [
    { name: 'trainyard-gpu-train-default', type: 2 },
    { name: 'trainyard-gpu-export-default', type: 2 },
  ],
};

/** Healthy: the API answers /healthz; a worker is among the pollers of each of its queues (identity "<pid>@host…"). */
async function healthy(svc: AppService, p: ReturnType<typeof start>): Promise<void> {
  const check = async (): Promise<true | undefined> => {
    if (p.proc.exitCode !== null)
      throw new Error(`${svc.name} exited with ${p.proc.exitCode} during start-up:\n${p.output().slice(-2000)}`);
    if (svc.service === 'api') {
      const r = await fetch(`http://127.0.0.1:${svc.env.TRAINYARD_PORT}/healthz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    }
    for (const q of QUEUES[svc.service]!) {
      const d = await client.workflowService.describeTaskQueue({
        namespace: state.temporal.namespace,
        taskQueue: { name: q.name, kind: 1 },
        taskQueueType: q.type,
      });
      if (!(d.pollers ?? []).some((x) => x.identity?.startsWith(`${p.proc.pid}@`))) return undefined;
    }
    return true;
  };
  // Not test/helpers waitFor: an exit must fail at once, not be retried until the timeout.
  const deadline = Date.now() + 120_000;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (p.proc.exitCode !== null) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`${svc.name} not healthy after 120 s (${last}):\n${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('docker-compose.yml services as processes', () => {
  it('when each Trainyard service is started with its compose command and environment, then it becomes healthy and SIGTERM stops it cleanly', async () => {
    const svcs = await services();
    expect(svcs.map((s) => s.service).sort()).toEqual(['api', 'cpu-worker', 'gpu-worker']);
    const running = svcs.map((s) => ({ svc: s, p: start(s) }));
    await Promise.all(running.map(({ svc, p }) => healthy(svc, p)));
    for (const { p } of running) p.proc.kill('SIGTERM');
    const codes = await Promise.all(running.map(({ p }) => p.exited));
    expect(codes).toEqual(running.map(() => 0));
    expect(running.find((r) => r.svc.service === 'cpu-worker')!.p.output()).toMatch(
      /deployment trainyard, build .+ \(PINNED\)/,
    );
  }, 240_000);

  it('when a service command names an entry file that does not exist, then the health check fails', async () => {
    const cpu = (await services()).find((s) => s.service === 'cpu-worker')!;
    const broken = { ...cpu, argv: cpu.argv.map((a) => (a === 'workers/cpu.ts' ? 'workers/does-not-exist.ts' : a)) };
    expect(broken.argv).toContain('workers/does-not-exist.ts');
    await expect(healthy(broken, start(broken))).rejects.toThrow(/exited with [1-9]/);
  }, 120_000);

  it('when the API service has no API keys configured, then it refuses to start and says why (no development key in production)', async () => {
    const apiSvc = (await services()).find((s) => s.service === 'api')!;
    const env = { ...apiSvc.env };
    delete env.TRAINYARD_API_KEYS_FILE;
    const p = start({ ...apiSvc, env });
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(/TRAINYARD_API_KEYS_FILE.*no development key/);
  }, 60_000);
});
