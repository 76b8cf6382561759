// `npm run bench [-- --only NAME[,NAME…]] [--quick]`: runs the benchmarks one after another.
// Each prints a table and writes bench/results/<name>.json (a --quick run writes <name>.quick.json).
import './lib/zod-openapi-first';
import { overhead } from './overhead';
import type { BenchOptions } from './lib/report';

type Bench = (opts: BenchOptions) => Promise<Record<string, unknown>>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  overhead: async () => overhead,
  submission: async () => (await import('./submission')).submission,
  scale: async () => (await import('./scale')).scale,
  'status-reads': async () => (await import('./status-reads')).statusReads,
  ml: async () => (await import('./ml')).ml,
};

function parseArgs(argv: string[]): { only: string[]; quick: boolean } {
  let only: string[] = Object.keys(BENCHES);
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error('--only needs a benchmark name');
      only = v.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--quick] [--only ${Object.keys(BENCHES).join('|')}[,…]]`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const unknown = only.filter((n) => !(n in BENCHES));
  if (unknown.length) throw new Error(`unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  return { only, quick };
}

async function main(): Promise<void> {
  const { only, quick } = parseArgs(process.argv.slice(2));
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const failed: string[] = [];
  for (const name of only) {
    log(`── ${name}${quick ? ' (quick)' : ''}`);
    try {
      const fn = await BENCHES[name]!();
      await fn({ quick, log });
    } catch (err) {
      failed.push(name);
      console.error(`benchmark ${name} failed:`, err);
    }
  }
  if (failed.length) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
  // Native connections and the Temporal runtime may keep the loop alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
}

void main();
