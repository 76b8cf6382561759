// A test-only step for the fault & abuse suite: registered under a node-type name (`command`) in
// the test worker, it fails at the rate TRAINYARD_FAULT_RATE (0 — off — unless set). Whether a call
// fails is a seeded PRNG draw keyed by (seed, job, node, attempt), so the expected outcome of every
// job can be computed from its retry policy, whatever order the calls run in.
import { activityInfo } from '@temporalio/activity';
import type { StepInput, StepOutput } from '../../src/domain/step-io';

export function faultRateFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.TRAINYARD_FAULT_RATE;
  if (raw === undefined || raw === '') return 0;
  const rate = Number(raw);
  if (!Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new Error(`TRAINYARD_FAULT_RATE must be a number in [0, 1], got ${JSON.stringify(raw)}`);
  return rate;
}

/** FNV-1a, 32 bit. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small seeded PRNG; one draw in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shouldFail(seed: number, jobId: string, nodeId: string, attempt: number, rate: number): boolean {
  if (rate <= 0) return false;
  return mulberry32(hash(`${seed}|${jobId}|${nodeId}|${attempt}`))() < rate;
}

export interface FaultStats {
  calls: number;
  injected: number;
}

export function createFaultyStep(opts: { seed: number; rate: number; stats?: FaultStats }) {
  return async function command(input: StepInput): Promise<StepOutput> {
    const { attempt } = activityInfo();
    if (opts.stats) opts.stats.calls++;
    if (shouldFail(opts.seed, input.jobId, input.nodeId, attempt, opts.rate)) {
      if (opts.stats) opts.stats.injected++;
      throw new Error(`injected fault (node ${input.nodeId}, attempt ${attempt})`);
    }
    return { summary: { attempt }, artifacts: [] };
  };
}

/** What the retry policy implies: a node fails when every one of its attempts draws a fault. */
export function expectedOutcome(
  seed: number,
  rate: number,
  jobId: string,
  nodes: { id: string; dependsOn: string[]; maxAttempts: number }[],
): { job: 'completed' | 'failed'; nodes: Record<string, 'completed' | 'failed' | 'skipped'> } {
  const status: Record<string, 'completed' | 'failed' | 'skipped'> = {};
  for (const n of nodes) {
    // Topological order is the array order in the test's specs.
    if (n.dependsOn.some((d) => status[d] !== 'completed')) {
      status[n.id] = 'skipped';
      continue;
    }
    let failedAll = true;
    for (let a = 1; a <= n.maxAttempts; a++) {
      if (!shouldFail(seed, jobId, n.id, a, rate)) {
        failedAll = false;
        break;
      }
    }
    status[n.id] = failedAll ? 'failed' : 'completed';
  }
  return { job: Object.values(status).every((s) => s === 'completed') ? 'completed' : 'failed', nodes: status };
}
