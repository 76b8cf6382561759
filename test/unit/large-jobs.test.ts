// 50,000-node jobs: the compact plan a workflow started by reference loads (round trip, chunks,
// rejection of a bad plan), and node states carried as columns across continue-as-new.
import { JobSpec, type JobSpecInput } from '../../src/domain/job-spec';
import { PLAN_CHUNK_CHARS, chunkText, compactPlan, expandPlan } from '../../src/domain/job-plan-chunks';
import type { StepOutput } from '../../src/domain/step-io';
import { COLUMNS_ABOVE_NODES, CarriedNodes, JobState } from '../../workflows/job-state';

function layered(n: number, width = 100): JobSpecInput {
  return {
    name: `layered-${n}`,
    parallelism: 100,
    nodes: Array.from({ length: n }, (_, i) => {
      const l = Math.floor(i / width);
      const j = i % width;
      return {
        id: `n${i}`,
        type: 'command' as const,
        ...(l > 0 && { dependsOn: [`n${(l - 1) * width + j}`, `n${(l - 1) * width + ((j + 1) % width)}`] }),
        config: { command: ['true'] },
        // A few nodes of another shape: their own body.
        ...(i % 1000 === 7 && { retry: { maxAttempts: 5 }, params: { shard: i } }),
      };
    }),
  };
}

const out = (i: number): StepOutput => ({
  summary: { i },
  artifacts: [],
  meta: { attempt: 1, startedAt: 'x', finishedAt: 'y', worker: 'w' },
});

describe('compact plan', () => {
  test('when a 12,000-node spec is compacted and expanded, then it is the parsed spec, in chunks far smaller than the spec', () => {
    const spec = JobSpec.parse(layered(12_000));
    const pools = { n7: 'default' };
    const plan = compactPlan(spec, pools);
    expect(plan.bodies.length).toBe(1 + 12); // the common shape + one per node with params
    const text = JSON.stringify(plan);
    expect(text.length).toBeLessThan(JSON.stringify(layered(12_000)).length / 3);
    const chunks = chunkText(text);
    expect(chunks.length).toBe(Math.ceil(text.length / PLAN_CHUNK_CHARS));
    expect(chunks.every((c) => c.length <= PLAN_CHUNK_CHARS)).toBe(true);
    const back = expandPlan(chunks.join(''));
    expect(back.pools).toEqual(pools);
    expect(back.spec).toEqual(spec); // key order aside, the same spec
  });

  test('when a plan names a dependency or body that is not there, then expanding it says which node', () => {
    const plan = compactPlan(JobSpec.parse(layered(3)), {});
    const bad = { ...plan, nodes: [...plan.nodes.slice(0, 2), ['n2', 0, 9]] };
    expect(() => expandPlan(JSON.stringify(bad))).toThrow('plan: node n2 depends on node 9, which is not there');
    const noBody = { ...plan, nodes: [['n0', 4]] };
    expect(() => expandPlan(JSON.stringify(noBody))).toThrow('plan: node n0 names body 4');
    const badId = { ...plan, nodes: [['N 0', 0]] };
    expect(() => expandPlan(JSON.stringify(badId))).toThrow('plan: node 0 has no valid id');
  });
});

describe('carried columns', () => {
  test('when a 12,000-node job continues as new half done, then its node states go as columns, restore exactly, and fit the payload limit', () => {
    const n = 12_000;
    expect(n).toBeGreaterThan(COLUMNS_ABOVE_NODES);
    const spec = JobSpec.parse(layered(n));
    const s = new JobState(spec, () => 'q');
    s.rebuildReady();
    let t = 1_000;
    for (let k = 0; k < n / 2; k++) {
      const i = s.takeReady()!;
      s.markStarted(i, (t += k % 3));
      s.addUsage(i, { runningMs: 3 + (k % 5), gpuWaitMs: 0, gpuSeconds: 0 });
      s.markCompleted(i, out(i), t + 4);
    }
    // One failed node with a retry count, and one running (carried as pending).
    const f = s.takeReady()!;
    s.markStarted(f, t + 10);
    s.markFailed(f, { message: 'boom' }, 3, t + 20);
    const r0 = s.takeReady()!;
    s.markStarted(r0, t + 30);

    const json = JSON.stringify(s.carry(1_000, 256 * 1024));
    // ~12 bytes a node, where rows took ~64.
    expect(json.length).toBeLessThan(n * 20 + 256 * 1024);
    const carried = CarriedNodes.parse(JSON.parse(json));
    expect(carried.nodes).toBeUndefined();
    expect(carried.columns?.n).toBe(n);

    const r = new JobState(spec, () => 'q');
    r.restore(carried, 1_000);
    r.rebuildReady();
    for (const i of [0, 1, 4_999, n / 2 - 1, f, r0, n - 1]) {
      const a = s.node(i);
      const b = r.node(i);
      expect({ ...b, status: b.status, output: undefined, waiting: undefined }).toEqual({
        ...a,
        status: a.status === 'running' ? 'pending' : a.status,
        output: undefined,
        waiting: undefined,
        ...(a.status === 'running' && { startedAtMs: a.startedAtMs }),
      });
    }
    expect(r.counts.completed).toBe(n / 2);
    expect(r.counts.failed).toBe(1);
    expect(r.node(f).attempts).toBe(3);
  });
});
