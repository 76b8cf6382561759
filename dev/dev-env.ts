// The dev entries' config edge: defaults `npm start` and `npm run demo` apply before the config is
// parsed, and the demo's own settings.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { clientOptionsFromEnv } from '../src/sdk/env';

export interface DemoSettings {
  /** The job file the demo submits: TRAINYARD_DEMO_EXAMPLE, a file in examples/ (default pipeline.yaml). */
  example: string;
  /** TRAINYARD_API_KEY, when set (else the running stack's dev key). */
  apiKey?: string;
}

export function demoSettings(env: Record<string, string | undefined> = process.env): DemoSettings {
  const examples = path.resolve(__dirname, '..', 'examples');
  const example = path.resolve(examples, env.TRAINYARD_DEMO_EXAMPLE || 'pipeline.yaml');
  if (!example.startsWith(examples + path.sep))
    throw new Error(`TRAINYARD_DEMO_EXAMPLE: "${env.TRAINYARD_DEMO_EXAMPLE}" is not a file in examples/`);
  return { example, apiKey: clientOptionsFromEnv(env).apiKey };
}

/**
 * On a machine without NVIDIA GPUs, dev runs the GPU worker on a simulated 2×16 GB inventory.
 * Credits are on unless TRAINYARD_CREDITS says otherwise (the dev key's owner gets a starting balance).
 */
export function applyDevDefaults(env: NodeJS.ProcessEnv = process.env): string[] {
  const notes: string[] = [];
  // The console is for people here: the API's per-request log lines only at TRAINYARD_LOG_LEVEL=info or below.
  env.TRAINYARD_LOG_LEVEL ||= 'warn';
  if (!env.TRAINYARD_GPUS && !hasNvidiaSmi()) {
    env.TRAINYARD_GPUS = '2x16';
    notes.push(
      'no NVIDIA GPU found: the GPU worker uses a SIMULATED inventory TRAINYARD_GPUS=2x16 (set TRAINYARD_GPUS to change)',
    );
  }
  if (!env.TRAINYARD_CREDITS) {
    env.TRAINYARD_CREDITS = 'on';
    notes.push('credits are on (TRAINYARD_CREDITS=on; set TRAINYARD_CREDITS=off to charge nothing)');
  }
  return notes;
}

function hasNvidiaSmi(): boolean {
  const r = spawnSync('nvidia-smi', ['-L'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}
