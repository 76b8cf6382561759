// The workflow's pure DAG state: dependency counters, skipping, recovery sets, carry/restore.
import { JobSpec, type JobSpecInput } from '../../src/domain/job-spec';
import type { StepOutput } from '../../src/domain/step-io';
import { CarriedNodes, JobState } from '../../workflows/job-state';

const out = (id: string): StepOutput => ({
  summary: { id },
  artifacts: [],
  meta: { attempt: 1, startedAt: 'x', finishedAt: 'y', worker: 'w' },
});

function stateOf(nodes: [string, string[]][]): JobState {
  const input: JobSpecInput = {
    name: 'j',
    nodes: nodes.map(([id, dependsOn]) => ({ id, type: 'command', dependsOn, config: { command: ['true'] } })),
  };
  const s = new JobState(JobSpec.parse(input), () => 'q');
  s.rebuildReady();
  return s;
}

/** Runs every ready node to completion (failing the ids in `fail`), returning the start order. */
function drain(s: JobState, fail: string[] = []): string[] {
  const order: string[] = [];
  for (let i = s.takeReady(); i !== undefined; i = s.takeReady()) {
    const id = s.node(i).spec.id;
    order.push(id);
    s.markStarted(i, 1);
    if (fail.includes(id)) {
      s.markFailed(i, { message: 'boom' }, 2, 2);
      s.skipDescendants(i);
    } else s.markCompleted(i, out(id), 2);
  }
  return order;
}

const diamondPlus: [string, string[]][] = [
  ['a', []],
  ['b', ['a']],
  ['c', ['a']],
  ['d', ['b', 'c']],
  ['e', ['d']],
  ['x', ['a']],
];

describe('JobState', () => {
  test('when nodes complete, then each starts only after all its dependencies', () => {
    const s = stateOf(diamondPlus);
    const order = drain(s);
    expect(order).toEqual(['a', 'b', 'c', 'x', 'd', 'e']);
    expect(s.allCompleted()).toBe(true);
    expect(s.counts.completed).toBe(6);
  });

  test('when a node fails, then its descendants are skipped and independent nodes still run', () => {
    const s = stateOf(diamondPlus);
    drain(s, ['b']);
    expect(s.nodes.map((n) => `${n.spec.id}:${n.status}`)).toEqual([
      'a:completed',
      'b:failed',
      'c:completed',
      'd:skipped',
      'e:skipped',
      'x:completed',
    ]);
    expect(s.counts).toMatchObject({ completed: 3, failed: 1, skipped: 2, pending: 0 });
  });

  test('when recovering without fromNode, then exactly failed and skipped nodes rerun and completed outputs stay', () => {
    const s = stateOf(diamondPlus);
    drain(s, ['b']);
    const set = s.recoverySet();
    expect(set.map((i) => s.node(i).spec.id)).toEqual(['b', 'd', 'e']);
    s.reset(set);
    expect(drain(s)).toEqual(['b', 'd', 'e']);
    expect(s.node(2).output?.summary).toEqual({ id: 'c' });
    expect(s.allCompleted()).toBe(true);
  });

  test('when recovering from a node, then it and everything downstream rerun', () => {
    const s = stateOf(diamondPlus);
    drain(s);
    const set = s.recoverySet('c');
    expect(set.map((i) => s.node(i).spec.id)).toEqual(['c', 'd', 'e']);
    s.reset(set);
    expect(drain(s)).toEqual(['c', 'd', 'e']);
  });

  test('when a recovered node depends on a failed node outside the set, then it is skipped, not left pending', () => {
    const s = stateOf(diamondPlus);
    drain(s, ['b']);
    s.reset(s.recoverySet('d'));
    expect(drain(s)).toEqual([]);
    expect(s.node(3).status).toBe('skipped');
    expect(s.node(4).status).toBe('skipped');
  });

  test('when paused nodes are requeued, then they run first', () => {
    const s = stateOf([
      ['a', []],
      ['b', []],
      ['c', ['a', 'b']],
    ]);
    const a = s.takeReady()!;
    s.markStarted(a, 1);
    s.markPaused(a, { name: 'ck', uri: 'u', path: 'p', sha256: '0', size: 3, mediaType: 'm' }, 2);
    expect(s.requeuePaused()).toBe(1);
    expect(s.node(s.takeReady()!).spec.id).toBe('a');
    expect(s.node(0).checkpoint?.size).toBe(3);
  });

  test('when a node waits for a GPU lease, then it is queued with the reason; withdrawn, it is pending and ready first', () => {
    const s = stateOf([
      ['a', []],
      ['b', []],
    ]);
    const a = s.takeReady()!;
    s.markStarted(a, 1);
    s.markWaiting(a, { reason: 'quota', pool: 'default', gpus: 1, held: 1, limit: 1, since: 't' });
    expect(s.node(a).status).toBe('queued');
    expect(s.running).toBe(1);
    expect(s.nodeState(s.node(a)).waitingFor).toMatchObject({ reason: 'quota', held: 1 });
    s.markDispatched(a);
    expect(s.node(a).status).toBe('running');
    expect(s.nodeState(s.node(a)).waitingFor).toBeUndefined();
    s.markWaiting(a, { reason: 'quota', pool: 'default', gpus: 1, since: 't' });
    s.withdraw(a);
    expect(s.node(a)).toMatchObject({ status: 'pending', waitingFor: undefined, executions: 1 });
    expect(s.running).toBe(0);
    expect(s.takeReady()).toBe(a);
  });

  test('when state is carried across continue-as-new, then it restores exactly and stays compact', () => {
    const nodes: [string, string[]][] = Array.from({ length: 5000 }, (_, i) => [`n${i}`, i ? [`n${i - 1}`] : []]);
    const s = stateOf(nodes);
    for (let k = 0; k < 2500; k++) {
      const i = s.takeReady()!;
      s.markStarted(i, 1000 + k);
      s.markCompleted(i, out(`n${i}`), 1001 + k);
    }
    const carried = CarriedNodes.parse(JSON.parse(JSON.stringify(s.carry(1000, 64 * 1024))));
    // Over budget: only the output the next node needs is kept.
    expect(Object.keys(carried.outputs)).toEqual(['2499']);
    expect(JSON.stringify(carried).length).toBeLessThan(200 * 1024);
    const r = stateOf(nodes);
    r.restore(carried, 1000);
    r.rebuildReady();
    expect(r.counts.completed).toBe(2500);
    expect(r.node(2499).completedAtMs).toBe(3500);
    expect(r.node(r.takeReady()!).spec.id).toBe('n2500');
  });
});
