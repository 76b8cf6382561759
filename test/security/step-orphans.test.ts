// Processes a step leaves behind (issue 10, "Leave processes behind"): after a SIGKILL of the
// worker, attempt 1's process kept running next to attempt 2. The sandbox's PID namespace dies
// with its first process, and bubblewrap dies with the worker (--die-with-parent): nothing of
// the step outlives a worker killed with SIGKILL. Completion and cancellation: step-sandbox and
// command-step tests. Without the sandbox (`off`), the step's setsid child survives here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeReachable, pidsWith, REPO } from '../helpers/sandbox';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-orphans-'));
makeReachable(root);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('when the worker is killed with SIGKILL, then no process of its running step is left', async () => {
  const marker = `holder${process.pid}x${Date.now()}`;
  const dashed = marker.replace(/x/, '-x-');
  const holder = spawn(
    'npx',
    ['tsx', path.join(REPO, 'test/fixtures/sandbox-holder.ts'), path.join(root, 'work'), dashed],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let started = false;
  holder.stdout!.on('data', (d: Buffer) => (started ||= d.toString().includes('started')));
  for (let i = 0; i < 300 && (!started || pidsWith(marker).length === 0); i++) await sleep(100);
  expect(pidsWith(marker)).toHaveLength(1);
  // npx → tsx → node: the worker is the node process that printed "started" (the one holding bwrap).
  const worker = fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .find((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return (
          stat.includes('sandbox-holder.ts') &&
          fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node' &&
          fs
            .readdirSync('/proc')
            .some((c) => /^\d+$/.test(c) && readPpid(Number(c)) === pid && readComm(Number(c)) === 'bwrap')
        );
      } catch {
        return false;
      }
    });
  expect(worker).toBeDefined();
  process.kill(worker!, 'SIGKILL');
  for (let i = 0; i < 50 && pidsWith(marker).length > 0; i++) await sleep(100);
  expect(pidsWith(marker)).toEqual([]);
  holder.kill('SIGKILL');
}, 60_000);

function readPpid(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
}
function readComm(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}
