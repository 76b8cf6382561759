// The files a dataset node reads from outside the artifact store: a built-in sample (data/samples)
// or a confined file under the data root. Shared by the dataset step (activities/ml/datasets.ts)
// and the step cache's keys (a dataset's key holds its source file's sha256), which the API also
// computes to predict hits in a job's plan.
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_DATASET_INFO, type DatasetConfig } from '../domain/node-types';

/** Folder of the built-in samples shipped with Trainyard. */
export const SAMPLES_DIR = path.resolve(__dirname, '..', '..', 'data', 'samples');

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

export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
