// Control: pause, resume, recover (workflow updates), cancel (Temporal cancellation) and terminate.
// Each checks the job is the caller's and still running, and drops the job's shared status read
// afterwards, so no reader sees the state from before the action.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  pauseUpdate,
  recoverUpdate,
  resumeUpdate,
  type ControlResult,
  type PauseInput,
  type RecoverInput,
} from '../domain/messages';
import type { ControlOutcome, JobView } from '../http/contracts';
import { JobConflictError } from '../sdk/errors';
import { describeJob, jobStatusOf } from './lookup';
import type { JobStatusReads } from './status';
import type { OwnerScope } from './types';

/** What `pause now` stops, by what the nodes were doing. */
export function pauseNowMessage(counts: JobView['counts']): string {
  const running = counts.running ?? 0;
  const waiting = counts.waiting_for_gpu ?? 0;
  const queued = (counts.queued ?? 0) + (counts.retrying ?? 0);
  const back = [waiting && `${waiting} waiting for a GPU`, queued && `${queued} queued`].filter(Boolean);
  return (
    `paused now: ${running} running node(s) checkpoint and stop` +
    (back.length ? `; ${back.join(' and ')} go back to pending` : '') +
    '; they continue from their checkpoints on resume'
  );
}

export class JobControl {
  constructor(
    private readonly client: Client,
    private readonly reads: JobStatusReads,
  ) {}

  /** Cancels the job (Temporal cancellation: running steps stop, the rest become cancelled). */
  async cancelJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    const desc = await describeJob(this.client, jobId, scope);
    if (desc.status.name !== 'RUNNING') {
      const status = jobStatusOf(desc);
      throw new JobConflictError('illegal_transition', `job is ${status}; it can no longer be cancelled`);
    }
    try {
      await this.client.workflow.getHandle(jobId).cancel();
    } finally {
      this.reads.invalidate(jobId);
    }
    return { id: jobId, status: jobStatusOf(desc), message: 'cancellation requested' };
  }

  /**
   * Terminates the job's workflow (no workflow code runs: works on a job whose workflow tasks fail).
   * Its status becomes `terminated`; a step still running learns it at its next heartbeat (the
   * server answers "not found") and stops, with its subprocess.
   */
  async terminateJob(jobId: string, reason: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    const desc = await describeJob(this.client, jobId, scope);
    if (desc.status.name !== 'RUNNING')
      throw new JobConflictError('illegal_transition', `job is ${jobStatusOf(desc)}; it can no longer be terminated`);
    try {
      await this.client.workflow.getHandle(jobId).terminate(reason);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new JobConflictError('illegal_transition', 'job has finished; it can no longer be terminated');
      throw err;
    } finally {
      this.reads.invalidate(jobId);
    }
    return { id: jobId, status: 'terminated', message: 'terminated' };
  }

  async pauseJob(jobId: string, opts: PauseInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    // The workflow counts every dispatched node as running; the status read tells which hold GPUs.
    const before =
      opts.mode === 'now'
        ? await this.reads.readJobStatus(jobId).then(
            (r) => r.view.counts,
            () => undefined,
          )
        : undefined;
    const outcome = await this.update(jobId, scope, 'paused', (h) =>
      // The definitions have an optional argument, which executeUpdate's overloads don't take: go by name.
      h.executeUpdate<ControlResult, [PauseInput]>(pauseUpdate.name, { args: [{ mode: opts.mode ?? 'drain' }] }),
    );
    return before ? { ...outcome, message: pauseNowMessage(before) } : outcome;
  }

  async resumeJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.update(jobId, scope, 'resumed', (h) => h.executeUpdate(resumeUpdate));
  }

  async recoverJob(jobId: string, opts: RecoverInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    const input: RecoverInput = {
      ...(opts.fromNode !== undefined && { fromNode: opts.fromNode }),
      ...(opts.fromScratch !== undefined && { fromScratch: opts.fromScratch }),
    };
    return this.update(jobId, scope, 'recovered', (h) =>
      h.executeUpdate<ControlResult, [RecoverInput]>(recoverUpdate.name, { args: [input] }),
    );
  }

  /** A control update of a running job; a refused update (or a job that just ended) is a 409. */
  private async update(
    jobId: string,
    scope: OwnerScope,
    verb: string,
    run: (h: WorkflowHandle) => Promise<ControlResult>,
  ): Promise<ControlOutcome> {
    const desc = await describeJob(this.client, jobId, scope);
    if (desc.status.name !== 'RUNNING')
      throw new JobConflictError('illegal_transition', `job is ${jobStatusOf(desc)}; it can no longer be ${verb}`);
    try {
      const r = await run(this.client.workflow.getHandle(jobId));
      return { id: jobId, status: r.status, message: r.message };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? err.message;
        throw new JobConflictError('illegal_transition', reason);
      }
      if (err instanceof WorkflowNotFoundError)
        throw new JobConflictError('illegal_transition', `job has finished; it can no longer be ${verb}`);
      throw err;
    } finally {
      this.reads.invalidate(jobId);
    }
  }
}
