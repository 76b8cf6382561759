// GPU worker processes for tests: the real process code of workers/gpu.ts (discovery, allocator,
// slot supplier, drain) started with `npx tsx test/fixtures/gpu-worker-entry.ts`, one simulated GPU
// each unless told otherwise, in their own process groups so a test can always clean up.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { NodeSpecInput } from '../../src/domain/job-spec';
import { startWorkflowTestEnv, waitFor, type TestTemporal } from './temporal';

/** A JSON log line of a worker process, or undefined for anything else. */
function logLine(l: string): { name: string; pid: number; msg: string } | undefined {
  try {
    const j: unknown = JSON.parse(l);
    if (typeof j !== 'object' || j === null) return undefined;
    const { name, pid, msg } = j as Record<string, unknown>;
    return typeof name === 'string' && typeof pid === 'number' && typeof msg === 'string'
      ? { name, pid, msg }
      : undefined;
  } catch {
    return undefined;
  }
}

export interface GpuWorkerProcess {
  proc: ChildProcess;
  /** The worker's own pid (npx is only its launcher). */
  pid: number;
  /** Its node workspaces (TRAINYARD_WORK_DIR): a step's JOB_OUTPUT_DIR is under it, which tells workers apart from inside a sandbox. */
  workDir: string;
  output: string[];
}

export class GpuWorkerProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly started: GpuWorkerProcess[] = [];

  constructor(private readonly t: () => TestTemporal) {}

  /** Starts one and waits until it serves its pool. `env` adds to or overrides the defaults. */
  start(prefix: string, env: Record<string, string> = {}): Promise<GpuWorkerProcess> {
    const t = this.t();
    const workDir = env.TRAINYARD_WORK_DIR ?? path.join(t.tmpDir, `work-${prefix}-${this.children.length}`);
    const proc = spawn('npx', ['tsx', path.join(__dirname, '../fixtures/gpu-worker-entry.ts')], {
      cwd: path.join(__dirname, '../..'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: t.server.address,
        TRAINYARD_HOME: t.tmpDir,
        TRAINYARD_QUEUE_PREFIX: prefix,
        TRAINYARD_GPUS: '1x16',
        TRAINYARD_ALLOWED_COMMANDS: 'node',
        TRAINYARD_SHUTDOWN_GRACE: '1s',
        TRAINYARD_WORK_DIR: workDir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group (npx → node), so killAll can clean up the whole tree.
      detached: true,
    });
    this.children.push(proc);
    const w = { proc, pid: 0, workDir, output: [] as string[] };
    const onData = (b: Buffer) => w.output.push(...b.toString().split('\n').filter(Boolean));
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    return waitFor(
      () => {
        // The worker logs JSON lines (src/logger.ts); its "pool …" line says it is polling.
        const line = w.output.map(logLine).find((l) => l?.name === 'gpu-worker' && l.msg.startsWith('pool'));
        if (proc.exitCode !== null) throw new Error(`GPU worker exited ${proc.exitCode}: ${w.output.join('\n')}`);
        if (!line) return undefined;
        w.pid = line.pid;
        if (!this.started.includes(w)) this.started.push(w);
        return w;
      },
      { timeoutMs: 90_000, what: 'GPU worker start-up' },
    );
  }

  /** The processes started here that have not exited. */
  running(): GpuWorkerProcess[] {
    return this.started.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
  }

  /** SIGKILLs every process group started here (afterAll). */
  killAll(): void {
    for (const c of this.children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** A file of GPU-process tests: one dev server and workflow bundle (beforeAll), every process killed and the server stopped (afterAll). */
export function gpuProcessSuite(): {
  readonly t: TestTemporal;
  readonly bundle: WorkflowBundleWithSourceMap;
  readonly gpuProcesses: GpuWorkerProcesses;
} {
  let env: { t: TestTemporal; bundle: WorkflowBundleWithSourceMap } | undefined;
  const started = () => {
    if (!env) throw new Error('the GPU-process suite has not started (beforeAll)');
    return env;
  };
  const gpuProcesses = new GpuWorkerProcesses(() => started().t);
  beforeAll(async () => {
    env = await startWorkflowTestEnv();
  }, 120_000);
  afterAll(async () => {
    gpuProcesses.killAll();
    await env?.t.teardown();
  });
  return {
    get t() {
      return started().t;
    },
    get bundle() {
      return started().bundle;
    },
    gpuProcesses,
  };
}

/** A one-GPU command node running a `node -e` script, retried quickly, with a 3 s heartbeat timeout (a crashed worker's step moves on soon). */
export function gpuScriptNode(id: string, script: string): NodeSpecInput {
  return {
    id,
    type: 'command',
    config: { command: ['node', '-e', script] },
    resources: { gpus: 1 },
    retry: { maxAttempts: 5, initialInterval: 100 },
    timeout: { heartbeat: 3000 },
  };
}
