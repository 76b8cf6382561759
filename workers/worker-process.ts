// Shared plumbing of the worker process entries (workers/cpu.ts, workers/gpu.ts): config, one
// NativeConnection, the SIGTERM/SIGINT drain and the exit code.
//
// Drain: the first SIGTERM/SIGINT stops polling (no new tasks); running steps get shutdownGraceTime
// (TRAINYARD_SHUTDOWN_GRACE) to finish, then are cancelled with WORKER_SHUTDOWN. A step cancelled
// that way fails its attempt (the server did not ask for the cancel), so Temporal retries it on
// another worker, which resumes from the checkpoint in the last heartbeat. Exit 0 after a clean
// drain; a second signal exits at once (130). A process whose steps take checkpoint-now requests
// (the GPU worker) treats SIGTERM, its notice file and its notice endpoint as a preemption notice:
// every running step is asked for a checkpoint first, then the same drain (workers/preemption.ts).
import { NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../src/config';
import { createLogger, type Logger } from '../src/logger';
import { storageFromConfig } from '../src/storage';
import { temporalConnectionOptions } from '../src/temporal/connection';
import type { CheckpointRequests } from '../activities/checkpoint-requests';
import { describeVersioning } from './versioning';
import { watchPreemption, type PreemptionWatch } from './preemption';

export interface WorkerProcess {
  config: Config;
  connection: NativeConnection;
  log(line: string): void;
}

export interface RunOptions {
  /** "cpu-worker" / "gpu-worker": prefixes every log line. */
  name: string;
  env?: Record<string, string | undefined>;
  build(p: WorkerProcess): Promise<{
    workers: Worker[];
    describe: string[];
    /** Where the running steps take checkpoint-now requests: makes SIGTERM (and the notice sources) a preemption notice. */
    checkpointRequests?: CheckpointRequests;
  }>;
}

/** Runs a worker process to completion; resolves with its exit code. */
export async function runWorkerProcess(opts: RunOptions): Promise<number> {
  let logger: Logger = createLogger(opts.name);
  const log = (line: string) => logger.info(line);
  const fail = (line: string) => logger.error(line);
  let config: Config;
  try {
    config = loadConfig(opts.env);
    logger = createLogger(opts.name, config.logLevel);
    if (!config.temporal.address)
      throw new Error('TEMPORAL_ADDRESS is required for a worker process (e.g. TEMPORAL_ADDRESS=127.0.0.1:7233)');
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
    return 2;
  }
  // A worker that cannot use its artifact store (missing bucket, refused credentials, unwritable
  // root) would fail every step: it refuses to start, saying which.
  try {
    await storageFromConfig(config).artifacts.objects.check();
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
    return 2;
  }
  // We handle the signals ourselves, to log the drain and to exit at once on a second signal.
  Runtime.install({ shutdownSignals: [] });
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(temporalConnectionOptions(config));
  } catch (err) {
    fail(`cannot connect to Temporal at ${config.temporal.address}: ${(err as Error).message}`);
    return 2;
  }
  let workers: Worker[] = [];
  const drain = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  let preemption: PreemptionWatch | undefined;
  try {
    const built = await opts.build({ config, connection, log });
    workers = built.workers;
    for (const line of built.describe) log(line);
    if (built.checkpointRequests)
      preemption = await watchPreemption({
        checkpointRequests: built.checkpointRequests,
        graceMs: config.shutdownGraceMs,
        ...config.preemption,
        log,
        drain,
      });
    log(
      `Temporal ${config.temporal.address}${config.temporal.tls ? ' (mTLS)' : ''}, namespace ${config.temporal.namespace}; ${describeVersioning(config)}`,
    );
  } catch (err) {
    fail(`cannot start: ${(err as Error).message}`);
    await connection.close().catch(() => undefined);
    return 2;
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log(`${sig} again: exiting without finishing the drain`);
      process.exit(130);
    }
    if (preemption) {
      void preemption.notice(sig);
      return;
    }
    log(
      `${sig}: draining — no new tasks; running steps get ${config.shutdownGraceMs} ms to finish, then are cancelled and retried elsewhere`,
    );
    drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let code = 0;
  try {
    await Promise.all(workers.map((w) => w.run()));
    log('drained; exiting');
  } catch (err) {
    fail(`worker failed: ${(err as Error).stack ?? String(err)}`);
    drain();
    code = 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await preemption?.close();
    await connection.close().catch(() => undefined);
  }
  return code;
}

/** Runs main and exits with its code (process entries only). */
export function exitWith(main: Promise<number>): void {
  main.then(
    (code) => process.exit(code),
    (err: unknown) => {
      createLogger('worker').fatal({ err }, 'crashed');
      process.exit(1);
    },
  );
}
