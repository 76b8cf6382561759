// Attack: a message whose payload cannot be decoded (issue 10, "wedge a job for good").
//   temporal workflow signal -w JOB --name pause --input-meta encoding=foo/bar --input '{"mode":"now"}'
// used to fail every workflow task ("Unknown encoding"): queries failed, pause/resume answered 500,
// cancel never completed, and it survived restarts. Now the message is logged and dropped (signal),
// rejected (update) or not answered (query), and the job goes on.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { pauseSignal, progressQuery } from '../../src/domain/messages';
import { resolveTemporalCli } from '../../src/temporal/cli-path';
import { startJobWorkflow } from '../../src/job-service/submission';
import { Recorder, cmd, makeSnapshot, testActivities, withWorkers } from '../helpers/job-harness';
import { startWorkflowTestEnv, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

const run = promisify(execFile);
const EventType = temporal.api.enums.v1.EventType;

let t: TestTemporal;
let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  ({ t, bundle } = await startWorkflowTestEnv());
});
afterAll(async () => t?.teardown());

function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(resolveTemporalCli(), [...args, '--address', t.server.address, '-n', t.server.namespace]);
}

const POISON = ['--input-meta', 'encoding=foo/bar', '--input', '{"mode":"now"}'];

async function workflowTaskFailures(jobId: string): Promise<string[]> {
  const history = await t.client.workflow.getHandle(jobId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    .map((e) => e.workflowTaskFailedEventAttributes?.failure?.message ?? '?');
}

describe('undecodable signals, updates and queries', () => {
  it('when a pause signal with encoding foo/bar is sent to a running job, then it is dropped: no workflow task fails, queries answer, the job is not paused and completes', async () => {
    const prefix = uniqueId('poison');
    const jobId = `${prefix}-job`;
    const rec = new Recorder();
    await withWorkers(t, bundle, prefix, testActivities(rec), async () => {
      const h = await startJobWorkflow(
        t.client,
        makeSnapshot(jobId, prefix, {
          nodes: [cmd('slow', [], { TEST_SLEEP_MS: '1500' }), cmd('after', ['slow'])],
        }),
      );
      await waitFor(() => rec.callsOf('slow').length > 0, { what: 'slow running' });
      await cli('workflow', 'signal', '-w', jobId, '--name', 'pause', ...POISON);
      // A poison update is rejected (the caller is told why); a poison query fails alone.
      const update = cli('workflow', 'update', 'execute', '-w', jobId, '--name', 'pauseJob', ...POISON);
      await expect(update).rejects.toThrow(/could not be decoded|foo\/bar/);
      const query = cli('workflow', 'query', '-w', jobId, '--name', 'progress', ...POISON);
      await expect(query).rejects.toThrow(/could not be decoded|foo\/bar/);
      // The workflow still answers, and was not paused by the dropped signal.
      const progress = await h.query(progressQuery);
      expect(progress.status).toBe('running');
      expect(progress.pauseMode).toBeUndefined();
      const done = await h.result();
      expect(done.status).toBe('completed');
      expect(await workflowTaskFailures(jobId)).toEqual([]);
    });
  });

  it('when a poison signal arrives, then a real pause afterwards still works (the job is not wedged)', async () => {
    const prefix = uniqueId('poison2');
    const jobId = `${prefix}-job`;
    const rec = new Recorder();
    await withWorkers(t, bundle, prefix, testActivities(rec), async () => {
      const h = await startJobWorkflow(
        t.client,
        makeSnapshot(jobId, prefix, { nodes: [cmd('a', [], { TEST_SLEEP_MS: '800' }), cmd('b', ['a'])] }),
      );
      await waitFor(() => rec.callsOf('a').length > 0, { what: 'a running' });
      await cli('workflow', 'signal', '-w', jobId, '--name', 'resume', ...POISON);
      await h.signal(pauseSignal);
      await waitFor(async () => (await h.query(progressQuery)).status === 'paused', { what: 'paused' });
      await h.cancel();
      await expect(h.result()).rejects.toThrow();
      expect(await workflowTaskFailures(jobId)).toEqual([]);
    });
  });
});
