// The step sandbox of a worker: built once at start from its config. `bwrap` (the default) runs
// every command step attempt in a bubblewrap sandbox (bwrap-args.ts) under the step's limits
// (limits.ts), watched and stopped as a whole (step-process.ts); when bubblewrap is missing or
// fails its probe the worker refuses to start. `off` runs plain subprocesses, logged loudly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SandboxConfig } from '../../src/config';
import type { StepNetwork } from '../../src/domain/node-types';
import { effectiveLimits, type StepLimitKey, type StepLimits } from '../../src/domain/step-limits';
import { SANDBOX_GID, SANDBOX_UID, bwrapArgs, gpuDevices, systemArgs, writeIdentityFiles } from './bwrap-args';
import { resolveAllowlist, type ResolvedCommands } from './executables';
import { prlimitArgs } from './limits';
import { chownTree } from './ownership';
import { PRLIMIT, probeSandbox } from './probe';
import { ProcessTable } from './process-table';
import { startPlain, startSandboxed, type StepProcess } from './step-process';

export type { StepExit, StepProcess } from './step-process';
export { describeLimitHit, limitFromExit, type LimitHit } from './limits';

export interface StepStart {
  /** The resolved executable (ResolvedCommands.lookup). */
  exe: string;
  args: string[];
  /** The step's own variables on top of baseEnv. */
  env: Record<string, string>;
  cwd: string;
  /** Read-write inside: the node's folder (and its cwd when that is elsewhere in the job's folder). */
  writable: string[];
  /** Read-only inside: its materialised inputs. */
  readOnly: string[];
  /** Unset = the worker's TRAINYARD_STEP_NETWORK. */
  network?: StepNetwork;
  limits: StepLimits;
  gpus: boolean;
}

export interface StepSandbox {
  readonly mode: 'bwrap' | 'off';
  readonly commands: ResolvedCommands;
  readonly limitConfig: SandboxConfig['limits'];
  /** The limits of a step from what its node asked for (problems: requests over the maxima). */
  limitsFor(asked: Partial<Record<StepLimitKey, number | undefined>>): { limits: StepLimits; problems: string[] };
  /** What every step's environment starts from: PATH, HOME, TMPDIR, locale, and PYTHONPATH with the step kit. */
  readonly baseEnv: Readonly<Record<string, string>>;
  start(s: StepStart): Promise<StepProcess>;
}

export interface SandboxOptions {
  config: SandboxConfig;
  allowedCommands: readonly string[];
  /** This host's node workspaces (TRAINYARD_WORK_DIR): steps' folders are under it. */
  workDir: string;
  stepKitDir?: string;
  scriptsDir?: string;
  /** Data every step may read (the built-in samples shipped with Trainyard). */
  sharedData?: string[];
  /** What an unsandboxed step inherits from the worker (Config.stepEnv). */
  stepEnv: Readonly<Record<string, string>>;
  /** Folders no step may see as a whole (the artifact root, the data root, the worker's home). */
  protectedRoots: string[];
  log?: { warn(msg: string): void; error(msg: string): void; info(msg: string): void };
}

const contains = (dir: string, p: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Builds the worker's sandbox; throws (a message naming the fix) when command steps could not run safely. */
export function createStepSandbox(o: SandboxOptions): StepSandbox {
  const commands = resolveAllowlist(o.allowedCommands, o.config.commandPath);
  const limitConfig = o.config.limits;
  const limitsFor = (asked: Partial<Record<StepLimitKey, number | undefined>>) => effectiveLimits(asked, limitConfig);
  const kit = o.stepKitDir && fs.existsSync(o.stepKitDir) ? o.stepKitDir : undefined;
  if (o.config.mode === 'off') {
    const msg =
      'TRAINYARD_SANDBOX=off: command steps run UNSANDBOXED as this worker’s user — they can read its environment ' +
      '(credentials, API keys), every job’s files and reach the Temporal frontend; no step limits are enforced. ' +
      'Never use this on a shared deployment.';
    if (o.log) o.log.error(msg);
    else process.emitWarning(msg);
    const env = { ...o.stepEnv };
    if (kit) env.PYTHONPATH = [kit, ...(env.PYTHONPATH ? [env.PYTHONPATH] : [])].join(path.delimiter);
    return {
      mode: 'off',
      commands,
      limitConfig,
      limitsFor,
      baseEnv: env,
      start: (s) => Promise.resolve(startPlain(s.exe, s.args, { cwd: s.cwd, env: s.env })),
    };
  }

  const staticRo = [
    ...commands.mounts,
    ...(kit ? [kit] : []),
    ...[o.scriptsDir, ...(o.sharedData ?? [])].filter((d): d is string => d !== undefined && fs.existsSync(d)),
  ];
  for (const m of staticRo)
    for (const root of [...o.protectedRoots, o.workDir].map((r) => path.resolve(r)))
      if (contains(m, root))
        throw new Error(
          `invalid configuration:\n  the step sandbox would show ${m} to every step, and it holds ${root}: ` +
            'keep TRAINYARD_SCRIPTS_DIR, TRAINYARD_STEP_KIT_DIR and the allowlisted executables’ installations apart from the artifact, data and work roots',
        );
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? { uid: SANDBOX_UID, gid: SANDBOX_GID } : undefined;
  fs.mkdirSync(o.workDir, { recursive: true });
  const identity = writeIdentityFiles(fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-sandbox-')));
  const system = systemArgs();
  const probe = probeSandbox({
    bwrap: o.config.bwrap,
    view: { system, identity, readOnly: staticRo },
    workDir: o.workDir,
    ...(runAs && { runAs }),
  });
  if (!probe.ok)
    throw new Error(
      `command steps cannot run sandboxed on this worker: ${probe.reason}.\n` +
        (probe.reason.includes('cannot reach')
          ? '  Fix: as above (a clone or TRAINYARD_HOME under a mode-700 home such as /root is the usual cause), '
          : '  Fix: install bubblewrap (apt-get install bubblewrap; TRAINYARD_BWRAP names another binary), ') +
        'or set TRAINYARD_SANDBOX=off to run command steps unsandboxed (single-user machines only: a step can then read this worker’s secrets and every job’s files).',
    );
  const baseEnv: Record<string, string> = {
    PATH: [...new Set([...commands.binDirs, '/usr/local/bin', '/usr/bin', '/bin'])].join(':'),
    HOME: '/tmp',
    TMPDIR: '/tmp',
    LANG: o.stepEnv.LANG ?? 'C.UTF-8',
    ...(o.stepEnv.LC_ALL && { LC_ALL: o.stepEnv.LC_ALL }),
    ...(o.stepEnv.TZ && { TZ: o.stepEnv.TZ }),
    ...(kit && { PYTHONPATH: kit }),
  };
  const table = new ProcessTable();
  o.log?.info(
    `command steps run in a bubblewrap sandbox (${o.config.bwrap}, network ${o.config.network} by default, uid ${SANDBOX_UID}${runAs ? ', bwrap as uid 65534' : ''})`,
  );
  return {
    mode: 'bwrap',
    commands,
    limitConfig,
    limitsFor,
    baseEnv,
    async start(s) {
      const owned = [...s.writable, ...s.readOnly];
      if (runAs) for (const d of owned) await chownTree(d, runAs.uid, runAs.gid);
      const MB = 1024 * 1024;
      const argv = [
        ...bwrapArgs({
          system,
          identity,
          readOnly: [...staticRo, ...s.readOnly],
          writable: s.writable,
          devices: s.gpus ? gpuDevices() : [],
          network: s.network ?? o.config.network,
          tmpBytes: Math.min(s.limits.diskMb, s.limits.memoryMb) * MB,
          cwd: s.cwd,
        }),
        PRLIMIT,
        ...prlimitArgs(s.limits, { gpus: s.gpus }),
        '--',
        s.exe,
        ...s.args,
      ];
      return startSandboxed({
        bwrap: o.config.bwrap,
        argv,
        // bwrap hands its environment to the command as it is: exactly the step's.
        env: s.env,
        ...(runAs && { runAs }),
        limits: s.limits,
        diskDirs: s.writable,
        table,
        cleanup: async () => {
          if (runAs) for (const d of owned) await chownTree(d, process.getuid!(), process.getgid!());
        },
      });
    },
  };
}
