// The step sandbox for tests: the real one (bubblewrap), with the defaults a worker gets from an
// empty environment and whatever a test overrides. Test folders from mkdtemp are 0700; a root
// worker runs bwrap as uid 65534, which must be able to enter them (as an operator would set up).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStepSandbox, type StepSandbox } from '../../activities/sandbox';
import { unreachableBy } from '../../activities/sandbox/probe';
import { SAMPLES_DIR } from '../../src/storage/data-files';
import { inheritedStepEnv, loadConfig, type SandboxConfig } from '../../src/config';
import type { StepLimits } from '../../src/domain/step-limits';

export const REPO = path.resolve(__dirname, '..', '..');
export const STEP_KIT_DIR = path.join(REPO, 'clients', 'python');
export const SCRIPTS_DIR = path.join(REPO, 'examples', 'scripts');

/** chmod o+x on the folders under the system temp folder that keep uid 65534 out of `p`. */
export function makeReachable(p: string): void {
  for (;;) {
    const blocked = unreachableBy(p, 65534, 65534);
    if (!blocked || !blocked.startsWith(os.tmpdir() + path.sep)) return;
    fs.chmodSync(blocked, fs.statSync(blocked).mode | 0o711);
  }
}

export function testSandbox(o: {
  workDir: string;
  allowedCommands?: string[];
  mode?: 'bwrap' | 'off';
  network?: 'none' | 'host';
  limits?: Partial<StepLimits>;
  stepKitDir?: string;
  scriptsDir?: string;
  protectedRoots?: string[];
}): StepSandbox {
  const base: SandboxConfig = loadConfig({}).sandbox;
  fs.mkdirSync(o.workDir, { recursive: true });
  makeReachable(o.workDir);
  return createStepSandbox({
    config: {
      ...base,
      ...(o.mode && { mode: o.mode }),
      ...(o.network && { network: o.network }),
      limits: { defaults: { ...base.limits.defaults, ...o.limits }, max: base.limits.max },
    },
    allowedCommands: o.allowedCommands ?? ['node', 'python3'],
    workDir: o.workDir,
    stepKitDir: o.stepKitDir ?? STEP_KIT_DIR,
    scriptsDir: o.scriptsDir ?? SCRIPTS_DIR,
    sharedData: [SAMPLES_DIR],
    stepEnv: inheritedStepEnv(process.env),
    protectedRoots: o.protectedRoots ?? [],
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
}

/** Host pids of the processes whose command line contains `marker` (a step's pids are its own namespace's). */
export function pidsWith(marker: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8');
      // Not bwrap's own processes: their arguments hold the command too.
      if (cmd.includes(marker) && !cmd.startsWith('/usr/bin/bwrap') && !cmd.includes('prlimit')) out.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return out;
}
