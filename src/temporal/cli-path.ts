// Finds the Temporal CLI binary installed by scripts/install-temporal-cli.js. Never downloads.
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const BUNDLED_CLI = path.join(PROJECT_ROOT, '.temporal', 'bin', 'temporal');

/** TEMPORAL_CLI, else the project's installed binary, else `temporal` on PATH. Throws with what to do. */
export function resolveTemporalCli(explicit: string | undefined = process.env.TEMPORAL_CLI): string {
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  if (isExecutable(BUNDLED_CLI)) return BUNDLED_CLI;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'temporal');
    if (dir && isExecutable(p)) return p;
  }
  throw new Error('Temporal CLI not found. Run `npm install` (it installs .temporal/bin/temporal) or `node scripts/install-temporal-cli.js`, or set TEMPORAL_CLI=/path/to/temporal.');
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
