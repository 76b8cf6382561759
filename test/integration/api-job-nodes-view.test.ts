// GET /v1/jobs/:id/nodes (JobStatusReads.listJobNodes, behind the route) when the job's worker does not know the `nodes` query (a build from
// before it, test/fixtures/progress-only-workflow) but answers `progress`: the route pages the job
// view's nodes instead (source "view"), with the same filter, totals and tokens, on a real server.
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { JobSpec, type JobSpecInput } from '../../src/domain/job-spec';
import type { JobNodePage } from '../../src/http/contracts';
import { JobStatusReads } from '../../src/job-service/status';
import { JOB_WORKFLOW_TYPE } from '../../src/domain/search-attributes';
import { JobState } from '../../workflows/job-state';
import { quietLogger, uniqueId, useTestTemporal } from '../helpers/temporal';

const temporal = useTestTemporal();

const id = (i: number) => `n${String(i).padStart(2, '0')}`;

/** A 30-node job's progress as the job workflow answers it: n00 done, n01–n05 failed, the rest completed. */
function progressOf(jobId: string) {
  const input: JobSpecInput = {
    name: 'old-build',
    nodes: Array.from({ length: 30 }, (_, i) => ({
      id: id(i),
      type: 'command' as const,
      ...(i > 0 && { dependsOn: [id(0)] }),
      config: { command: ['true'] },
    })),
  };
  const s = new JobState(JobSpec.parse(input), () => 'q');
  s.rebuildReady();
  let k = 0;
  for (let i = s.takeReady(); i !== undefined; i = s.takeReady(), k++) {
    s.markStarted(i, 1_000);
    if (k >= 1 && k <= 5)
      s.markFailed(i, { message: 'boom', type: 'CommandFailed', where: { node: id(i), attempt: 1 } }, 1, 2_000);
    else s.markCompleted(i, { summary: { node: id(i) }, artifacts: [] }, 2_000);
  }
  return s.toProgress({
    jobId,
    name: 'old-build',
    status: 'failed',
    recoverable: false,
    recoveryAttempts: 0,
    recoveries: [],
    runs: 1,
  });
}

test('when the worker has no nodes query, then the route pages the job view: every node once, filtered, with totals and tokens', async () => {
  const t = temporal();
  const taskQueue = uniqueId('old-build');
  const jobId = `${taskQueue}-job`;
  const worker = await Worker.create({
    connection: t.nativeConnection,
    namespace: t.server.namespace,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('../fixtures/progress-only-workflow'),
      logger: quietLogger,
    }),
  });
  const reads = new JobStatusReads(t.client, {
    queuePrefix: taskQueue,
    pools: [],
    defaults: { stepTimeoutMs: 60_000, heartbeatTimeoutMs: 60_000 },
  });
  await worker.runUntil(async () => {
    const handle = await t.client.workflow.start(JOB_WORKFLOW_TYPE, {
      taskQueue,
      workflowId: jobId,
      args: [progressOf(jobId)],
      memo: { owner: 'tester' },
    });
    const list = (pageSize: number, status?: JobNodePage['nodes'][number]['status'][], pageToken?: string) =>
      reads.listJobNodes(
        jobId,
        { owner: 'tester' },
        { pageSize, ...(status && { status }), ...(pageToken && { pageToken }) },
      );

    const pages: JobNodePage[] = [];
    let token: string | undefined;
    do {
      const p = await list(12, undefined, token);
      pages.push(p);
      token = p.nextPageToken;
    } while (token && pages.length < 10);
    expect(pages.map((p) => [p.source, p.total, p.nodes.length])).toEqual([
      ['view', 30, 12],
      ['view', 30, 12],
      ['view', 30, 6],
    ]);
    expect(pages.flatMap((p) => p.nodes.map((n) => n.id))).toEqual(Array.from({ length: 30 }, (_, i) => id(i)));

    const failed = await list(3, ['failed']);
    expect(failed).toMatchObject({ source: 'view', total: 5 });
    expect(failed.nodes.map((n) => `${n.id}:${n.status}`)).toEqual(['n01:failed', 'n02:failed', 'n03:failed']);
    const rest = await list(3, ['failed'], failed.nextPageToken);
    expect(rest.nodes.map((n) => n.id)).toEqual(['n04', 'n05']);
    expect(rest.nextPageToken).toBeUndefined();
    // Another owner: as for an unknown job.
    await expect(reads.listJobNodes(jobId, { owner: 'bob' }, { pageSize: 10 })).rejects.toThrow(/not found/i);
    await handle.terminate('test over');
  });
}, 120_000);
