// Long-running processes of the local topology: started detached (their own process group, so a
// stop reaches their children too), output appended to logs/<name>.log, pid kept in pids/<name>.json
// with the command line, so a stop never signals an unrelated process that reused the pid.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ProcessRecord {
  name: string;
  pid: number;
  argv: string[];
  logFile: string;
  startedAt: string;
}

export interface Dirs {
  logs: string;
  pids: string;
}

export function dirsOf(home: string): Dirs {
  return { logs: path.join(home, 'logs'), pids: path.join(home, 'pids') };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid still runs the command we started (its /proc cmdline starts with the same program). */
function isOurs(rec: ProcessRecord): boolean {
  if (!isAlive(rec.pid)) return false;
  try {
    const cmdline = fs.readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8').split('\0');
    return path.basename(cmdline[0] ?? '') === path.basename(rec.argv[0] ?? '');
  } catch {
    return true; // no /proc: trust the pid
  }
}

export function readRecord(dirs: Dirs, name: string): ProcessRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dirs.pids, `${name}.json`), 'utf8')) as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** The record of a process that is still running, or undefined (a stale record is removed). */
export function running(dirs: Dirs, name: string): ProcessRecord | undefined {
  const rec = readRecord(dirs, name);
  if (!rec) return undefined;
  if (isOurs(rec)) return rec;
  fs.rmSync(path.join(dirs.pids, `${name}.json`), { force: true });
  return undefined;
}

export function startDaemon(
  dirs: Dirs,
  name: string,
  argv: string[],
  opts: { env: Record<string, string>; cwd: string },
): ProcessRecord {
  fs.mkdirSync(dirs.logs, { recursive: true });
  fs.mkdirSync(dirs.pids, { recursive: true });
  const logFile = path.join(dirs.logs, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n==== ${new Date().toISOString()} start: ${argv.join(' ')}\n`);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${argv[0]}`);
  child.unref();
  const rec: ProcessRecord = { name, pid: child.pid, argv, logFile, startedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(dirs.pids, `${name}.json`), `${JSON.stringify(rec)}\n`);
  return rec;
}

/** The last lines of a process's log (for error messages). */
export function logTail(file: string, lines = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM (or `signal`) to the process group, then SIGKILL after graceMs. Resolves once it is gone. */
export async function stopDaemon(
  dirs: Dirs,
  name: string,
  opts: { graceMs?: number; signal?: NodeJS.Signals } = {},
): Promise<boolean> {
  const rec = running(dirs, name);
  if (!rec) return false;
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  signalGroup(opts.signal ?? 'SIGTERM');
  const deadline = Date.now() + (opts.graceMs ?? 30_000);
  while (isAlive(rec.pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(rec.pid)) signalGroup('SIGKILL');
  while (isAlive(rec.pid)) await sleep(50);
  // The group's other members (a child that outlived its parent) go too.
  signalGroup('SIGKILL');
  fs.rmSync(path.join(dirs.pids, `${name}.json`), { force: true });
  return true;
}

/** Polls `check` until it resolves true; fails early, with the log, if the process exits. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; proc?: ProcessRecord; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (opts.proc && !isAlive(opts.proc.pid))
      throw new Error(
        `${what}: ${opts.proc.name} exited during start-up; ${opts.proc.logFile}:\n${logTail(opts.proc.logFile)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not ready after ${Math.round(opts.timeoutMs / 1000)} s${lastError ? ` (${lastError})` : ''}${opts.proc ? `; ${opts.proc.logFile}:\n${logTail(opts.proc.logFile)}` : ''}`,
      );
    await sleep(opts.intervalMs ?? 250);
  }
}
