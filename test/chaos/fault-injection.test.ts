// 100 concurrent jobs against a step that fails at TRAINYARD_FAULT_RATE (seeded): every job ends in
// the state its retry policy implies, none is left running, and the counts by status are reported.
import { WorkflowFailedError } from '@temporalio/client';
import type { JobSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import { startJobWorkflow } from '../../src/job-service/submission';
import { makeSnapshot, withWorkers } from '../helpers/job-harness';
import { startTestTemporal, uniqueId, workflowBundle, type TestTemporal } from '../helpers/temporal';
import { createFaultyStep, expectedOutcome, faultRateFromEnv, type FaultStats } from './fault-activity';

const JOBS = 100;
const SEED = Number(process.env.TRAINYARD_FAULT_SEED ?? 20240607);
// Off by default in the step itself; this test turns it on unless the caller chose a rate.
const RATE = faultRateFromEnv({ TRAINYARD_FAULT_RATE: process.env.TRAINYARD_FAULT_RATE ?? '0.3' });

/** A diamond (a → b, c → d) with maxAttempts 1, 2 or 3 depending on the job. */
function diamond(i: number): {
  spec: Omit<JobSpecInput, 'name'>;
  nodes: { id: string; dependsOn: string[]; maxAttempts: number }[];
} {
  const maxAttempts = 1 + (i % 3);
  const nodes = [
    { id: 'a', dependsOn: [] as string[] },
    { id: 'b', dependsOn: ['a'] },
    { id: 'c', dependsOn: ['a'] },
    { id: 'd', dependsOn: ['b', 'c'] },
  ].map((n) => ({ ...n, maxAttempts }));
  return {
    nodes,
    spec: {
      parallelism: 4,
      recoveryWindow: 0,
      nodes: nodes.map((n) => ({
        id: n.id,
        type: 'command' as const,
        dependsOn: n.dependsOn,
        config: { command: ['true'] },
        retry: { maxAttempts, initialInterval: 50, backoffCoefficient: 1, maxInterval: 50 },
      })),
    },
  };
}

describe('fault injection: 100 concurrent jobs', () => {
  let t: TestTemporal;
  beforeAll(async () => {
    t = await startTestTemporal();
  });
  afterAll(async () => {
    await t?.teardown();
  });

  it('when steps fail at a seeded rate, then every job ends as its retry policy implies and none is stuck', async () => {
    expect(RATE).toBeGreaterThan(0);
    const prefix = uniqueId('chaos-fault');
    const stats: FaultStats = { calls: 0, injected: 0 };
    const jobs = Array.from({ length: JOBS }, (_, i) => ({ id: uniqueId(`fault-${i}`), ...diamond(i) }));
    const outcomes = await withWorkers(
      t,
      await workflowBundle(),
      prefix,
      { command: createFaultyStep({ seed: SEED, rate: RATE, stats }) },
      async () => {
        const handles = await Promise.all(
          jobs.map((j) => startJobWorkflow(t.client, makeSnapshot(j.id, prefix, j.spec))),
        );
        const deadline = AbortSignal.timeout(240_000);
        return Promise.all(
          handles.map(async (h) => {
            try {
              const p = await Promise.race([
                h.result(),
                new Promise<never>((_, rej) =>
                  deadline.addEventListener('abort', () =>
                    rej(new Error(`job ${h.workflowId} still running after 240 s`)),
                  ),
                ),
              ]);
              return { status: 'completed', progress: p as JobProgress };
            } catch (err) {
              if (!(err instanceof WorkflowFailedError)) throw err;
              return { status: 'failed', progress: await h.query<JobProgress>('progress').catch(() => undefined) };
            }
          }),
        );
      },
    );

    const counts: Record<string, number> = {};
    const mismatches: string[] = [];
    const nodeCounts: Record<string, number> = {};
    jobs.forEach((j, k) => {
      const got = outcomes[k]!;
      counts[got.status] = (counts[got.status] ?? 0) + 1;
      const want = expectedOutcome(SEED, RATE, j.id, j.nodes);
      if (got.status !== want.job) mismatches.push(`${j.id}: job ${got.status}, expected ${want.job}`);
      for (const n of got.progress?.nodes ?? []) {
        nodeCounts[n.status] = (nodeCounts[n.status] ?? 0) + 1;
        if (n.status !== want.nodes[n.id])
          mismatches.push(`${j.id}/${n.id}: ${n.status}, expected ${want.nodes[n.id]}`);
      }
    });
    // Visibility agrees: nothing of this run is still open.
    const open = await t.client.workflow.count(`ExecutionStatus = "Running" AND WorkflowId STARTS_WITH "fault-"`);
    console.log(
      `fault injection: ${JOBS} jobs, rate ${RATE}, seed ${SEED}; ${stats.calls} step calls, ${stats.injected} injected faults\n` +
        `  jobs by status: ${JSON.stringify(counts)}\n  nodes by status: ${JSON.stringify(nodeCounts)}\n  still running: ${open.count}`,
    );
    expect(mismatches).toEqual([]);
    expect(open.count).toBe(0);
    expect(stats.injected).toBeGreaterThan(0);
    expect((counts.completed ?? 0) + (counts.failed ?? 0)).toBe(JOBS);
  });
});
