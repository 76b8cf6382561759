// The startup probe: bubblewrap is there, can build this worker's sandbox (the whole read-only
// view, a writable folder under the work root) and run a command in it under prlimit. A worker
// whose probe fails refuses to start (unless TRAINYARD_SANDBOX=off).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bwrapArgs, SANDBOX_GID, SANDBOX_UID, type SandboxView } from './bwrap-args';

export const PRLIMIT = '/usr/bin/prlimit';

/**
 * The first folder on the way to `p` that the sandbox's user cannot enter (bwrap runs as that
 * user on a root worker, and must reach every folder it mounts). Undefined when all can be.
 */
export function unreachableBy(p: string, uid: number, gid: number): string | undefined {
  let cur = path.resolve(p);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const dir of chain) {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (!st) return undefined; // created later, by the worker
    const bits = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if (st.isDirectory() && (st.mode & bits) === 0) return dir;
  }
  return undefined;
}

export type ProbeResult = { ok: true } | { ok: false; reason: string };

export function probeSandbox(o: {
  bwrap: string;
  view: Omit<SandboxView, 'writable' | 'cwd' | 'devices' | 'network' | 'tmpBytes'>;
  workDir: string;
  runAs?: { uid: number; gid: number };
}): ProbeResult {
  try {
    fs.accessSync(o.bwrap, fs.constants.X_OK);
  } catch {
    return { ok: false, reason: `${o.bwrap} is not installed (TRAINYARD_BWRAP)` };
  }
  try {
    fs.accessSync(PRLIMIT, fs.constants.X_OK);
  } catch {
    return {
      ok: false,
      reason: `${PRLIMIT} (util-linux) is not installed; the sandbox sets each step's limits with it`,
    };
  }
  if (o.runAs)
    for (const p of [...o.view.readOnly, o.workDir]) {
      const blocked = unreachableBy(p, SANDBOX_UID, SANDBOX_GID);
      if (blocked)
        return {
          ok: false,
          reason: `uid ${SANDBOX_UID} (the sandbox's user) cannot reach ${p}: ${blocked} is not searchable by it (mode ${(fs.statSync(blocked).mode & 0o777).toString(8)}); make it searchable (chmod o+x ${blocked}) or move the folder`,
        };
    }
  // A folder of this probe's own: workers sharing a work folder (old and new build side by side
  // during a rolling upgrade) probe at the same time, and one would remove the other's.
  fs.mkdirSync(o.workDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(o.workDir, '.trainyard-sandbox-probe-'));
  try {
    if (o.runAs) fs.chownSync(dir, SANDBOX_UID, SANDBOX_GID);
    const args = bwrapArgs({
      ...o.view,
      writable: [dir],
      devices: [],
      network: 'none',
      tmpBytes: 16 * 1024 * 1024,
      cwd: dir,
    });
    const r = spawnSync(
      o.bwrap,
      [...args, PRLIMIT, '--nproc=64', '--', '/bin/sh', '-c', 'echo ok > probe && test "$(id -u)" = 65534'],
      {
        env: { PATH: '/usr/bin:/bin' },
        timeout: 20_000,
        encoding: 'utf8',
        ...(o.runAs && { uid: o.runAs.uid, gid: o.runAs.gid }),
      },
    );
    if (r.error) return { ok: false, reason: `${o.bwrap} could not run: ${r.error.message}` };
    if (r.status !== 0)
      return {
        ok: false,
        reason: `${o.bwrap} failed its probe (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(0, 500) || 'no output'}`,
      };
    if (fs.readFileSync(path.join(dir, 'probe'), 'utf8').trim() !== 'ok')
      return { ok: false, reason: 'the probe could not write its folder' };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `the probe failed: ${(err as Error).message}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
