// Loading a dataset node's source: a built-in sample (data/samples) or a file under the data root.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_DATASET_INFO, type DatasetConfig } from '../../src/domain/node-types';
import { buildDataset, recordsFromCsv, recordsFromJson, type Dataset } from './table';

/** Folder of the built-in samples shipped with Trainyard. */
export const SAMPLES_DIR = path.resolve(__dirname, '..', '..', 'data', 'samples');

export interface LoadedDataset {
  dataset: Dataset;
  /** sha256 of the source file's bytes. */
  sourceSha256: string;
  source: string;
  sourceRows: number;
}

/**
 * A path under the data root; rejects "..", absolute paths and symlinks that lead out of the folder
 * the path names first (an owner's folder or the shared one, domain/data-paths.ts: the API checked
 * at submit that it is the job owner's).
 */
export function confinedDataPath(dataRoot: string, rel: string): string {
  if (path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..') || rel.includes('\0'))
    throw new Error(`data path must stay inside the data root: ${rel}`);
  const root = path.resolve(dataRoot);
  const abs = path.resolve(root, rel);
  const segs = rel.split(/[\\/]/);
  const folder = segs.length > 1 ? path.join(root, segs[0]!) : root;
  let real: string;
  let realFolder: string;
  try {
    real = realpathSync(abs);
    realFolder = realpathSync(folder);
  } catch {
    throw new Error(`data file not found: ${rel} (under ${root})`);
  }
  const r = path.relative(realFolder, real);
  if (r.startsWith('..') || path.isAbsolute(r))
    throw new Error(
      `data path leaves its folder (${segs.length > 1 ? `${segs[0]}/` : 'the data root'}) through a symlink: ${rel}`,
    );
  return real;
}

/** The file a dataset step reads (a built-in sample, or a confined file under the data root). */
export function datasetSourceFile(cfg: DatasetConfig, dataRoot: string): string {
  return cfg.name !== undefined
    ? path.join(SAMPLES_DIR, BUILTIN_DATASET_INFO[cfg.name].file)
    : confinedDataPath(dataRoot, cfg.path!);
}

export async function loadDataset(cfg: DatasetConfig, dataRoot: string): Promise<LoadedDataset> {
  let file: string;
  let name: string;
  let target = cfg.target;
  let task = cfg.task;
  let format = cfg.format;
  if (cfg.name !== undefined) {
    const info = BUILTIN_DATASET_INFO[cfg.name];
    file = path.join(SAMPLES_DIR, info.file);
    name = cfg.name;
    target ??= info.target;
    task ??= info.task;
    format = 'csv';
  } else {
    file = confinedDataPath(dataRoot, cfg.path!);
    name = path.basename(cfg.path!).replace(/\.[^.]+$/, '');
    format ??= /\.json$/i.test(file) ? 'json' : 'csv';
    task ??= target === undefined ? 'clustering' : 'classification';
  }
  const bytes = await fs.readFile(file);
  const text = bytes.toString('utf8');
  const records = format === 'json' ? recordsFromJson(text) : recordsFromCsv(text);
  const dataset = buildDataset(name, records, { target, task });
  return {
    dataset,
    sourceSha256: createHash('sha256').update(bytes).digest('hex'),
    source: cfg.name !== undefined ? `builtin:${cfg.name}` : cfg.path!,
    sourceRows: records.rows.length,
  };
}
