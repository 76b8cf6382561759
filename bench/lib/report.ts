// Prints a benchmark's table and writes its JSON result to bench/results/<name>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Table from 'cli-table3';

export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

export interface BenchOptions {
  /** Smaller sizes and fewer repeats (a smoke run while others use the machine). */
  quick: boolean;
  log: (line: string) => void;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function printTable(title: string, head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) t.push(r.map((c) => (typeof c === 'number' ? String(c) : c)));
  const text = `\n${title}\n${t.toString()}`;
  console.log(text);
  return text;
}

export function writeResult(name: string, result: Record<string, unknown>, quick: boolean): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  // A quick run never overwrites the committed full-run figures.
  const file = path.join(RESULTS_DIR, quick ? `${name}.quick.json` : `${name}.json`);
  const body = { benchmark: name, quick, finishedAt: new Date().toISOString(), machine: machine(), ...result };
  fs.writeFileSync(file, JSON.stringify(body, null, 2) + '\n');
  return file;
}
