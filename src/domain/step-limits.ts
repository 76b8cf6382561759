// Resource limits of one command step attempt (memory, processes, open files, file size, CPU time,
// workspace disk). A node asks for them in `resources`; the worker's operator sets the defaults
// for a node that does not ask and the most a node may ask for (TRAINYARD_STEP_LIMITS,
// TRAINYARD_STEP_LIMITS_MAX). Enforced by the step sandbox (activities/sandbox/). Sandbox-safe.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

export const STEP_LIMIT_KEYS = ['memoryMb', 'processes', 'openFiles', 'fileSizeMb', 'cpuSeconds', 'diskMb'] as const;
export type StepLimitKey = (typeof STEP_LIMIT_KEYS)[number];
export type StepLimits = Record<StepLimitKey, number>;

/** What each limit is, in words (failure messages and docs). */
export const STEP_LIMIT_NAMES: Record<StepLimitKey, string> = {
  memoryMb: 'memory',
  processes: 'processes',
  openFiles: 'open files',
  fileSizeMb: 'file size',
  cpuSeconds: 'CPU time',
  diskMb: 'workspace disk',
};

/** Hard bounds of the schema: what no operator setting can go past. */
const BOUNDS: StepLimits = {
  memoryMb: 16 * 1024 * 1024,
  processes: 1_000_000,
  openFiles: 1_048_576,
  fileSizeMb: 64 * 1024 * 1024,
  cpuSeconds: 365 * 86_400,
  diskMb: 64 * 1024 * 1024,
};

export const STEP_LIMIT_BUILTIN_DEFAULTS: StepLimits = {
  memoryMb: 4096,
  processes: 256,
  openFiles: 1024,
  fileSizeMb: 4096,
  cpuSeconds: 86_400,
  diskMb: 10_240,
};

export const STEP_LIMIT_BUILTIN_MAX: StepLimits = {
  memoryMb: 256 * 1024,
  processes: 4096,
  openFiles: 65_536,
  fileSizeMb: 1024 * 1024,
  cpuSeconds: 30 * 86_400,
  diskMb: 1024 * 1024,
};

const limit = (k: StepLimitKey, min: number) => z.number().int().min(min).max(BOUNDS[k]).optional();

/** The limits part of a node's `resources` (all optional: unset = the worker's default). */
export const StepLimitsSpec = cachedSchema('src/domain/step-limits#StepLimitsSpec', () =>
  z.strictObject({
    /** Resident memory of all the step's processes together (and address space per process, for CPU steps). */
    memoryMb: limit('memoryMb', 16),
    /** Processes and threads the step may have at once. */
    processes: limit('processes', 4),
    /** Open files per process. */
    openFiles: limit('openFiles', 16),
    /** Largest file the step may write. */
    fileSizeMb: limit('fileSizeMb', 1),
    /** CPU seconds, per process and for all of the step's processes together. */
    cpuSeconds: limit('cpuSeconds', 1),
    /** What the node's folder may hold. */
    diskMb: limit('diskMb', 1),
  }),
);
export type StepLimitsSpec = z.infer<typeof StepLimitsSpec>;

/** `memoryMb=4096,processes=256` → the limits given (throws naming the variable and the entry). */
export function parseStepLimits(variable: string, text: string): Partial<StepLimits> {
  const out: Partial<StepLimits> = {};
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]+)=(\d+)$/.exec(entry);
    const key = m?.[1] as StepLimitKey | undefined;
    if (!m || !key || !(STEP_LIMIT_KEYS as readonly string[]).includes(key))
      throw new Error(
        `${variable}: "${entry}" is not LIMIT=INTEGER with LIMIT one of ${STEP_LIMIT_KEYS.join(', ')} (e.g. memoryMb=4096,processes=256)`,
      );
    const v = Number(m[2]);
    if (!Number.isSafeInteger(v) || v < 1 || v > BOUNDS[key])
      throw new Error(`${variable}: ${key}=${m[2]} must be from 1 to ${BOUNDS[key]}`);
    out[key] = v;
  }
  return out;
}

/**
 * The limits a step runs under: what the node asked for, else the worker's default. A request
 * over the maximum is a problem (the message names the field and the variable); never clipped.
 */
export function effectiveLimits(
  asked: Partial<Record<StepLimitKey, number | undefined>>,
  config: { defaults: StepLimits; max: StepLimits },
): { limits: StepLimits; problems: string[] } {
  const limits = { ...config.defaults };
  const problems: string[] = [];
  for (const k of STEP_LIMIT_KEYS) {
    const v = asked[k];
    if (v === undefined) continue;
    if (v > config.max[k])
      problems.push(
        `resources.${k}: ${v} is over this deployment's maximum ${config.max[k]} (TRAINYARD_STEP_LIMITS_MAX)`,
      );
    else limits[k] = v;
  }
  return { limits, problems };
}

/** The limits a node's resources name (the rest left out). */
export function askedLimits(resources: Partial<Record<StepLimitKey, number | undefined>>): Partial<StepLimits> {
  const out: Partial<StepLimits> = {};
  for (const k of STEP_LIMIT_KEYS) if (resources[k] !== undefined) out[k] = resources[k];
  return out;
}
