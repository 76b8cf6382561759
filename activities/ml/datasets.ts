// Loading a dataset node's source: a built-in sample (data/samples) or a file under the data root.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BUILTIN_DATASET_INFO, type DatasetConfig } from '../../src/domain/node-types';
import { SAMPLES_DIR, confinedDataPath } from '../../src/storage/data-files';
import { buildDataset, recordsFromCsv, recordsFromJson, type Dataset } from './table';

export interface LoadedDataset {
  dataset: Dataset;
  /** sha256 of the source file's bytes. */
  sourceSha256: string;
  source: string;
  sourceRows: number;
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
