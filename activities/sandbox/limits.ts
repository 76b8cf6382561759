// How a step's limits are enforced and how a failure is put down to one. The kernel enforces
// what it can per process (prlimit inside the sandbox: address space, processes — counted in the
// sandbox's own user namespace —, open files, file size, CPU time); the worker watches what is
// for the whole step (resident memory of all its processes, CPU time of all of them, the size of
// its folder) and kills the sandbox past a limit, so it knows exactly which one it was.
import os from 'node:os';
import { STEP_LIMIT_NAMES, type StepLimitKey, type StepLimits } from '../../src/domain/step-limits';

const MB = 1024 * 1024;

/**
 * `prlimit` arguments for the step's main process (its children inherit them). The address-space
 * limit is left off for GPU steps: CUDA reserves far more virtual memory than it uses (the
 * resident-memory watch still applies).
 */
export function prlimitArgs(limits: StepLimits, o: { gpus: boolean }): string[] {
  return [
    ...(o.gpus ? [] : [`--as=${addressSpaceBytes(limits)}`]),
    `--nproc=${limits.processes}`,
    `--nofile=${limits.openFiles}`,
    `--fsize=${limits.fileSizeMb * MB}`,
    // SIGXCPU at the soft limit, SIGKILL a little later if the process ignores it.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
    '--core=0',
  ];
}

/** Twice the memory limit (at least 1 GiB more): room for what runtimes reserve and never touch. */
export function addressSpaceBytes(limits: StepLimits): number {
  return Math.max(2 * limits.memoryMb, limits.memoryMb + 1024) * MB;
}

export interface LimitHit {
  limit: StepLimitKey;
  /** What was seen, in words ("resident memory reached 530 MiB"). */
  seen: string;
}

/** The sentence a failed step carries: which limit, its value, what was seen, how to ask for more. */
export function describeLimitHit(hit: LimitHit, limits: StepLimits, max: StepLimits): string {
  const unit = hit.limit.endsWith('Mb') ? ' MiB' : hit.limit === 'cpuSeconds' ? ' s' : '';
  return (
    `the step went over its ${STEP_LIMIT_NAMES[hit.limit]} limit (resources.${hit.limit} = ${limits[hit.limit]}${unit}): ${hit.seen}; ` +
    `ask for more in resources.${hit.limit} (this deployment allows up to ${max[hit.limit]}${unit})`
  );
}

const SIGNALS = os.constants.signals;

/**
 * Which limit a failed command ran into, from how it ended and what it printed last (the kernel's
 * own enforcement: the watch names its kills itself). Undefined when none explains it.
 */
export function limitFromExit(
  exit: { code: number | null; signal: NodeJS.Signals | null },
  stderrTail: string,
  seen: { cpuSeconds: number; peakProcesses: number },
  limits: StepLimits,
): LimitHit | undefined {
  // bwrap reports a command killed by signal n as exit code 128 + n.
  const sig = exit.signal ?? (exit.code !== null && exit.code > 128 ? exit.code - 128 : undefined);
  const signo = typeof sig === 'string' ? SIGNALS[sig] : sig;
  if (signo === SIGNALS.SIGXCPU) return { limit: 'cpuSeconds', seen: 'the process was stopped by SIGXCPU' };
  if (signo === SIGNALS.SIGXFSZ)
    return { limit: 'fileSizeMb', seen: 'a file reached the limit (the process was stopped by SIGXFSZ)' };
  if (signo === SIGNALS.SIGKILL && seen.cpuSeconds >= limits.cpuSeconds)
    return { limit: 'cpuSeconds', seen: `${seen.cpuSeconds.toFixed(1)} CPU seconds used` };
  const text = stderrTail;
  if (/File too large|EFBIG/.test(text)) return { limit: 'fileSizeMb', seen: 'a write failed with "File too large"' };
  if (/Too many open files|EMFILE/.test(text))
    return { limit: 'openFiles', seen: 'an open failed with "Too many open files"' };
  if (
    /Resource temporarily unavailable|EAGAIN|fork: retry|can't start new thread|Cannot allocate thread/.test(text) ||
    seen.peakProcesses >= limits.processes
  )
    return {
      limit: 'processes',
      seen: `a new process or thread was refused (at most ${seen.peakProcesses} seen at once)`,
    };
  if (/MemoryError|out of memory|Cannot allocate memory|ENOMEM|bad_alloc|memory allocation failed/i.test(text))
    return { limit: 'memoryMb', seen: 'an allocation failed (the address space is limited too)' };
  if (/No space left on device|ENOSPC/.test(text))
    return {
      limit: 'diskMb',
      seen: 'a write failed with "No space left on device" (the sandbox\'s /tmp is bounded too)',
    };
  return undefined;
}
