// `configPath`: a node's config loaded from a YAML/JSON file at submit time, confined to a base
// folder (the CLI: the job file's folder; the API: the data root). The workflow only ever sees the
// resolved `config`: the snapshot is self-contained.
import fs from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SpecValidationError, type ErrorDetail } from './errors';

const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function inside(parent: string, child: string): boolean {
  const r = path.relative(parent, child);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

async function loadConfigFile(rel: string, baseDir: string): Promise<Record<string, unknown>> {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0')) throw new Error('must be a non-empty relative path');
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) throw new Error('must be a relative path inside the config folder (no "..", no absolute path)');
  const base = path.resolve(baseDir);
  const abs = path.resolve(base, rel);
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
  const stat = await fs.stat(real);
  if (!stat.isFile()) throw new Error(`not a file: ${rel}`);
  if (stat.size > MAX_CONFIG_FILE_BYTES) throw new Error(`file is larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
  const text = await fs.readFile(real, 'utf8');
  let data: unknown;
  try {
    data = /\.json$/i.test(rel) ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`cannot parse ${rel}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isRecord(data)) throw new Error(`${rel} must hold a mapping (an object of config fields)`);
  return data;
}

/**
 * Returns a copy of the submission (DAG or single-job form) with every `configPath` loaded into
 * `config` (fields given inline in `config` win) and `configPath` removed. Throws
 * SpecValidationError naming each bad path (`nodes[2].configPath`). Anything that is not the
 * expected shape is left as it is, for validation to report.
 */
export async function resolveConfigPaths<T>(spec: T, baseDir: string): Promise<T> {
  if (!isRecord(spec)) return spec;
  const errors: ErrorDetail[] = [];
  const resolveOne = async (holder: Record<string, unknown>, at: string): Promise<Record<string, unknown>> => {
    if (holder.configPath === undefined) return holder;
    const { configPath, ...rest } = holder;
    try {
      const loaded = await loadConfigFile(configPath as string, baseDir);
      const inline = isRecord(rest.config) ? rest.config : {};
      return { ...rest, config: { ...loaded, ...inline } };
    } catch (err) {
      errors.push({ path: at ? `${at}.configPath` : 'configPath', message: (err as Error).message });
      return holder;
    }
  };
  let out: Record<string, unknown>;
  if (Array.isArray(spec.nodes)) {
    const nodes = await Promise.all(spec.nodes.map((n: unknown, i: number) => (isRecord(n) ? resolveOne(n, `nodes[${i}]`) : n)));
    out = { ...spec, nodes };
  } else {
    out = await resolveOne(spec, '');
  }
  if (errors.length) throw new SpecValidationError(errors, 'cannot load configPath');
  return out as T;
}

/** True when a submission still names a configPath somewhere (the SDK requires them resolved). */
export function hasConfigPaths(spec: unknown): string[] {
  if (!isRecord(spec)) return [];
  if (Array.isArray(spec.nodes)) return spec.nodes.flatMap((n: unknown, i: number) => (isRecord(n) && n.configPath !== undefined ? [`nodes[${i}].configPath`] : []));
  return spec.configPath !== undefined ? ['configPath'] : [];
}
