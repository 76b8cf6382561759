// Shared pieces of the chaos tests that run real ML steps: config, in-process workers (CPU, and
// optionally simulated-GPU), a GPU worker *process* (workers/gpu.ts) to kill, the pipeline spec,
// and the artifact consistency check (sha256 of every referenced file).
import { testSandbox } from '../helpers/sandbox';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { storageFromConfig } from '../../src/storage';
import { ObjectNotFoundError, type ObjectStore } from '../../src/storage/object-store';
import { loadConfig, type Config } from '../../src/config';
import type { JobSpecInput } from '../../src/domain/job-spec';
import type { ArtifactRef, StepOutput } from '../../src/domain/step-io';
import { simulatedInventory } from '../../src/gpu/discovery';
import { createCpuWorkers } from '../../workers/cpu-workers';
import { createGpuWorkers } from '../../workers/gpu-workers';
import { workflowBundle } from '../helpers/temporal';

const ROOT = path.resolve(__dirname, '..', '..');

export function chaosEnv(home: string, prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  fs.mkdirSync(path.join(home, 'artifacts'), { recursive: true });
  fs.mkdirSync(path.join(home, 'data'), { recursive: true });
  return {
    TRAINYARD_HOME: home,
    TRAINYARD_ARTIFACT_ROOT: path.join(home, 'artifacts'),
    TRAINYARD_DATA_ROOT: path.join(home, 'data'),
    TRAINYARD_QUEUE_PREFIX: prefix,
    TRAINYARD_GPUS: '2x16',
    TRAINYARD_LOG_LEVEL: 'silent',
    TRAINYARD_SHUTDOWN_GRACE: '1s',
    ...extra,
  };
}

export function chaosConfig(env: Record<string, string>): Config {
  return loadConfig(env);
}

/** dataset → split → preprocess → train (checkpointing, slowed down) → evaluate. */
export function pipeline(
  name: string,
  train: { epochs: number; epochDelayMs: number; checkpointEvery: number; heartbeat?: string },
): JobSpecInput {
  return {
    name,
    recoveryWindow: 0,
    nodes: [
      { id: 'data', type: 'dataset', config: { name: 'iris' } },
      { id: 'split', type: 'split', dependsOn: ['data'], config: { testSize: 0.2 } },
      { id: 'prep', type: 'preprocess', dependsOn: ['split'], config: {} },
      {
        id: 'train',
        type: 'train',
        dependsOn: ['prep'],
        config: {
          model: 'mlp',
          hiddenLayers: [8],
          epochs: train.epochs,
          epochDelayMs: train.epochDelayMs,
          checkpointEvery: train.checkpointEvery,
        },
        resources: { gpus: 1 },
        retry: { maxAttempts: 5, initialInterval: 200, maxInterval: 1000 },
        timeout: { heartbeat: train.heartbeat ?? '3s', startToClose: '5m' },
      },
      { id: 'eval', type: 'evaluate', dependsOn: ['train'], config: { preferOnnx: false } },
    ],
  };
}

/** CPU workers (job workflows + CPU steps) and, unless gpu is false, simulated-GPU workers in this process. */
export async function startInProcessWorkers(
  connection: NativeConnection,
  config: Config,
  opts: { gpu: boolean },
): Promise<{ workers: Worker[]; stop(): Promise<void> }> {
  const activities = createActivities({
    store: storageFromConfig(config).artifacts,
    workspaces: storageFromConfig(config).workspaces,
    dataRoot: config.dataRoot,
    sandbox: testSandbox({ workDir: config.workDir, allowedCommands: config.allowedCommands }),
    cudaAvailable: false,
  });
  const { code } = await workflowBundle();
  const workers: Worker[] = await createCpuWorkers({ connection, config, workflowBundle: { code }, activities });
  if (opts.gpu)
    workers.push(
      ...(await createGpuWorkers({
        connection,
        config,
        activities,
        inventory: simulatedInventory(config.gpus ?? '1x16'),
        log: () => undefined,
      })),
    );
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    workers,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}

export interface GpuProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts `workers/gpu.ts` as its own process and waits until it serves its queues. */
export async function startGpuWorkerProcess(env: Record<string, string>, timeoutMs = 90_000): Promise<GpuProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'workers', 'gpu.ts')], {
    cwd: ROOT,
    // Its ready line ("GPUs: …") is an info log line: a chaos env's 'silent' level would hide it.
    env: { ...process.env, ...env, TRAINYARD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a worker that never got ready must not outlive the test
      reject(new Error(`GPU worker did not start within ${timeoutMs} ms:\n${output.join('')}`));
    }, timeoutMs);
    const onData = (b: Buffer) => {
      output.push(b.toString());
      if (/GPUs:/.test(output.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`GPU worker exited (${code}) during start-up:\n${output.join('')}`));
    });
  });
  return { child, output, exited };
}

/** Every artifact a node output references exists in `store` and has the recorded sha256 and size. */
export async function checkArtifacts(
  store: ObjectStore,
  outputs: (StepOutput | undefined)[],
): Promise<{ checked: number; problems: string[] }> {
  const refs = new Map<string, ArtifactRef>();
  for (const o of outputs) {
    if (!o) continue;
    for (const a of o.artifacts) refs.set(a.path, a);
    for (const a of Object.values(o.refs ?? {})) refs.set(a.path, a);
  }
  const problems: string[] = [];
  for (const ref of refs.values()) {
    let bytes: Buffer;
    try {
      bytes = await store.get(ref.path);
    } catch (err) {
      problems.push(`${ref.path}: ${err instanceof ObjectNotFoundError ? 'missing' : (err as Error).message}`);
      continue;
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== ref.sha256)
      problems.push(`${ref.path}: sha256 ${sha.slice(0, 12)}… ≠ recorded ${ref.sha256.slice(0, 12)}…`);
    if (bytes.length !== ref.size) problems.push(`${ref.path}: ${bytes.length} bytes ≠ recorded ${ref.size}`);
  }
  return { checked: refs.size, problems };
}
