// The command step: runs an allowlisted executable (argv array, never a shell) as a subprocess.
// stdout/stderr go to the node's persisted log; `TRAINYARD_PROGRESS {json}` lines become heartbeats,
// a last `TRAINYARD_RESULT {json}` line becomes the node output. Cancellation (job cancel, pause now,
// worker drain) sends SIGTERM to the whole process group, then SIGKILL after the grace period, and
// waits for the exit: no orphan or zombie is left behind. A checkpoint-now request (preemption
// notice) writes TRAINYARD_CHECKPOINT_NOW_FILE and, if the script said it handles it
// (`TRAINYARD_CAPABILITIES {"checkpointSignal":"SIGUSR1"}`, printed by the Python step kit), sends
// SIGUSR1 to the process; the next progress line with a checkpoint answers it.
// The process works in a node workspace on this host (src/storage/node-workspace.ts): its upstream
// artifacts are materialised there first, a reported checkpoint is uploaded in the background (the
// heartbeat carries its ref once stored), and the folder is published to the store on success.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { deniedEnvReason } from '../src/domain/step-env';
import { CommandConfig } from '../src/domain/node-types';
import type { ArtifactRef, StepHeartbeat, StepOutput } from '../src/domain/step-io';
import type { Artifacts } from '../src/storage/artifacts';
import type { NodeWorkspace, NodeWorkspaces } from '../src/storage/node-workspace';
import { currentGpus } from '../src/gpu/gpu-context';
import { MAX_POINTS, METRICS_FILE, isEmptyPoint, pointFromProgress } from '../src/domain/metrics-history';
import { loggedStep } from './define-step';
import { BoundedTail, LineSplitter, OUTPUT_CAPS } from './output-caps';
import { carriedRefs } from './ml/io';
import type { CheckpointRequest, CheckpointRequests } from './checkpoint-requests';
import { describeLimitHit, limitFromExit, type StepSandbox } from './sandbox';

const PROGRESS_PREFIX = 'TRAINYARD_PROGRESS ';
const RESULT_PREFIX = 'TRAINYARD_RESULT ';
const CAPABILITIES_PREFIX = 'TRAINYARD_CAPABILITIES ';
/** In the node folder: its presence asks the script for a checkpoint now (JSON: reason, deadline). */
const CHECKPOINT_NOW_FILE = '.trainyard-checkpoint-now';
const HEARTBEAT_EVERY_MS = 1000;

export interface CommandDeps {
  store: Artifacts;
  /** Local folders for the running attempts on this host. */
  workspaces: NodeWorkspaces;
  /**
   * Where every attempt runs (activities/sandbox/): the allowlist resolved to absolute paths, the
   * base environment (PATH, HOME, the step kit on PYTHONPATH), the limits, and the process itself.
   */
  sandbox: StepSandbox;
  /** The worker's scripts folder: an argument starting with `{scripts}/` is resolved inside it. */
  scriptsDir?: string;
  /** Where running attempts register for checkpoint-now requests (a worker's preemption notice). */
  checkpointRequests?: CheckpointRequests;
}

const SCRIPTS_PREFIX = '{scripts}/';

/** `{scripts}/train.py` → `<scriptsDir>/train.py`, confined to the scripts folder. Nothing else is expanded. */
function expandScripts(arg: string, scriptsDir: string | undefined): string {
  if (!arg.startsWith(SCRIPTS_PREFIX)) return arg;
  if (!scriptsDir)
    throw ApplicationFailure.nonRetryable(
      `"${arg}": this worker has no scripts folder (TRAINYARD_SCRIPTS_DIR)`,
      FAILURE_TYPES.CommandScriptsDirMissing,
    );
  const abs = path.resolve(scriptsDir, arg.slice(SCRIPTS_PREFIX.length));
  if (!abs.startsWith(path.resolve(scriptsDir) + path.sep))
    throw ApplicationFailure.nonRetryable(`"${arg}" escapes the scripts folder`, FAILURE_TYPES.CommandScriptsEscape);
  return abs;
}

export function makeCommandStep(deps: CommandDeps) {
  return loggedStep({ store: deps.store, ownLog: true }, CommandConfig, async (input, ctx): Promise<StepOutput> => {
    const { config } = input;
    const [exe, ...rawArgs] = config.command as [string, ...string[]];
    const { sandbox } = deps;
    // What runs is the path the worker resolved at start; the step's PATH has no say.
    const resolved = sandbox.commands.lookup(exe);
    if (!resolved) {
      throw ApplicationFailure.nonRetryable(
        `config.command[0]: "${exe}" is not on this worker's allowlist (${sandbox.commands.names.join(', ') || 'empty'}); set TRAINYARD_ALLOWED_COMMANDS`,
        FAILURE_TYPES.CommandNotAllowed,
      );
    }
    // Validation refuses these already; a spec that reached the worker some other way is refused here too.
    for (const name of Object.keys(config.env)) {
      const why = deniedEnvReason(name);
      if (why)
        throw ApplicationFailure.nonRetryable(`config.env.${name}: may not be set: ${why}`, FAILURE_TYPES.InvalidInput);
    }
    const { limits, problems } = sandbox.limitsFor(input.resources);
    if (problems.length)
      throw ApplicationFailure.nonRetryable(
        `node ${input.nodeId}: ${problems.join('; ')}`,
        FAILURE_TYPES.StepLimitTooHigh,
      );
    const ws = await deps.workspaces.open({ outputDir: input.outputDir, nodeId: input.nodeId });
    const nodeDir = ws.outputDir;
    const jobDir = ws.jobDir;
    // The program's own inputs as files in its folder: `{config}` and `{params}` name them.
    const files = await writeInputFiles(nodeDir, config, input.params);
    const placeholders = { '{config}': files.config, '{params}': files.params, '{output}': nodeDir };
    const args = rawArgs.map((a) => expandPlaceholders(expandScripts(a, deps.scriptsDir), placeholders));
    const nodeEnv = Object.fromEntries(
      Object.entries(config.env).map(([k, v]) => [k, expandPlaceholders(v, placeholders)]),
    );
    const cwd = config.cwd ? path.join(jobDir, ...config.cwd.split('/')) : nodeDir;
    await fs.promises.mkdir(cwd, { recursive: true });
    const logKey = deps.store.logKey(input.outputDir, input.nodeId);
    const metricsKey = deps.store.metricsKey(input.outputDir, input.nodeId);
    const log = deps.store.logs.open(logKey);
    log.write(`--- attempt ${ctx.attempt} started ${new Date().toISOString()}: ${JSON.stringify(config.command)}\n`);

    const gpus = currentGpus();
    ctx.gpus = gpus?.indices;
    const checkpointPath = ctx.resumeCheckpoint ? await ws.materialise(ctx.resumeCheckpoint) : undefined;
    const upstream = await materialiseUpstream(ws, input.upstream);
    const env: Record<string, string> = { ...sandbox.baseEnv };
    // The step kit stays first; the node's own PYTHONPATH follows (it can only name folders the sandbox shows).
    if (nodeEnv.PYTHONPATH)
      nodeEnv.PYTHONPATH = [env.PYTHONPATH, nodeEnv.PYTHONPATH].filter(Boolean).join(path.delimiter);
    const checkpointNowFile = path.join(nodeDir, CHECKPOINT_NOW_FILE);
    await fs.promises.rm(checkpointNowFile, { force: true });
    Object.assign(env, nodeEnv, {
      JOB_INPUT: JSON.stringify({
        jobId: input.jobId,
        nodeId: input.nodeId,
        config,
        ...(config.configFile !== undefined && { configFile: config.configFile }),
        params: input.params ?? {},
        upstream,
        resources: input.resources,
        gpus: gpus?.indices ?? [],
      }),
      JOB_OUTPUT_DIR: nodeDir,
      TRAINYARD_JOB_DIR: jobDir,
      TRAINYARD_JOB_ID: input.jobId,
      TRAINYARD_NODE_ID: input.nodeId,
      TRAINYARD_ATTEMPT: String(ctx.attempt),
      TRAINYARD_CHECKPOINT_NOW_FILE: checkpointNowFile,
      TRAINYARD_PARAMS_FILE: files.params,
      ...(files.config !== undefined && { TRAINYARD_CONFIG_FILE: files.config }),
      // A step without GPUs must not grab any: an empty list hides every device from CUDA.
      CUDA_VISIBLE_DEVICES: gpus ? gpus.indices.join(',') : '',
      ...(checkpointPath && { TRAINYARD_RESUME_CHECKPOINT: checkpointPath }),
    });

    const writable = [nodeDir, ...(isInside(cwd, nodeDir) ? [] : [cwd])];
    const proc = await sandbox.start({
      exe: resolved.path,
      args,
      env,
      cwd,
      writable,
      readOnly: [ws.inputsDir],
      ...(config.network && { network: config.network }),
      limits,
      gpus: (gpus?.indices.length ?? 0) > 0,
    });
    const stderrTail = new BoundedTail();
    const stdoutTail = new BoundedTail();
    let result: Record<string, unknown> | undefined;
    /** Set when the TRAINYARD_RESULT line was over its cap: the step fails, saying so. */
    let resultTooLarge: number | undefined;
    let latest: StepHeartbeat = { phase: 'running' };
    let checkpointSignal: NodeJS.Signals | undefined;
    /** Pending checkpoint-now requests, answered by the next reported checkpoint. */
    const waiting: ((ref: ArtifactRef | undefined) => void)[] = [];
    // Every progress report, as the node's metrics history (appended across attempts, bounded).
    let metricsCount = await countLines(deps.store, metricsKey);
    const metricsOut = deps.store.logs.open(metricsKey);
    let uploadError: Error | undefined;

    const onLine = (stream: 'stdout' | 'stderr') => (line: string, dropped: number) => {
      const cut = dropped ? ` … [line cut at ${OUTPUT_CAPS.lineBytes} bytes: ${dropped} more bytes dropped]` : '';
      log.write(stream === 'stderr' ? `[stderr] ${line}${cut}\n` : `${line}${cut}\n`);
      (stream === 'stderr' ? stderrTail : stdoutTail).push(line + cut);
      if (stream !== 'stdout') return;
      const bytes = Buffer.byteLength(line, 'utf8') + dropped;
      if (line.startsWith(RESULT_PREFIX) && bytes > OUTPUT_CAPS.resultBytes) {
        resultTooLarge = bytes;
        return;
      }
      if (line.startsWith(PROGRESS_PREFIX) && bytes > OUTPUT_CAPS.progressBytes) {
        log.write(
          `[trainyard] a TRAINYARD_PROGRESS line of ${bytes} bytes was ignored (cap ${OUTPUT_CAPS.progressBytes})\n`,
        );
        return;
      }
      if (line.startsWith(PROGRESS_PREFIX)) {
        const progress = parseJson(line.slice(PROGRESS_PREFIX.length));
        if (progress) {
          latest = { ...latest, ...pickProgress(progress) };
          const point = pointFromProgress(progress, ctx.attempt, new Date());
          if (!isEmptyPoint(point) && metricsCount < MAX_POINTS) {
            metricsCount++;
            metricsOut.write(JSON.stringify(point) + '\n');
          }
          ctx.heartbeat(latest);
          // Uploaded off this handler; once stored, the heartbeat carries its ref (defineStep keeps
          // the latest checkpoint in every later heartbeat and in the cancellation).
          if (typeof progress.checkpoint === 'string')
            ws.uploadCheckpoint(progress.checkpoint).then(
              (checkpoint) => {
                if (!checkpoint) return;
                ctx.heartbeat({ ...latest, checkpoint });
                for (const answer of waiting.splice(0)) answer(checkpoint);
              },
              (err: Error) => {
                uploadError = err;
                log.write(`[trainyard] checkpoint ${progress.checkpoint} could not be uploaded: ${err.message}\n`);
              },
            );
        }
      } else if (line.startsWith(CAPABILITIES_PREFIX)) {
        const caps = parseJson(line.slice(CAPABILITIES_PREFIX.length));
        if (caps?.checkpointSignal === 'SIGUSR1') checkpointSignal = 'SIGUSR1';
      } else if (line.startsWith(RESULT_PREFIX)) {
        result = parseJson(line.slice(RESULT_PREFIX.length)) ?? result;
      }
    };
    // Not readline: it would hold a line of any length in memory.
    const outputRead = Promise.all(
      (
        [
          ['stdout', proc.stdout],
          ['stderr', proc.stderr],
        ] as const
      ).map(([stream, pipe]) => {
        const lines = new LineSplitter(OUTPUT_CAPS.lineBytes, onLine(stream));
        pipe.on('data', (chunk: Buffer) => lines.push(chunk));
        pipe.on('end', () => lines.end());
        return finished(pipe).catch(() => undefined);
      }),
    );

    let cancelled = false;
    const onAbort = () => {
      cancelled = true;
      proc.stop(config.killGraceMs);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Cancelled before the listener was there (e.g. while waiting for GPUs): stop at once.
    if (ctx.signal.aborted) onAbort();
    const askForCheckpoint = async (request: CheckpointRequest): Promise<ArtifactRef | undefined> => {
      const answered = new Promise<ArtifactRef | undefined>((resolve) => {
        waiting.push(resolve);
        setTimeout(() => resolve(undefined), Math.max(0, request.deadlineMs - Date.now())).unref();
      });
      const tmp = `${checkpointNowFile}.tmp`;
      await fs.promises.writeFile(
        tmp,
        JSON.stringify({ reason: request.reason, deadline: new Date(request.deadlineMs).toISOString() }),
      );
      await fs.promises.rename(tmp, checkpointNowFile);
      if (checkpointSignal) proc.signalMain(checkpointSignal);
      return answered;
    };
    const unregister = deps.checkpointRequests?.register(
      `${input.jobId}/${input.nodeId}#${ctx.attempt}`,
      askForCheckpoint,
    );
    // Heartbeat while the process runs so Temporal can deliver cancellation and see liveness.
    const beat = setInterval(() => ctx.heartbeat(latest), HEARTBEAT_EVERY_MS);
    ctx.heartbeat({ ...latest, gpus: gpus?.indices });

    // Resolves once every process of the attempt is gone (the sandbox dies as a whole).
    const exit = await proc.exited;
    // Every line the step wrote is handled (its result, its last progress) before anything ends.
    await outputRead;
    clearInterval(beat);
    ctx.signal.removeEventListener('abort', onAbort);
    // Checkpoints reported before the exit are stored (and in the heartbeat) before anything ends.
    await ws.flush().catch(() => undefined);
    unregister?.();
    for (const answer of waiting.splice(0)) answer(undefined);
    await fs.promises.rm(checkpointNowFile, { force: true });
    // A command killed by signal n is reported by bwrap as exit 128 + n.
    const signal = exit.signal ?? (sandbox.mode === 'bwrap' ? signalOfCode(exit.code) : null);
    const code = signal && exit.signal === null ? null : exit.code;
    const limitHit =
      exit.limitHit ??
      (sandbox.mode === 'bwrap' && !cancelled && exit.code !== 0 && !exit.error
        ? limitFromExit({ code: exit.code, signal: exit.signal }, stderrTail.text(20), exit.usage, limits)
        : undefined);
    log.write(
      `--- attempt ${ctx.attempt} ended ${new Date().toISOString()}: ${exit.error ? exit.error.message : `exit ${code ?? signal}`}\n`,
    );
    if (limitHit && !cancelled)
      log.write(`[trainyard] ${describeLimitHit(limitHit, limits, sandbox.limitConfig.max)}\n`);
    await log.close();
    await metricsOut.close();
    const logRef = await deps.store.sealLog(input.outputDir, input.nodeId);
    const metricsInfo = metricsCount > 0 ? await deps.store.logs.seal(metricsKey, 'application/x-ndjson') : undefined;
    const metricsRef = metricsInfo && deps.store.refOf(metricsInfo, METRICS_FILE);

    if (cancelled) throw new CancelledFailure('command cancelled');
    if (limitHit)
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.StepLimitExceeded,
        message: `node ${input.nodeId}: ${describeLimitHit(limitHit, limits, sandbox.limitConfig.max)}`,
        nonRetryable: true,
        details: [
          {
            limit: limitHit.limit,
            value: limits[limitHit.limit],
            exitCode: code,
            signal,
            stderrTail: stderrTail.text(20),
          },
        ],
      });
    if (exit.error) {
      const notFound = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw ApplicationFailure.create({
        type: notFound ? FAILURE_TYPES.CommandNotFound : FAILURE_TYPES.CommandSpawnFailed,
        message: notFound
          ? `config.command[0]: executable "${exe}" was not found on the worker`
          : `could not start "${exe}": ${exit.error.message}`,
        nonRetryable: notFound,
      });
    }
    if (code !== 0) {
      const why = code === null ? `killed by ${signal}` : `exited with code ${code}`;
      const tail = stderrTail.text(20);
      // One line, the most telling one last: the error a script printed before it died.
      const lastLine = tail
        .split('\n')
        .reverse()
        .find((l) => l.trim() !== '');
      throw ApplicationFailure.create({
        type:
          code !== null && config.nonRetryableExitCodes.includes(code)
            ? FAILURE_TYPES.CommandExitNonRetryable
            : FAILURE_TYPES.CommandFailed,
        message: `${exe} ${why}${lastLine ? `: ${lastLine.trim().slice(0, 500)}` : ''}`,
        nonRetryable: code !== null && config.nonRetryableExitCodes.includes(code),
        details: [{ exitCode: code, signal, stderrTail: tail }],
      });
    }
    if (resultTooLarge !== undefined)
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.OutputTooLarge,
        message: `the TRAINYARD_RESULT line is ${resultTooLarge} bytes, over its ${OUTPUT_CAPS.resultBytes}-byte cap; write large results as files in $JOB_OUTPUT_DIR and report their names`,
        nonRetryable: true,
      });
    if (uploadError) throw uploadError; // transient: the retry uploads again
    await ws.publish();
    await ws.dispose();
    return {
      summary: { exitCode: 0, stdoutTail: stdoutTail.text(10), ...(result && { result }) },
      artifacts: [...(logRef ? [{ ...logRef, name: 'output.log' }] : []), ...(metricsRef ? [metricsRef] : [])],
      // Refs pass through a command, so steps further down still find the dataset, splits, model….
      refs: carriedRefs(input),
    };
  });
}

const isInside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/** 128 + n → the signal n's name (how bwrap reports a command a signal killed). */
function signalOfCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0];
  return (name as NodeJS.Signals | undefined) ?? null;
}

/** `{config}`, `{params}`, `{output}` anywhere in an argument or env value → their paths. */
function expandPlaceholders(value: string, paths: Record<string, string | undefined>): string {
  return value.replace(/\{(config|params|output)\}/g, (m) => {
    const p = paths[m];
    if (p === undefined)
      throw ApplicationFailure.nonRetryable(
        `${m} is used but this node has no config file (give the node "config", or configFile on a command node)`,
        FAILURE_TYPES.CommandPlaceholder,
      );
    return p;
  });
}

/** Writes params.json (always) and the config file (when the node has one) into the node folder, atomically. */
async function writeInputFiles(
  nodeDir: string,
  config: CommandConfig,
  params: Record<string, unknown> | undefined,
): Promise<{ params: string; config?: string }> {
  const write = async (name: string, text: string) => {
    const abs = path.join(nodeDir, name);
    await fs.promises.writeFile(`${abs}.tmp`, text);
    await fs.promises.rename(`${abs}.tmp`, abs);
    return abs;
  };
  const paramsPath = await write('params.json', JSON.stringify(params ?? {}, null, 2) + '\n');
  if (config.configFile === undefined) return { params: paramsPath };
  const configPath =
    config.configFormat === 'json'
      ? await write('config.json', JSON.stringify(config.configFile, null, 2) + '\n')
      : await write('config.yaml', YAML.stringify(config.configFile));
  return { params: paramsPath, config: configPath };
}

async function countLines(store: Artifacts, key: string): Promise<number> {
  const chunk = await store.logs.read(key, 0, 64 << 20);
  return chunk
    ? chunk.data
        .toString('utf8')
        .split('\n')
        .filter((l) => l.trim() !== '').length
    : 0;
}

/**
 * The upstream outputs as the process sees them: every ref and artifact of its direct parents
 * downloaded into the workspace (sha256-checked), its `uri` the local file (`storeUri` the stored one).
 */
async function materialiseUpstream(
  ws: NodeWorkspace,
  upstream: Record<string, StepOutput>,
): Promise<Record<string, unknown>> {
  const byKey = new Map<string, Promise<string>>();
  const local = async (ref: ArtifactRef) => {
    let p = byKey.get(ref.path);
    if (!p) byKey.set(ref.path, (p = ws.materialise(ref)));
    return { ...ref, uri: pathToFileURL(await p).href, storeUri: ref.uri };
  };
  const out: Record<string, unknown> = {};
  for (const [id, o] of Object.entries(upstream)) {
    const refs = Object.fromEntries(
      await Promise.all(Object.entries(o.refs ?? {}).map(async ([k, r]) => [k, await local(r)] as const)),
    );
    out[id] = { ...o, artifacts: await Promise.all(o.artifacts.map(local)), ...(o.refs && { refs }) };
  }
  return out;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A progress line as live progress: the known fields, and every other number as a metric (bounded). */
function pickProgress(p: Record<string, unknown>): StepHeartbeat {
  const { t: _t, attempt: _a, metrics, ...fields } = pointFromProgress(p, 0, new Date(0));
  const out: StepHeartbeat = { ...fields };
  if (Object.keys(metrics).length) out.metrics = metrics;
  if (typeof p.message === 'string') out.message = p.message.slice(0, 500);
  return out;
}
