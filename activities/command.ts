// The command step: runs an allowlisted executable (argv array, never a shell) as a subprocess.
// stdout/stderr go to the node's persisted log; `TRAINYARD_PROGRESS {json}` lines become heartbeats,
// a last `TRAINYARD_RESULT {json}` line becomes the node output. Cancellation (job cancel, pause now,
// worker drain) sends SIGTERM to the whole process group, then SIGKILL after the grace period, and
// waits for the exit: no orphan or zombie is left behind.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CommandConfig } from '../src/domain/node-types';
import type { ArtifactRef, StepHeartbeat, StepOutput } from '../src/domain/step-io';
import { currentGpus } from '../src/gpu/gpu-context';
import { defineStep } from './define-step';
import { upstreamRefs } from './ml/io';
import type { ArtifactStore } from '../src/artifacts/artifact-store';

const PROGRESS_PREFIX = 'TRAINYARD_PROGRESS ';
const RESULT_PREFIX = 'TRAINYARD_RESULT ';
const TAIL_LINES = 40;
const HEARTBEAT_EVERY_MS = 1000;
/** Environment passed through from the worker; everything else comes from the node's config. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'PYTHONPATH', 'NODE_PATH', 'LD_LIBRARY_PATH'];

export interface CommandDeps {
  store: ArtifactStore;
  /** Executables this worker may run (TRAINYARD_ALLOWED_COMMANDS). */
  allowedCommands: string[];
  /** The worker's scripts folder: an argument starting with `{scripts}/` is resolved inside it. */
  scriptsDir?: string;
}

const SCRIPTS_PREFIX = '{scripts}/';

/** `{scripts}/train.py` → `<scriptsDir>/train.py`, confined to the scripts folder. Nothing else is expanded. */
function expandScripts(arg: string, scriptsDir: string | undefined): string {
  if (!arg.startsWith(SCRIPTS_PREFIX)) return arg;
  if (!scriptsDir) throw ApplicationFailure.nonRetryable(`"${arg}": this worker has no scripts folder (TRAINYARD_SCRIPTS_DIR)`, 'CommandScriptsDirMissing');
  const abs = path.resolve(scriptsDir, arg.slice(SCRIPTS_PREFIX.length));
  if (!abs.startsWith(path.resolve(scriptsDir) + path.sep)) throw ApplicationFailure.nonRetryable(`"${arg}" escapes the scripts folder`, 'CommandScriptsEscape');
  return abs;
}

export function makeCommandStep(deps: CommandDeps) {
  return defineStep(CommandConfig, async (input, ctx): Promise<StepOutput> => {
    const { config } = input;
    const [exe, ...rawArgs] = config.command as [string, ...string[]];
    const args = rawArgs.map((a) => expandScripts(a, deps.scriptsDir));
    if (!deps.allowedCommands.includes(exe)) {
      throw ApplicationFailure.nonRetryable(
        `config.command[0]: "${exe}" is not on this worker's allowlist (${deps.allowedCommands.join(', ') || 'empty'}); set TRAINYARD_ALLOWED_COMMANDS`,
        'CommandNotAllowed',
      );
    }
    const nodeDir = await deps.store.nodeDir(input.outputDir, input.nodeId);
    const jobDir = deps.store.resolve(input.outputDir);
    const cwd = config.cwd ? deps.store.resolve(path.posix.join(input.outputDir, config.cwd)) : nodeDir;
    await fs.promises.mkdir(cwd, { recursive: true });
    const logPath = deps.store.logPath(input.outputDir, input.nodeId);
    await fs.promises.mkdir(path.dirname(logPath), { recursive: true });
    const log = fs.createWriteStream(logPath, { flags: 'a' });
    log.write(`--- attempt ${ctx.attempt} started ${new Date().toISOString()}: ${JSON.stringify(config.command)}\n`);

    const gpus = currentGpus();
    ctx.gpus = gpus?.indices;
    const checkpointPath = ctx.resumeCheckpoint ? deps.store.resolve(ctx.resumeCheckpoint.path) : undefined;
    const env: Record<string, string> = {};
    for (const k of INHERITED_ENV) if (process.env[k] !== undefined) env[k] = process.env[k]!;
    Object.assign(env, config.env, {
      JOB_INPUT: JSON.stringify({ jobId: input.jobId, nodeId: input.nodeId, config, upstream: input.upstream, resources: input.resources, gpus: gpus?.indices ?? [] }),
      JOB_OUTPUT_DIR: nodeDir,
      TRAINYARD_JOB_DIR: jobDir,
      TRAINYARD_JOB_ID: input.jobId,
      TRAINYARD_NODE_ID: input.nodeId,
      TRAINYARD_ATTEMPT: String(ctx.attempt),
      // A step without GPUs must not grab any: an empty list hides every device from CUDA.
      CUDA_VISIBLE_DEVICES: gpus ? gpus.indices.join(',') : '',
      ...(checkpointPath && { TRAINYARD_RESUME_CHECKPOINT: checkpointPath }),
    });

    // detached: the child leads its own process group, so cancellation can signal every descendant.
    const child = spawn(exe, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const stderrTail: string[] = [];
    const stdoutTail: string[] = [];
    let result: Record<string, unknown> | undefined;
    let latest: StepHeartbeat = { phase: 'running' };

    const onLine = (stream: 'stdout' | 'stderr') => (line: string) => {
      log.write(stream === 'stderr' ? `[stderr] ${line}\n` : `${line}\n`);
      const tail = stream === 'stderr' ? stderrTail : stdoutTail;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (stream !== 'stdout') return;
      if (line.startsWith(PROGRESS_PREFIX)) {
        const progress = parseJson(line.slice(PROGRESS_PREFIX.length));
        if (progress) {
          latest = { ...latest, ...pickProgress(progress) };
          // defineStep keeps the latest checkpoint in every later heartbeat and in the cancellation.
          const checkpoint = typeof progress.checkpoint === 'string' ? checkpointRefOf(deps, nodeDir, progress.checkpoint) : undefined;
          ctx.heartbeat({ ...latest, checkpoint });
        }
      } else if (line.startsWith(RESULT_PREFIX)) {
        result = parseJson(line.slice(RESULT_PREFIX.length)) ?? result;
      }
    };
    readline.createInterface({ input: child.stdout! }).on('line', onLine('stdout'));
    readline.createInterface({ input: child.stderr! }).on('line', onLine('stderr'));

    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      cancelled = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), config.killGraceMs);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Heartbeat while the process runs so Temporal can deliver cancellation and see liveness.
    const beat = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_EVERY_MS);
    ctx.heartbeat({ ...latest, gpus: gpus?.indices });

    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    clearInterval(beat);
    ctx.signal.removeEventListener('abort', onAbort);
    // The leader exited; make sure nothing it started outlives it.
    killGroup('SIGKILL');
    if (killTimer) clearTimeout(killTimer);
    log.write(`--- attempt ${ctx.attempt} ended ${new Date().toISOString()}: ${exit.error ? exit.error.message : `exit ${exit.code ?? exit.signal}`}\n`);
    await new Promise<void>((r) => log.end(r));

    if (cancelled) throw new CancelledFailure('command cancelled');
    if (exit.error) {
      const notFound = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw ApplicationFailure.create({
        type: notFound ? 'CommandNotFound' : 'CommandSpawnFailed',
        message: notFound ? `config.command[0]: executable "${exe}" was not found on the worker` : `could not start "${exe}": ${exit.error.message}`,
        nonRetryable: notFound,
      });
    }
    const logRef = await refOfFile(deps, logPath, 'output.log', 'text/plain');
    if (exit.code !== 0) {
      const why = exit.code === null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const tail = stderrTail.slice(-20).join('\n');
      throw ApplicationFailure.create({
        type: exit.code !== null && config.nonRetryableExitCodes.includes(exit.code) ? 'CommandExitNonRetryable' : 'CommandFailed',
        message: `${exe} ${why}${tail ? `; stderr tail:\n${tail}` : ''}`,
        nonRetryable: exit.code !== null && config.nonRetryableExitCodes.includes(exit.code),
        details: [{ exitCode: exit.code, signal: exit.signal, stderrTail: tail }],
      });
    }
    return {
      summary: { exitCode: 0, stdoutTail: stdoutTail.slice(-10).join('\n'), ...(result && { result }) },
      artifacts: logRef ? [logRef] : [],
      // Refs pass through a command, so steps further down still find the dataset, splits, model….
      refs: upstreamRefs(input),
    };
  });
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function pickProgress(p: Record<string, unknown>): StepHeartbeat {
  const num = (k: string) => (typeof p[k] === 'number' && Number.isFinite(p[k]) ? (p[k] as number) : undefined);
  const out: StepHeartbeat = {};
  for (const k of ['percent', 'epoch', 'epochs', 'loss', 'valMetric'] as const) {
    const v = num(k);
    if (v !== undefined) out[k] = v;
  }
  if (typeof p.message === 'string') out.message = p.message.slice(0, 500);
  if (typeof p.metrics === 'object' && p.metrics !== null) {
    out.metrics = Object.fromEntries(Object.entries(p.metrics as Record<string, unknown>).filter(([, v]) => typeof v === 'number').slice(0, 50)) as Record<string, number>;
  }
  return out;
}

/** A checkpoint the script wrote, named relative to JOB_OUTPUT_DIR; confined to the node folder. */
function checkpointRefOf(deps: CommandDeps, nodeDir: string, rel: string): ArtifactRef | undefined {
  const abs = path.resolve(nodeDir, rel);
  if (!abs.startsWith(nodeDir + path.sep) || !fs.existsSync(abs)) return undefined;
  return refOf(deps, abs, path.basename(abs), 'application/octet-stream', fs.readFileSync(abs));
}

async function refOfFile(deps: CommandDeps, abs: string, name: string, mediaType: string): Promise<ArtifactRef | undefined> {
  try {
    return refOf(deps, abs, name, mediaType, await fs.promises.readFile(abs));
  } catch {
    return undefined;
  }
}

/** The ref of a file under the artifact root whose contents were just read. */
function refOf(deps: CommandDeps, abs: string, name: string, mediaType: string, data: Buffer): ArtifactRef {
  const rel = path.relative(deps.store.resolve('.'), abs).split(path.sep).join('/');
  return { name, uri: `file://${abs}`, path: rel, sha256: createHash('sha256').update(data).digest('hex'), size: data.length, mediaType };
}
