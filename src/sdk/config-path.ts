// `configPath`: a node's config loaded from a YAML/JSON file at submit time, confined to a base
// folder (the CLI: the job file's folder; the API: the submitter's folder of the data root, or the
// shared one — domain/data-paths.ts). The workflow only ever sees the resolved `config`: the
// snapshot is self-contained.
import { constants as FS } from 'node:fs';
import fs from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { dataPathProblem } from '../domain/data-paths';
import { CONFIG_FILE_LIMITS, ConfigParseError, formatOf } from './config-parse';
import { configParser, type ConfigParser } from './config-parser';
import { PayloadTooLargeError, SpecValidationError, type ErrorDetail } from './errors';

/** What one submission's config files may cost in all: bytes read and parse time. */
export interface ConfigBudget {
  /** Bytes of config files read, all files together (default 4 MiB). */
  maxBytes: number;
  /** Wall time for reading and parsing them all, ms (default 10 s). */
  timeMs: number;
}

export const REQUEST_CONFIG_BUDGET: ConfigBudget = { maxBytes: 4 * 1024 * 1024, timeMs: 10_000 };

export interface ResolveOptions {
  budget?: Partial<ConfigBudget>;
  /** Where files are parsed (default: the process's worker-thread parser). */
  parser?: ConfigParser;
  /**
   * The API's rule (`baseDir` is then the data root): a file must be in this owner's data folder or
   * the shared one, named first (`alice/cmd.yaml`, `_shared/base.yaml`), and a symlink may not lead
   * out of that folder.
   */
  owner?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function inside(parent: string, child: string): boolean {
  const r = path.relative(parent, child);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

interface Spending {
  bytesLeft: number;
  deadline: number;
  parser: ConfigParser;
  budget: ConfigBudget;
}

/** A budget of the request ran out: refused with 413 once, for the whole submission. */
class BudgetExceeded extends Error {}

async function readBounded(real: string, rel: string, spending: Spending): Promise<string> {
  const fh = await fs.open(real, FS.O_RDONLY | FS.O_NOFOLLOW);
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new Error(`not a file: ${rel}`);
    if (stat.size > CONFIG_FILE_LIMITS.maxBytes)
      throw new Error(`file is larger than ${CONFIG_FILE_LIMITS.maxBytes} bytes`);
    if (stat.size > spending.bytesLeft)
      throw new BudgetExceeded(
        `the submission's config files are larger than ${spending.budget.maxBytes} bytes in all (the limit per submission)`,
      );
    // Never more than the stat said, even if the file grows meanwhile.
    const buf = Buffer.alloc(stat.size);
    const { bytesRead } = stat.size ? await fh.read(buf, 0, stat.size, 0) : { bytesRead: 0 };
    spending.bytesLeft -= bytesRead;
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

async function loadConfigFile(
  rel: string,
  baseDir: string,
  spending: Spending,
  owner: string | undefined,
): Promise<Record<string, unknown>> {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0'))
    throw new Error('must be a non-empty relative path');
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..'))
    throw new Error('must be a relative path inside the config folder (no "..", no absolute path)');
  if (owner !== undefined) {
    const problem = dataPathProblem(rel, owner);
    if (problem) throw new Error(problem);
  }
  const base = path.resolve(baseDir, owner !== undefined ? rel.split(/[\\/]/)[0]! : '.');
  const abs = path.resolve(path.resolve(baseDir), rel);
  if (!inside(base, abs)) throw new Error('must stay inside the config folder');
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new Error(`file not found: ${rel}`);
  }
  let realBase: string;
  try {
    realBase = realpathSync(base);
  } catch {
    realBase = base;
  }
  if (!inside(realBase, real)) throw new Error('must stay inside the config folder (symlink leads outside)');
  if (Date.now() >= spending.deadline) throw new BudgetExceeded(timeBudgetMessage(spending.budget));
  const text = await readBounded(real, rel, spending);
  let data: unknown;
  try {
    data = await spending.parser.parse(text, formatOf(rel), spending.deadline);
  } catch (err) {
    if (err instanceof ConfigParseError) {
      if (Date.now() >= spending.deadline) throw new BudgetExceeded(timeBudgetMessage(spending.budget));
      throw new Error(`cannot parse ${rel}: ${err.message}`);
    }
    throw err;
  }
  if (!isRecord(data)) throw new Error(`${rel} must hold a mapping (an object of config fields)`);
  return data;
}

function timeBudgetMessage(budget: ConfigBudget): string {
  return `the submission's config files were not read and parsed within ${budget.timeMs / 1000} s (the limit per submission)`;
}

/**
 * Returns a copy of the submission (DAG or single-job form) with every `configPath` loaded into
 * `config` (fields given inline in `config` win) and `configPath` removed. Files are read one after
 * the other and parsed off the event loop, within the per-file limits (CONFIG_FILE_LIMITS) and the
 * submission's budget (REQUEST_CONFIG_BUDGET: bytes and time in all). Throws SpecValidationError
 * naming each bad path (`nodes[2].configPath`), or PayloadTooLargeError when the budget ran out.
 * Anything that is not the expected shape is left as it is, for validation to report.
 */
export async function resolveConfigPaths<T>(spec: T, baseDir: string, opts: ResolveOptions = {}): Promise<T> {
  if (!isRecord(spec)) return spec;
  const budget = { ...REQUEST_CONFIG_BUDGET, ...opts.budget };
  const spending: Spending = {
    bytesLeft: budget.maxBytes,
    deadline: Date.now() + budget.timeMs,
    parser: opts.parser ?? configParser(),
    budget,
  };
  const errors: ErrorDetail[] = [];
  let exceeded: ErrorDetail | undefined;
  const loadInto = async (
    holder: Record<string, unknown>,
    at: string,
    fileKey: 'configPath' | 'paramsFile',
    into: 'config' | 'params',
  ): Promise<Record<string, unknown>> => {
    if (holder[fileKey] === undefined || exceeded) return holder;
    const { [fileKey]: file, ...rest } = holder;
    const field = at ? `${at}.${fileKey}` : fileKey;
    try {
      const loaded = await loadConfigFile(file as string, baseDir, spending, opts.owner);
      const inline = isRecord(rest[into]) ? rest[into] : {};
      return { ...rest, [into]: { ...loaded, ...inline } };
    } catch (err) {
      if (err instanceof BudgetExceeded) exceeded = { path: field, message: err.message };
      else errors.push({ path: field, message: (err as Error).message });
      return holder;
    }
  };
  const resolveOne = async (holder: Record<string, unknown>, at: string): Promise<Record<string, unknown>> =>
    loadInto(await loadInto(holder, at, 'configPath', 'config'), at, 'paramsFile', 'params');
  let out: Record<string, unknown>;
  if (Array.isArray(spec.nodes)) {
    // One file at a time: a submission holds at most one file's text in memory.
    const nodes: unknown[] = [];
    for (const [i, n] of (spec.nodes as unknown[]).entries())
      nodes.push(isRecord(n) ? await resolveOne(n, `nodes[${i}]`) : n);
    out = { ...spec, nodes };
  } else {
    out = await resolveOne(spec, '');
  }
  if (exceeded) throw new PayloadTooLargeError(exceeded.message, [exceeded]);
  if (errors.length) throw new SpecValidationError(errors, 'cannot load configPath / paramsFile');
  return out as T;
}

/** Where a submission still names a configPath or paramsFile (the SDK requires them resolved). */
export function hasConfigPaths(spec: unknown): string[] {
  if (!isRecord(spec)) return [];
  const named = (h: Record<string, unknown>, at: string) =>
    (['configPath', 'paramsFile'] as const).filter((k) => h[k] !== undefined).map((k) => (at ? `${at}.${k}` : k));
  if (Array.isArray(spec.nodes))
    return spec.nodes.flatMap((n: unknown, i: number) => (isRecord(n) ? named(n, `nodes[${i}]`) : []));
  return named(spec, '');
}
