// Starting job workflows the way the API does (startJobWorkflow, src/job-service/submission.ts), without the HTTP
// layer, for the benchmarks that measure the workflow itself.
import type { Client } from '@temporalio/client';
import type { JobSpecInput } from '../../src/domain/job-spec';
import type { JobProgress } from '../../src/domain/progress';
import { startJobWorkflow } from '../../src/job-service/submission';
import type { ObjectStore } from '../../src/storage/object-store';
import { mergeTimings, taskTimings } from './history';
import { snapshotOf } from './specs';

/** With `snapshots`, a snapshot over 256 KiB is stored there and passed by reference (as the API does). */
export async function runJob(
  client: Client,
  jobId: string,
  spec: JobSpecInput,
  prefix: string,
  opts: { snapshots?: ObjectStore } = {},
): Promise<JobProgress> {
  const handle = await startJobWorkflow(client, snapshotOf(jobId, spec, prefix), opts);
  return handle.result();
}

export interface RunInfo {
  runId: string;
  historyLength: number;
  /** Bytes of the run's history (the server's count). */
  historySize: number;
}

/** Every run of a workflow id (continue-as-new chain), oldest first, with its history length and size. */
export async function runsOf(client: Client, workflowId: string): Promise<RunInfo[]> {
  const out: (RunInfo & { start: number })[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    out.push({
      runId: wf.runId,
      historyLength: wf.historyLength,
      historySize: wf.historySize ?? 0,
      start: wf.startTime.getTime(),
    });
  }
  return out.sort((a, b) => a.start - b.start).map(({ start: _s, ...r }) => r);
}

/** A finished job's continue-as-new chain: its runs, events per run and the workflow-task timings of all of them. */
export async function chainFigures(client: Client, workflowId: string) {
  const runs = await runsOf(client, workflowId);
  const timings = mergeTimings(await Promise.all(runs.map((r) => taskTimings(client, workflowId, r.runId))));
  const historyEventsPerRun = runs.map((r) => r.historyLength);
  return {
    runs: runs.length,
    continueAsNew: runs.length - 1,
    historyEventsPerRun,
    maxHistoryEvents: Math.max(...historyEventsPerRun),
    timings,
  };
}
