// The hand-written TypeScript twins of bench/hop/go/main.go: a chain and a fan-out of no-op steps
// with the fewest activity options that still run them. They are the TS SDK's floor, next to the Go
// SDK's (same shapes, same payloads) and Trainyard's job workflow (bench/lib/hop-bench.ts).
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/** Mirrors HopInput in go/main.go: the JSON field names are the contract between the two. */
export interface HopInput {
  nodes: number;
  parallelism: number;
  activityQueue: string;
  /** Run each step as a local activity (no activity task, no matching round trip). */
  local?: boolean;
}

interface StepOutput {
  summary: Record<string, unknown>;
  artifacts: unknown[];
}
type Step = (upstream: Record<string, StepOutput>) => Promise<StepOutput>;

const local = proxyLocalActivities<{ hopNoop: Step }>({ startToCloseTimeout: '1 minute' });

function step(input: HopInput, upstream: Record<string, StepOutput>): Promise<StepOutput> {
  if (input.local) return local.hopNoop(upstream);
  const acts = proxyActivities<{ hopNoop: Step }>({
    taskQueue: input.activityQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { maximumAttempts: 1 },
  });
  return acts.hopNoop(upstream);
}

export async function hopChain(input: HopInput): Promise<number> {
  let prev: Record<string, StepOutput> = {};
  for (let i = 0; i < input.nodes; i++) prev = { [`n${i}`]: await step(input, prev) };
  return input.nodes;
}

export async function hopFanOut(input: HopInput): Promise<number> {
  const root = await step(input, {});
  let next = 1;
  const lanes = Array.from({ length: Math.min(input.parallelism, input.nodes - 1) }, async () => {
    while (next < input.nodes) {
      next++;
      await step(input, { n0: root });
    }
  });
  await Promise.all(lanes);
  return input.nodes;
}

/** One step, for throughput runs (many single-step workflows). */
export async function hopOne(input: HopInput): Promise<number> {
  await step(input, {});
  return 1;
}
