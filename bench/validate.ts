// 7) Validation of large DAGs, in-process: validateJob (schema, references, cycles, plan checks)
// on a chain of N nodes, the worst shape for a recursive walk. Was a timed unit test ("a
// 10,000-node chain validates in < 5 s"); a figure that depends on the machine's load is a
// benchmark, not a test (test/unit/validate.test.ts keeps the 10,000-node cycle case, untimed).
import type { NodeSpecInput } from '../src/domain/job-spec';
import { planJob } from '../src/domain/plan';
import { validateJob, type ValidationContext } from '../src/domain/validate';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fmtSpread, nowMs, round, spread } from './lib/stats';

const CTX: ValidationContext = {
  allowedCommands: ['node'],
  pools: [{ name: 'default', gpusPerWorker: 2, memoryGb: 16 }],
};

function chainOf(n: number): NodeSpecInput[] {
  const nodes: NodeSpecInput[] = [{ id: 'n0', type: 'dataset', config: { name: 'iris' } }];
  for (let i = 1; i < n; i++)
    nodes.push({ id: `n${i}`, type: 'command', config: { command: ['node'] }, dependsOn: [`n${i - 1}`] });
  return nodes;
}

export async function validate(opts: BenchOptions): Promise<Record<string, unknown>> {
  const sizes = opts.quick ? [1_000, 10_000] : [1_000, 10_000, 50_000];
  const repeats = opts.quick ? 3 : 7;
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const spec = { name: `chain-${n}`, nodes: chainOf(n) };
    const ms: number[] = [];
    const planMs: number[] = [];
    const totalMs: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = nowMs();
      const r = validateJob(spec, CTX);
      const t1 = nowMs();
      if (!r.ok) throw new Error(`chain of ${n} did not validate: ${JSON.stringify(r.errors.slice(0, 3))}`);
      planJob(r.spec, { queuePrefix: 'bench', pools: {} });
      const t2 = nowMs();
      ms.push(t1 - t0);
      planMs.push(t2 - t1);
      totalMs.push(t2 - t0);
    }
    const s = spread(ms);
    const p = spread(planMs);
    const tot = spread(totalMs);
    rows.push([n, fmtSpread(s, 1), round((s.median / n) * 1000, 2), fmtSpread(p, 1), fmtSpread(tot, 1)]);
    results.push({ nodes: n, repeats, ms: s, usPerNode: round((s.median / n) * 1000, 2), planMs: p, totalMs: tot });
    opts.log(`validate: chain of ${n}: ${fmtSpread(s, 1)} ms, plan ${fmtSpread(p, 1)} ms`);
  }
  const largest = results[results.length - 1]!;
  const largestTotal = (largest.totalMs as ReturnType<typeof spread>).median;
  const target = {
    rule: `validation + plan of a ${largest.nodes as number}-node spec ≤ 2 s`,
    ms: round(largestTotal, 0),
    met: largestTotal <= 2000,
  };
  printTable(
    `validateJob + planJob on a chain (ms: median (min–max)) — target ${target.met ? 'met' : 'MISSED'} (${target.ms} ms)`,
    ['nodes', 'validate ms', 'µs / node', 'plan ms', 'validate + plan ms'],
    rows,
  );
  const result = { results, target };
  writeResult('validate', result, opts.quick);
  return result;
}
