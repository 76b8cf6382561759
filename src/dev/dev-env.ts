// Development defaults applied by `npm start` and `npm run demo` before the config is parsed.
import { spawnSync } from 'node:child_process';

/** On a machine without NVIDIA GPUs, dev runs the GPU worker on a simulated 2×16 GB inventory. */
export function applyDevDefaults(env: NodeJS.ProcessEnv = process.env): string[] {
  const notes: string[] = [];
  if (!env.TRAINYARD_GPUS && !hasNvidiaSmi()) {
    env.TRAINYARD_GPUS = '2x16';
    notes.push('no NVIDIA GPU found: the GPU worker uses a SIMULATED inventory TRAINYARD_GPUS=2x16 (set TRAINYARD_GPUS to change)');
  }
  return notes;
}

function hasNvidiaSmi(): boolean {
  const r = spawnSync('nvidia-smi', ['-L'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}
