// Trainyard's production roles as separate processes for tests (`node --import tsx <entry>`, as
// docker-compose runs them), each in its own process group and with its own private home and
// temp folder, so the only things they share are what the environment gives them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './temporal';

const REPO = path.resolve(__dirname, '..', '..');

export interface RoleProcess {
  name: string;
  proc: ChildProcess;
  /** The process's pid (it is the role itself: no launcher in between). */
  pid: number;
  /** Its private home (TRAINYARD_HOME = HOME; TMPDIR under it). */
  home: string;
  output: string[];
  /** Resolves with the exit code or signal once it has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
}

export class RoleProcesses {
  readonly all: RoleProcess[] = [];

  /** Starts `entry` (relative to the repo) and waits until a line matches `ready`. */
  async start(
    name: string,
    entry: string,
    env: Record<string, string>,
    ready: RegExp,
    opts: { timeoutMs?: number } = {},
  ): Promise<RoleProcess> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), `trainyard-${name}-`));
    // Searchable (not listable) by others: a root worker's step sandbox runs bwrap as uid 65534.
    fs.chmodSync(home, 0o711);
    fs.mkdirSync(path.join(home, 'tmp'));
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, entry)], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        TMPDIR: path.join(home, 'tmp'),
        TRAINYARD_HOME: home,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const output: string[] = [];
    const onData = (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean));
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
      proc.once('exit', (code, signal) => resolve(code ?? signal)),
    );
    const r: RoleProcess = { name, proc, pid: proc.pid!, home, output, exited };
    this.all.push(r);
    await waitFor(
      () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`${name} exited during start-up:\n${output.slice(-30).join('\n')}`);
        return output.some((l) => ready.test(l));
      },
      { timeoutMs: opts.timeoutMs ?? 180_000, what: `${name} to start`, intervalMs: 200 },
    );
    return r;
  }

  /** SIGKILLs every process group started here and removes their homes. */
  async stopAll(): Promise<void> {
    for (const r of this.all) {
      try {
        process.kill(-r.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await Promise.all(
      this.all.map(async (r) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([r.exited, new Promise((res) => (timer = setTimeout(res, 5000)))]);
        clearTimeout(timer);
      }),
    );
    if (!process.env.TRAINYARD_KEEP_TEST_TMP)
      for (const r of this.all) fs.rmSync(r.home, { recursive: true, force: true });
  }
}
