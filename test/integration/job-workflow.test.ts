// The job workflow against a real dev server: concurrency, retries, failure + recovery, pause
// (drain and now, via updates and via the real CLI), cancel via the CLI, illegal transitions,
// search attributes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { pauseSignal, pauseUpdate, progressQuery, recoverSignal, recoverUpdate, resumeSignal, resumeUpdate } from '../../src/domain/messages';
import type { JobProgress, NodeState } from '../../src/domain/progress';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startJobWorkflow } from '../../src/temporal/start-job';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startTestTemporal, uniqueId, waitFor, workflowBundle, type TestTemporal } from '../helpers/temporal';

const exec = promisify(execFile);
let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  t = await startTestTemporal();
  bundle = await workflowBundle();
}, 120_000);
afterAll(async () => t?.teardown());

function node(p: JobProgress, id: string): NodeState {
  const n = p.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await exec(resolveTemporalCli(), [...args, '--address', t.server.address, '--namespace', t.server.namespace]);
  return stdout;
}

function setup(name: string) {
  const prefix = uniqueId(name);
  const rec = new Recorder();
  return { prefix, jobId: `${prefix}-job`, rec, activities: testActivities(rec) };
}

describe('job workflow', () => {
  test('when a diamond runs, then its two middle nodes run concurrently', async () => {
    const { prefix, jobId, rec, activities } = setup('diamond');
    const snapshot = makeSnapshot(jobId, prefix, {
      nodes: [cmd('a'), cmd('b', ['a'], { TEST_SLEEP_MS: '800' }), cmd('c', ['a'], { TEST_SLEEP_MS: '800' }), cmd('d', ['b', 'c'])],
    });
    const result = await withWorkers(t, bundle, prefix, activities, async () => {
      const h = await startJobWorkflow(t.client, snapshot);
      return h.result();
    });
    expect(result.status).toBe('completed');
    expect(result.progress).toBe(100);
    const [b, c] = [node(result, 'b').output!.meta!, node(result, 'c').output!.meta!];
    expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(c.finishedAt));
    expect(Date.parse(c.startedAt)).toBeLessThan(Date.parse(b.finishedAt));
    expect(node(result, 'd').output!.summary.upstream).toEqual(['b', 'c']);
    expect(rec.calls.map((r) => r.nodeId).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(node(result, 'a').taskQueue).toBe(`${prefix}-cpu`);
  });
});
