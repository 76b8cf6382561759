// Hand-written baseline workflows: the same no-op activity, the same activity options and the same
// dependency structure as the job workflow's DAG, but with no interpreter in between. Bundled on
// their own (bench/lib/temporal.ts) so the comparison isolates what the DAG layer adds.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import type { StepInput, StepOutput } from '../src/domain/step-io';

const acts = proxyActivities<{ command(input: StepInput): Promise<StepOutput> }>({ startToCloseTimeout: '30 minutes' });

export interface BaselineInput {
  jobId: string;
  taskQueue: string;
  nodes: number;
  /** Max activities in flight (fan-out). */
  parallelism: number;
  /** Lattice only. */
  rows?: number;
  cols?: number;
}

/** What the job workflow passes per node, minus its bookkeeping. */
function options(node: string, taskQueue: string): ActivityOptions {
  return {
    activityId: `${node}#1`,
    taskQueue,
    startToCloseTimeout: 30 * 60_000,
    heartbeatTimeout: 60_000,
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: {
      maximumAttempts: 1,
      initialInterval: 1000,
      backoffCoefficient: 2,
      maximumInterval: 60_000,
      nonRetryableErrorTypes: [FAILURE_TYPES.InvalidInput],
    },
    priority: { priorityKey: 3 },
  };
}

function call(input: BaselineInput, node: string, upstream: Record<string, StepOutput>): Promise<StepOutput> {
  const step: StepInput = {
    jobId: input.jobId,
    nodeId: node,
    nodeType: 'command',
    config: { command: ['node', '--version'] },
    upstream,
    outputDir: `runs/${input.jobId}`,
    resources: { gpus: 0, gpuMemoryGb: 0 },
    priority: 3,
  };
  return acts.command.executeWithOptions(options(node, input.taskQueue), [step]);
}

export async function baselineChain(input: BaselineInput): Promise<number> {
  let prev: Record<string, StepOutput> = {};
  for (let i = 0; i < input.nodes; i++) {
    const out = await call(input, `n${i}`, prev);
    prev = { [`n${i}`]: out };
  }
  return input.nodes;
}

export async function baselineFanOut(input: BaselineInput): Promise<number> {
  const root = await call(input, 'n0', {});
  let next = 1;
  const lanes = Array.from({ length: Math.min(input.parallelism, input.nodes - 1) }, async () => {
    while (next < input.nodes) {
      const i = next++;
      await call(input, `n${i}`, { n0: root });
    }
  });
  await Promise.all(lanes);
  return input.nodes;
}

export async function baselineLattice(input: BaselineInput): Promise<number> {
  const rows = input.rows ?? 20;
  const cols = input.cols ?? 20;
  const done = new Map<string, Promise<StepOutput>>();
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const id = `n${r}-${c}`;
      const deps = [...(r ? [`n${r - 1}-${c}`] : []), ...(c ? [`n${r}-${c - 1}`] : [])];
      done.set(
        id,
        Promise.all(deps.map((d) => done.get(d)!)).then((outs) =>
          call(input, id, Object.fromEntries(deps.map((d, k) => [d, outs[k]!]))),
        ),
      );
    }
  await Promise.all(done.values());
  return rows * cols;
}
