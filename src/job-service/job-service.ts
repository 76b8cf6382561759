// The job service: what the API does with jobs, over a Temporal Client and the deployment's
// settings. Server-side (it needs the pools, allowlist, defaults and templates of the deployment);
// programs outside a deployment use the HTTP SDK (src/sdk/api-client.ts) instead. It keeps no state
// of its own beyond a sub-second reuse of status reads (everything lives in Temporal). Its parts:
//   submission.ts  prepare, snapshot, idempotency, credits reservation, start
//   status.ts      the status read model (job-view.ts projects), job folder, snapshot, spec view
//   rerun.ts       a finished job started again as a new job, with overrides (the cache reuses)
//   control.ts     pause / resume / recover / cancel / terminate
//   listing.ts     pages of job summaries from visibility
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { AccountClient } from '../credits/account-client';
import type { JobSpec, JobSpecInput } from '../domain/job-spec';
import type { PauseInput, RecoverInput } from '../domain/messages';
import type { JobSnapshot } from '../domain/snapshot';
import type { ValidationContext } from '../domain/validate';
import type { NodeStatus } from '../domain/statuses';
import type { ControlOutcome, JobNodePage, JobPage, JobSpecView, JobView } from '../http/contracts';
import type { ObjectStore } from '../storage/object-store';
import type { JobServiceConfig } from './config';
import { JobControl } from './control';
import { listJobs } from './listing';
import { describeJob } from './lookup';
import { JobStatusReads } from './status';
import { rerunJob, type RerunInput } from './rerun';
import { JobSubmission, type SubmitOptions } from './submission';
import type { ListJobsOptions, OwnerScope, SubmitResult } from './types';

export class JobService {
  /** The credit accounts of this deployment (undefined when credits are off). */
  readonly accounts: AccountClient | undefined;
  readonly submission: JobSubmission;
  readonly status: JobStatusReads;
  readonly control: JobControl;

  constructor(
    readonly client: Client,
    readonly config: JobServiceConfig,
    /** The artifact store: large snapshots are stored there at submit and read back from it (src/snapshots/). */
    snapshots?: ObjectStore,
  ) {
    this.accounts = config.credits ? new AccountClient(client, config.queuePrefix, config.credits) : undefined;
    this.submission = new JobSubmission(client, config, this.accounts, snapshots);
    this.status = new JobStatusReads(client, config, snapshots);
    this.control = new JobControl(client, this.status);
  }

  // Submission
  get validationContext(): ValidationContext {
    return this.submission.validationContext;
  }
  prepare(specOrSingleJob: unknown, owner?: string): { submitted: JobSpecInput; spec: JobSpec } {
    return this.submission.prepare(specOrSingleJob, owner);
  }
  buildSnapshot(jobId: string, owner: string, submitted: JobSpecInput, spec: JobSpec): JobSnapshot {
    return this.submission.buildSnapshot(jobId, owner, submitted, spec);
  }
  submitJob(specOrSingleJob: unknown, opts: SubmitOptions): Promise<SubmitResult> {
    return this.submission.submitJob(specOrSingleJob, opts);
  }
  /** A finished job started again as a new job (overrides applied; unchanged nodes hit the step cache). */
  rerunJob(
    jobId: string,
    input: RerunInput,
    opts: { owner: string; scope: OwnerScope },
  ): Promise<SubmitResult & { rerunOf: string }> {
    return rerunJob(this, jobId, input, opts);
  }

  // Reads
  describeJob(jobId: string, scope: OwnerScope = {}): Promise<WorkflowExecutionDescription> {
    return describeJob(this.client, jobId, scope);
  }
  getJobStatus(jobId: string, scope: OwnerScope = {}, opts: { maxAgeMs?: number } = {}): Promise<JobView> {
    return this.status.getJobStatus(jobId, scope, opts);
  }
  /** A page of the job's nodes (the workflow's `nodes` query; the job view's nodes when it cannot answer). */
  listJobNodes(
    jobId: string,
    scope: OwnerScope,
    query: { pageSize: number; pageToken?: string; status?: NodeStatus[]; maxAgeMs?: number },
  ): Promise<JobNodePage> {
    return this.status.listJobNodes(jobId, scope, query);
  }
  invalidateJobStatus(jobId: string): void {
    this.status.invalidate(jobId);
  }
  jobDir(jobId: string, scope: OwnerScope = {}): Promise<string> {
    return this.status.jobDir(jobId, scope);
  }
  getSnapshot(jobId: string, scope: OwnerScope = {}): Promise<JobSnapshot | undefined> {
    return this.status.getSnapshot(jobId, scope);
  }
  getJobSpec(jobId: string, scope: OwnerScope = {}): Promise<JobSpecView> {
    return this.status.getJobSpec(jobId, scope);
  }
  listJobs(opts: ListJobsOptions = {}): Promise<JobPage> {
    return listJobs(this.client, opts);
  }

  // Control
  pauseJob(jobId: string, opts: PauseInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control.pauseJob(jobId, opts, scope);
  }
  resumeJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control.resumeJob(jobId, scope);
  }
  recoverJob(jobId: string, opts: RecoverInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control.recoverJob(jobId, opts, scope);
  }
  cancelJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control.cancelJob(jobId, scope);
  }
  terminateJob(jobId: string, reason: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control.terminateJob(jobId, reason, scope);
  }
}
