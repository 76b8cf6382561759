// 7) Validation of large DAGs, in-process: validateJob (schema, references, cycles, plan checks)
// on a chain of N nodes, the worst shape for a recursive walk. Was a timed unit test ("a
// 10,000-node chain validates in < 5 s"); a figure that depends on the machine's load is a
// benchmark, not a test (test/unit/validate.test.ts keeps the 10,000-node cycle case, untimed).
// Then the same validation inside the SDK's workflow sandbox, where the job workflow runs it, from
// Trainyard's bundle and from one without the bound built-ins (workers/workflow-intrinsics.ts).
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { trainyardBundleHook, WORKFLOW_BUNDLE_EXTRAS } from '../workers/workflow-bundle';
import type { NodeSpecInput } from '../src/domain/job-spec';
import { quietLogger } from '../test/helpers/temporal';
import { startDevTarget } from './lib/hop-bench';
import { taskLatencies } from './lib/hop-history';
import { fanOut, specOf } from './lib/specs';
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
  const sandbox = await inSandbox(opts);
  const result = { results, target, sandbox };
  writeResult('validate', result, opts.quick);
  return result;
}

/**
 * validateJob of the hop bench's 1,000-node fan-out spec inside a workflow, `times` per workflow
 * task (timed by the history: WorkflowTaskStarted → Completed), with the bundle as production
 * builds it and without the bound built-ins; bundles alternate, one worker thread each.
 */
async function inSandbox(opts: BenchOptions): Promise<Record<string, unknown>> {
  const spec = specOf(fanOut(1000), 100);
  const times = opts.quick ? 5 : 20;
  const reps = opts.quick ? 2 : 5;
  const target = await startDevTarget({ label: 'validate in the sandbox' });
  const perRun: Record<'bound' | 'unbound', number[]> = { bound: [], unbound: [] };
  const workers: { label: 'bound' | 'unbound'; taskQueue: string; worker: Worker; running: Promise<void> }[] = [];
  try {
    for (const [label, intrinsics] of [
      ['bound', true],
      ['unbound', false],
    ] as const) {
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve('./validate-workflow'),
        ...WORKFLOW_BUNDLE_EXTRAS,
        webpackConfigHook: trainyardBundleHook({ intrinsics }),
        logger: quietLogger,
      });
      const taskQueue = `validate-sandbox-${label}-${process.pid}`;
      const worker = await Worker.create({
        connection: target.native,
        namespace: target.namespace,
        taskQueue,
        workflowBundle: { code },
        workflowThreadPoolSize: 1,
      });
      workers.push({ label, taskQueue, worker, running: worker.run() });
    }
    const taskMs = async (taskQueue: string, n: number): Promise<number> => {
      const h = await target.client.workflow.start('validateInSandbox', {
        taskQueue,
        workflowId: `${taskQueue}-${Math.random().toString(36).slice(2)}`,
        args: [spec, n],
      });
      if ((await h.result()) !== n) throw new Error('the sandbox probe found the spec invalid');
      const [ms] = taskLatencies([(await h.fetchHistory()).events ?? []]).wftRun;
      if (ms === undefined) throw new Error('the sandbox probe ran no workflow task');
      return ms;
    };
    for (const w of workers) await taskMs(w.taskQueue, times); // warm-up: schemas built, code compiled
    for (let r = 0; r < reps; r++)
      for (const w of r % 2 ? [...workers].reverse() : workers) {
        const ms = (await taskMs(w.taskQueue, times)) / times;
        perRun[w.label].push(ms);
        opts.log(`validate: in the sandbox, ${w.label}: ${ms.toFixed(2)} ms (rep ${r + 1}/${reps})`);
      }
  } finally {
    for (const w of workers) w.worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
    await target.close();
  }
  const bound = spread(perRun.bound);
  const unbound = spread(perRun.unbound);
  const ratio = spread(perRun.bound.map((b, i) => b / perRun.unbound[i]!));
  printTable(
    `validateJob of a 1,000-node fan-out inside the workflow sandbox (ms each, median (min–max) of ${reps}, ${times} per workflow task)`,
    ['bundle', 'ms', 'bound / unbound'],
    [
      ["Trainyard's (built-ins bound)", fmtSpread(bound, 2), fmtSpread(ratio, 3)],
      ['without the bound built-ins', fmtSpread(unbound, 2), ''],
    ],
  );
  return { nodes: 1000, times, reps, boundMs: bound, unboundMs: unbound, ratio };
}
