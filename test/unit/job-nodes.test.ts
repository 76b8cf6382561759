// Big jobs, read without megabyte responses: the `progress` summary of a 50,000-node job (through
// the workflow's own JobState and the API's buildJobView) and the `nodes` query's slices (offset,
// limit, status filter, the byte budget), plus the page tokens that carry a filter.
import { JobSpec, type JobSpecInput } from '../../src/domain/job-spec';
import { NODES_QUERY_BUDGET_BYTES, NodesQueryInput } from '../../src/domain/messages';
import {
  PROGRESS_SUMMARY_ABOVE_NODES,
  PROGRESS_SUMMARY_BUDGET_BYTES,
  PROGRESS_SUMMARY_NODES,
} from '../../src/domain/progress';
import type { StepOutput } from '../../src/domain/step-io';
import { JobNodesQuery } from '../../src/http/contracts';
import { buildJobView, refineNodes } from '../../src/job-service/job-view';
import { InvalidPageTokenError, decodeOffsetToken, encodeOffsetToken } from '../../src/job-service/page-token';
import { JobState } from '../../workflows/job-state';
import { described } from '../helpers/described';

const MiB = 1024 * 1024;
const id = (i: number) => `node-${String(i).padStart(5, '0')}`;

const output = (nodeId: string, bytes = 200): StepOutput => ({
  summary: { node: nodeId, note: 'x'.repeat(bytes) },
  artifacts: [],
  meta: { attempt: 1, startedAt: 'x', finishedAt: 'y', worker: 'w' },
});

/** A job of `n` command nodes, all after the first (the shape a wide sweep or shard job has). */
function wideState(n: number): JobState {
  const input: JobSpecInput = {
    name: 'wide',
    nodes: Array.from({ length: n }, (_, i) => ({
      id: id(i),
      type: 'command' as const,
      dependsOn: i === 0 ? [] : [id(0)],
      config: { command: ['true'] },
    })),
  };
  const s = new JobState(JobSpec.parse(input), () => 'ty-workflows');
  s.rebuildReady();
  return s;
}

/**
 * Runs the job as the workflow's loop would: the first node, then `failed` failures (a real-sized
 * message and stack), `running` nodes left running, the rest completed (with outputs).
 */
function run(s: JobState, opts: { running: number; failed: number }): void {
  let k = 0;
  for (let i = s.takeReady(); i !== undefined; i = s.takeReady(), k++) {
    s.markStarted(i, 1_000 + k);
    if (k === 0) {
      s.markCompleted(i, output(s.node(i).spec.id), 2_000);
      continue;
    }
    if (k <= opts.running) continue;
    if (k <= opts.running + opts.failed)
      s.markFailed(
        i,
        {
          message: `python3 exited with code 1: ${'ValueError: bad shard '.repeat(10)}`,
          type: 'CommandFailed',
          stack: 'Error: python3 exited\n    at run (activities/command.ts:1:1)\n'.repeat(60),
          where: { node: s.node(i).spec.id, attempt: 3, worker: 'cpu-1', taskQueue: 'ty-workflows' },
          stderrTail: Array.from({ length: 20 }, (_, l) => `stderr line ${l}: ${'e'.repeat(60)}`),
        },
        3,
        3_000 + k,
      );
    else s.markCompleted(i, output(s.node(i).spec.id), 3_000 + k);
  }
}

const job = { jobId: 'j', name: 'wide', status: 'running' as const, recoverable: false, recoveryAttempts: 0 };
const progressOf = (s: JobState) => s.toProgress({ ...job, recoveries: [], runs: 1 });

describe('a 10,000-node job with many failures (listed in full, not summarised)', () => {
  const N = PROGRESS_SUMMARY_ABOVE_NODES;

  test('when 600 nodes failed with a traceback each, then progress lists the unfinished ones without stacks, under the payload limit', () => {
    const s = wideState(N);
    run(s, { running: 100, failed: 600 });
    const progress = progressOf(s);
    // With stacks the 600 failures alone are ~2.7 MB: over Temporal's 2 MiB payload limit, so the
    // query would fail and the job view would fall back to describe.
    expect(progress.trimmed).toBe('completedNodes');
    expect(progress.nodes).toHaveLength(700);
    expect(progress.nodes.some((n) => n.error?.stack !== undefined)).toBe(false);
    expect(progress.nodes.filter((n) => n.status === 'failed').every((n) => n.error?.stderrTail?.length)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(progress))).toBeLessThan(1.5 * MiB);
  });

  test('when 3,000 nodes failed, then even the unfinished ones do not fit and the bounded summary answers', () => {
    const s = wideState(N);
    run(s, { running: 100, failed: 3_000 });
    const progress = progressOf(s);
    expect(progress.trimmed).toBe('summary');
    expect(progress.counts).toMatchObject({ running: 100, failed: 3_000 });
    expect(progress.nodes.slice(0, 100).every((n) => n.status === 'running')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(buildJobView('j', described(), progress)))).toBeLessThan(MiB);
  });
});

describe('a 50,000-node job', () => {
  const N = 50_000;
  let s: JobState;
  beforeAll(() => {
    s = wideState(N);
    run(s, { running: 1_500, failed: 1_500 });
  });

  test('when its progress is read, then the summary (query answer and job view) serializes under 1 MiB', () => {
    expect(N).toBeGreaterThan(PROGRESS_SUMMARY_ABOVE_NODES);
    const progress = progressOf(s);
    expect(progress.trimmed).toBe('summary');
    // Every node is counted even though few are listed.
    expect(Object.values(progress.counts).reduce((a, b) => a + b, 0)).toBe(N);
    expect(progress.counts).toMatchObject({ running: 1_500, failed: 1_500, completed: N - 3_000 });
    // In flight first, then failed (the nodes that matter now), as many as the byte budget holds:
    // 1,500 failures with a traceback and a 20-line stderr tail each would be megabytes.
    expect(progress.nodes.length).toBeLessThan(PROGRESS_SUMMARY_NODES);
    expect(progress.nodes.slice(0, 1_500).every((n) => n.status === 'running')).toBe(true);
    expect(progress.nodes.length).toBeGreaterThan(1_500);
    expect(progress.nodes.slice(1_500).every((n) => n.status === 'failed' && n.error?.stderrTail)).toBe(true);
    expect(progress.nodes.some((n) => n.error?.stack !== undefined)).toBe(false);
    expect(Buffer.byteLength(JSON.stringify(progress.nodes))).toBeLessThanOrEqual(PROGRESS_SUMMARY_BUDGET_BYTES);

    const view = buildJobView('j', described(), progress);
    expect(view.trimmed).toBe('summary');
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(MiB);
    expect(Buffer.byteLength(JSON.stringify(progress))).toBeLessThan(MiB);
  });

  test('when its listed nodes are small, then the summary lists PROGRESS_SUMMARY_NODES of them, still under 1 MiB', () => {
    const lean = wideState(N);
    run(lean, { running: 2_500, failed: 0 });
    const progress = progressOf(lean);
    expect(progress.nodes).toHaveLength(PROGRESS_SUMMARY_NODES);
    expect(Buffer.byteLength(JSON.stringify(buildJobView('j', described(), progress)))).toBeLessThan(MiB);
  });

  test('when its nodes are read a slice at a time, then every node comes once and each slice fits the budget', () => {
    const seen: string[] = [];
    for (let offset = 0; offset < N;) {
      const slice = s.nodesSlice({ offset, limit: 1_000 }, NODES_QUERY_BUDGET_BYTES);
      expect(slice.total).toBe(N);
      expect(slice.nodes.length).toBeGreaterThan(0);
      expect(JSON.stringify(slice.nodes).length).toBeLessThanOrEqual(NODES_QUERY_BUDGET_BYTES);
      seen.push(...slice.nodes.map((n) => n.id));
      offset += slice.nodes.length;
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => id(i)));
  });

  test('when the slice is filtered by status, then total counts the matches and the slice holds only them', () => {
    const failed = s.nodesSlice({ offset: 1_000, limit: 1_000, statuses: ['failed'] }, NODES_QUERY_BUDGET_BYTES);
    expect(failed.total).toBe(1_500);
    expect(failed.nodes.every((n) => n.status === 'failed' && n.error?.stderrTail)).toBe(true);
    expect(failed.nodes.some((n) => n.error?.stack !== undefined)).toBe(false);
    expect(failed.nodes[0]?.id).toBe(id(1 + 1_500 + 1_000));
    const both = s.nodesSlice({ offset: 0, limit: 10, statuses: ['running', 'failed'] }, NODES_QUERY_BUDGET_BYTES);
    expect(both.total).toBe(3_000);
    const past = s.nodesSlice({ offset: N, limit: 10 }, NODES_QUERY_BUDGET_BYTES);
    expect(past).toEqual({ nodes: [], total: N });
  });
});

describe('the nodes query slice', () => {
  test('when the nodes with their outputs fit the budget, then they come with them', () => {
    const s = wideState(20);
    run(s, { running: 0, failed: 0 });
    const slice = s.nodesSlice({ offset: 5, limit: 10 }, NODES_QUERY_BUDGET_BYTES);
    expect(slice.nodes.map((n) => n.id)).toEqual(Array.from({ length: 10 }, (_, i) => id(5 + i)));
    expect(slice.trimmed).toBeUndefined();
    expect(slice.nodes.every((n) => n.output !== undefined)).toBe(true);
  });

  test('when outputs would be over the budget, then every node comes without; still over, the slice ends early', () => {
    const s = wideState(100);
    let k = 0;
    for (let i = s.takeReady(); i !== undefined; i = s.takeReady(), k++) {
      s.markStarted(i, 1);
      s.markCompleted(i, output(s.node(i).spec.id, 20_000), 2);
    }
    const withOutputs = JSON.stringify(s.nodesSlice({ offset: 0, limit: 100 }, Infinity).nodes).length;
    const bare = s.nodesSlice({ offset: 0, limit: 100 }, withOutputs - 1);
    expect(bare.trimmed).toBe('outputs');
    expect(bare.nodes).toHaveLength(100);
    expect(bare.nodes.some((n) => n.output !== undefined)).toBe(false);
    const bareBytes = JSON.stringify(bare.nodes).length;
    const short = s.nodesSlice({ offset: 0, limit: 100 }, Math.floor(bareBytes / 2));
    expect(short.nodes.length).toBeGreaterThan(0);
    expect(short.nodes.length).toBeLessThan(100);
    expect(JSON.stringify(short.nodes).length).toBeLessThanOrEqual(Math.floor(bareBytes / 2));
    expect(short.total).toBe(100);
    // Never empty while nodes are left, however small the budget.
    expect(s.nodesSlice({ offset: 0, limit: 100 }, 1).nodes).toHaveLength(1);
  });

  test("when a slice's pending nodes wait for a node outside it, then the slice carries that node's status and the page names it as upstream", () => {
    const s = wideState(20);
    s.markStarted(s.takeReady()!, 1); // node 0 runs; the other 19 wait for it
    const slice = s.nodesSlice({ offset: 5, limit: 3 }, NODES_QUERY_BUDGET_BYTES);
    expect(slice.upstream).toEqual({ [id(0)]: 'running' });
    const page = refineNodes(slice.nodes, described(), { jobPaused: false, upstream: slice.upstream });
    expect(page.map((n) => n.waiting)).toEqual(
      Array.from({ length: 3 }, () => ({
        reason: 'upstream',
        message: `waiting for upstream: ${id(0)}`,
        nodes: [id(0)],
      })),
    );
    // Without it (a worker from before), the page could not say what they wait for.
    expect(refineNodes(slice.nodes, described(), { jobPaused: false }).map((n) => n.waiting)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    // In the slice itself, or finished: not repeated.
    expect(s.nodesSlice({ offset: 0, limit: 3 }, NODES_QUERY_BUDGET_BYTES).upstream).toBeUndefined();
    s.markCompleted(0, output(id(0)), 2);
    expect(s.nodesSlice({ offset: 5, limit: 3 }, NODES_QUERY_BUDGET_BYTES).upstream).toBeUndefined();
  });

  test('when the query input is bad, then the error names the field', () => {
    const bad = (v: unknown) => NodesQueryInput.safeParse(v).error?.issues.map((i) => i.path.join('.'));
    expect(bad({ offset: -1, limit: 10 })).toEqual(['offset']);
    expect(bad({ offset: 0, limit: 1001 })).toEqual(['limit']);
    expect(bad({ offset: 0, limit: 10, statuses: ['nope'] })).toEqual(['statuses.0']);
    expect(bad({ offset: 0, limit: 10, extra: 1 })).toEqual(['']);
    expect(NodesQueryInput.parse({ offset: 0, limit: 1, statuses: ['failed'] })).toBeTruthy();
  });
});

describe('GET /v1/jobs/:id/nodes query and tokens', () => {
  test('when status is a comma-separated list, then it parses to NodeStatus values (once each); otherwise it names status', () => {
    expect(JobNodesQuery.parse({ status: 'failed,cancelled,failed' })).toEqual({
      pageSize: 500,
      status: ['failed', 'cancelled'],
    });
    const r = JobNodesQuery.safeParse({ status: 'failed,nope', pageSize: '2000' });
    expect(r.error?.issues.map((i) => i.path[0]).sort()).toEqual(['pageSize', 'status']);
  });

  test('when a token is read back under the filter it was given under, then it gives its offset; else it is refused', () => {
    const t = encodeOffsetToken(500, 'failed');
    expect(decodeOffsetToken(t, 'failed')).toBe(500);
    expect(() => decodeOffsetToken(t, '')).toThrow(InvalidPageTokenError);
    expect(() => decodeOffsetToken(t.slice(0, -2), 'failed')).toThrow(InvalidPageTokenError);
    expect(() => decodeOffsetToken('AAAA', '')).toThrow(InvalidPageTokenError);
  });
});
