// One step attempt's processes, sandboxed or not: started, watched against the step's limits,
// stopped (SIGTERM to every process of the step, then SIGKILL to all of them) and awaited. When
// `exited` resolves nothing the attempt started is left: the bwrap sandbox's PID namespace dies
// with its first process, and bwrap itself dies with the worker (--die-with-parent).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import type { StepLimits } from '../../src/domain/step-limits';
import { diskUsage } from './ownership';
import { descendants, type ProcessTable } from './process-table';
import type { LimitHit } from './limits';

export interface StepExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started. */
  error?: Error;
  /** The watch stopped the step at a limit (it was killed for it). */
  limitHit?: LimitHit;
  /** What the watch saw: most processes at once, CPU seconds of all of them. */
  usage: { peakProcesses: number; cpuSeconds: number; peakRssBytes: number };
}

export interface StepProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Cancellation: SIGTERM to every process of the step, SIGKILL to all that remain after `graceMs`. */
  stop(graceMs: number): void;
  /** A signal to the step's main process (the checkpoint-now request). */
  signalMain(sig: NodeJS.Signals): void;
  /** Resolves once every process of the attempt is gone. */
  readonly exited: Promise<StepExit>;
}

const WATCH_EVERY_MS = 250;
const DISK_EVERY_TICKS = 8;
const MB = 1024 * 1024;

/**
 * The child's pipe, held from the moment it exists. Node resumes (and so discards) a child's stdio
 * stream that nobody reads when the child exits; a short step can exit while its caller is still
 * awaiting something, so its output is piped into a buffer here and read from that.
 */
function held(pipe: Readable): Readable {
  const out = new PassThrough();
  pipe.pipe(out);
  return out;
}

function send(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** A plain subprocess leading its own process group (TRAINYARD_SANDBOX=off): no limits, no isolation. */
export function startPlain(
  exe: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
): StepProcess {
  const child = spawn(exe, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killGroup = (sig: NodeJS.Signals) => child.pid && send(-child.pid, sig);
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<StepExit>((resolve) => {
    const usage = { peakProcesses: 0, cpuSeconds: 0, peakRssBytes: 0 };
    child.once('error', (error) => resolve({ code: null, signal: null, error, usage }));
    child.once('close', (code, signal) => {
      // The leader exited; make sure nothing it started (in its group) outlives it.
      killGroup('SIGKILL');
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, usage });
    });
  });
  return {
    stdout: held(child.stdout!),
    stderr: held(child.stderr!),
    stop(graceMs) {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), graceMs);
    },
    signalMain(sig) {
      if (child.pid && child.exitCode === null) send(child.pid, sig);
    },
    exited,
  };
}

export interface SandboxedStart {
  bwrap: string;
  /** bwrap's arguments and the command after them. */
  argv: string[];
  env: Record<string, string>;
  /** Set when the worker is root: bwrap runs as this user (so the kernel's per-user limits apply). */
  runAs?: { uid: number; gid: number };
  limits: StepLimits;
  /** Folders whose size counts against the disk limit. */
  diskDirs: string[];
  table: ProcessTable;
  /** Called once everything has exited (ownership handed back). */
  cleanup: () => Promise<void>;
}

/**
 * A bwrap sandbox. Its processes: bwrap (our child), bwrap's init (PID 1 inside, its only child),
 * the command (PID 2) and whatever that starts — all below bwrap in the host's process tree.
 */
export function startSandboxed(s: SandboxedStart): StepProcess {
  const opts: SpawnOptions = {
    env: s.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(s.runAs && { uid: s.runAs.uid, gid: s.runAs.gid }),
  };
  const child: ChildProcess = spawn(s.bwrap, s.argv, opts);
  const stdout = held(child.stdout!);
  const stderr = held(child.stderr!);
  const usage = { peakProcesses: 0, cpuSeconds: 0, peakRssBytes: 0 };
  let limitHit: LimitHit | undefined;
  let done = false;
  let killTimer: NodeJS.Timeout | undefined;

  /** bwrap's init (PID 1 of the namespace) and the processes below it. */
  const inside = async (fresh: boolean) => {
    if (!child.pid) return { init: [] as number[], step: [] as ReturnType<typeof descendants> };
    const procs = fresh ? await s.table.fresh() : await s.table.snapshot();
    const all = descendants(procs, child.pid);
    const init = all.filter((p) => p.ppid === child.pid).map((p) => p.pid);
    return { init, step: all.filter((p) => p.ppid !== child.pid), all };
  };
  /** SIGKILL to PID 1 of the namespace takes every process in it down; bwrap follows. */
  const killAll = async () => {
    const { init } = await inside(true);
    for (const pid of init) send(pid, 'SIGKILL');
    if (child.pid) send(child.pid, 'SIGKILL');
  };
  const hit = (h: LimitHit) => {
    if (limitHit || done) return;
    limitHit = h;
    void killAll();
  };

  let tick = 0;
  let watching = false;
  const watch = setInterval(() => {
    if (watching || done) return;
    watching = true;
    void (async () => {
      try {
        const { step, all } = await inside(false);
        if (!all) return;
        const rss = step.reduce((n, p) => n + p.rssBytes, 0);
        const cpu = all.reduce((n, p) => n + p.cpuSeconds, 0);
        usage.peakProcesses = Math.max(usage.peakProcesses, step.length);
        usage.peakRssBytes = Math.max(usage.peakRssBytes, rss);
        usage.cpuSeconds = Math.max(usage.cpuSeconds, cpu);
        if (rss > s.limits.memoryMb * MB)
          return hit({ limit: 'memoryMb', seen: `its processes' resident memory reached ${Math.round(rss / MB)} MiB` });
        if (cpu > s.limits.cpuSeconds)
          return hit({ limit: 'cpuSeconds', seen: `its processes used ${cpu.toFixed(1)} CPU seconds` });
        if (++tick % DISK_EVERY_TICKS === 0) {
          const limit = s.limits.diskMb * MB;
          let used = 0;
          for (const d of s.diskDirs) used += await diskUsage(d, limit);
          if (used > limit) hit({ limit: 'diskMb', seen: `its folder holds more than ${Math.round(used / MB)} MiB` });
        }
      } finally {
        watching = false;
      }
    })();
  }, WATCH_EVERY_MS);

  const exited = new Promise<StepExit>((resolve) => {
    const finish = (r: Omit<StepExit, 'usage' | 'limitHit'>) => {
      done = true;
      clearInterval(watch);
      if (killTimer) clearTimeout(killTimer);
      void (async () => {
        // Normally nothing is left (the namespace died with its init); a stray is killed here.
        await killAll().catch(() => undefined);
        await s.cleanup().catch(() => undefined);
        resolve({ ...r, usage, ...(limitHit && { limitHit }) });
      })();
    };
    child.once('error', (error) => finish({ code: null, signal: null, error }));
    child.once('close', (code, signal) => finish({ code, signal }));
  });

  return {
    stdout,
    stderr,
    stop(graceMs) {
      void inside(true).then(({ step }) => {
        for (const p of step) send(p.pid, 'SIGTERM');
      });
      killTimer = setTimeout(() => void killAll(), graceMs);
    },
    signalMain(sig) {
      void inside(true).then(({ init, step }) => {
        const main = step.filter((p) => init.includes(p.ppid)).sort((a, b) => a.start - b.start)[0];
        if (main) send(main.pid, sig);
      });
    },
    exited,
  };
}
