// The `trainyard` CLI (bin/trainyard.js) as a subprocess against a test stack's API, with alice's key
// unless `env` says otherwise, and nothing else of this process's environment but PATH and HOME.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { KEYS } from './api-stack';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export interface CliRun {
  done: Promise<CliResult>;
  /** Resolves once stdout has matched `re` (rejects if the process exits first). */
  printed(re: RegExp): Promise<void>;
}

/** Starts `trainyard ARGS` against the API at `apiUrl`. */
export function spawnCli(apiUrl: string, args: string[], env: Record<string, string> = {}): CliRun {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'trainyard.js'), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TRAINYARD_URL: apiUrl,
      TRAINYARD_API_KEY: KEYS.alice,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  const printed = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!re.test(out)) return;
        child.stdout.off('data', check);
        resolve();
      };
      child.stdout.on('data', check);
      check();
      void done.then((r) =>
        re.test(r.out) ? resolve() : reject(new Error(`exited before printing ${re}: ${r.out}${r.err}`)),
      );
    });
  return { done, printed };
}

/** Runs `trainyard ARGS` against the API at `apiUrl` to its end: exit code, stdout, stderr. */
export function runCli(apiUrl: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return spawnCli(apiUrl, args, env).done;
}
