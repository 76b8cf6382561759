// `npm run bench [-- --only NAME[,NAME…]] [--quick]`: runs the benchmarks one after another, each in
// its own child process (a fresh Temporal runtime, clean RSS figures, no state shared between them).
// Each prints a table and writes bench/results/<name>.json (a --quick run writes <name>.quick.json).
import { spawn } from 'node:child_process';
import type { BenchOptions } from './lib/report';

type Bench = (opts: BenchOptions) => Promise<Record<string, unknown>>;

/**
 * Run only when named with --only: long studies, not figures the README quotes each run, `hop-prod`,
 * which needs `npm run prod:local` up, and `peers`, which needs the venvs of bench/peers/install.sh.
 */
const OPT_IN = new Set(['hop-sweep', 'hop-prod', 'peers']);

const BENCHES: Record<string, () => Promise<Bench>> = {
  hop: async () => (await import('./hop')).hop,
  submission: async () => (await import('./submission')).submission,
  credits: async () => (await import('./credits')).credits,
  'fair-share': async () => (await import('./fair-share')).fairShare,
  scale: async () => (await import('./scale')).scale,
  'status-reads': async () => (await import('./status-reads')).statusReads,
  ml: async () => (await import('./ml')).ml,
  'hop-sweep': async () => (await import('./hop-sweep')).hopSweep,
  'hop-prod': async () => (await import('./hop-prod')).hopProd,
  validate: async () => (await import('./validate')).validate,
  dashboard: async () => (await import('./dashboard')).dashboard,
  storage: async () => (await import('./storage')).storage,
  'ml-storage': async () => (await import('./ml-storage')).mlStorage,
  throughput: async () => (await import('./throughput')).throughput,
  'sweep-gpu': async () => (await import('./sweep-gpu')).sweepGpu,
  cache: async () => (await import('./cache')).cache,
  'foreach-scale': async () => (await import('./foreach-scale')).foreachScale,
  peers: async () => (await import('./peers')).peers,
};

interface Args {
  only: string[];
  quick: boolean;
  child?: string;
}

function parseArgs(argv: string[]): Args {
  let only: string[] = Object.keys(BENCHES).filter((n) => !OPT_IN.has(n));
  let quick = false;
  let child: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--child') child = argv[++i];
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error('--only needs a benchmark name');
      only = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--only ${Object.keys(BENCHES).join('|')}[,…]]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const unknown = [...only, ...(child ? [child] : [])].filter((n) => !(n in BENCHES));
  if (unknown.length)
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  return { only, quick, child };
}

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function runChild(name: string, quick: boolean): Promise<void> {
  const fn = await BENCHES[name]!();
  await fn({ quick, log });
}

function spawnChild(name: string, quick: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, '--expose-gc', __filename, '--child', name, ...(quick ? ['--quick'] : [])],
      { stdio: 'inherit' },
    );
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) {
    try {
      await runChild(args.child, args.quick);
      process.exit(0);
    } catch (err) {
      console.error(`benchmark ${args.child} failed:`, err);
      process.exit(1);
    }
  }
  const failed: string[] = [];
  for (const name of args.only) {
    log(`── ${name}${args.quick ? ' (quick)' : ''}`);
    if ((await spawnChild(name, args.quick)) !== 0) failed.push(name);
  }
  if (failed.length) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exit(1);
  }
}

void main();
