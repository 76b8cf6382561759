// Submission: a spec becomes a running job. prepare (templates, sweeps, validation, data folders),
// the immutable snapshot the workflow runs from, idempotency (same key + owner → the same job id;
// another spec under it → 409), the credit reservation, and the start itself — every job workflow
// starts through startJobWorkflow (the API here, the bench and the tests directly), so every job
// starts with the same memo, search attributes and priority (src/domain/job-start-options.ts; a
// schedule's runs start with the same options).
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { AccountClient } from '../credits/account-client';
import { jobCredits } from '../credits/job-credits';
import { foreignDataPaths } from '../domain/data-paths';
import { fairnessFor } from '../domain/fairness';
import { jobStartOptions } from '../domain/job-start-options';
import { SingleJobSpec, isSingleJobForm, singleJobToDag, type JobSpec, type JobSpecInput } from '../domain/job-spec';
import { checkPayload, describeOverLimit, jsonBytes } from '../domain/payload-limits';
import { resolvePools } from '../domain/pools';
import type { JobProgress } from '../domain/progress';
import { JOB_WORKFLOW_TYPE } from '../domain/search-attributes';
import {
  OWNER_RE,
  SNAPSHOT_INLINE_MAX_BYTES,
  ownerOutputRoot,
  type JobSnapshot,
  type JobWorkflowInput,
} from '../domain/snapshot';
import { expandTemplates } from '../domain/step-templates';
import { expandSweeps, remapSweepErrors } from '../domain/sweeps';
import { validateSubmission, type ValidationContext } from '../domain/validate';
import { IDEMPOTENCY_KEY_RE } from '../http/contracts';
import { notifySnapshot } from '../notify/settings';
import { hasConfigPaths } from '../sdk/config-path';
import { headerOf, storeSnapshot } from '../snapshots/snapshot-store';
import type { ObjectStore } from '../storage/object-store';
import { JobConflictError, PayloadTooLargeError, SpecValidationError, TrainyardError } from '../sdk/errors';
import { sha256Hex, specHash as hashSpec } from '../sdk/spec-hash';
import type { JobServiceConfig } from './config';
import type { SubmitResult } from './types';

export interface SubmitOptions {
  /** The caller; recorded in the snapshot and the JobOwner search attribute. */
  owner: string;
  /** Same key + same owner → the same job (a deterministic workflow id), even across API restarts. */
  idempotencyKey?: string;
  /** The job this one reruns (src/job-service/rerun.ts): recorded in the snapshot and the memo. */
  rerunOf?: string;
}

/** `job-` + the first 32 hex chars of sha256(owner + NUL + key). */
export function idempotentJobId(owner: string, key: string): string {
  return `job-${sha256Hex(`${owner}\0${key}`).slice(0, 32)}`;
}

export interface StartJobOptions {
  /** 'fail' (default): a running job with the same id is an error. 'useExisting': return its handle. */
  idConflict?: 'fail' | 'useExisting';
  /** snapshot.spec as already parsed by a caller that validated it (submitJob): not validated again. */
  spec?: JobSpec;
  /** The dashboard's base URL: the workflow's static summary/details then link the Temporal Web UI back to the job's page. */
  dashboardUrl?: string;
  /**
   * Where a snapshot over SNAPSHOT_INLINE_MAX_BYTES is stored, to be passed by reference (the
   * deployment's artifact store, which the workflows worker loads it from). Without it every
   * snapshot goes inline, as far as the payload limit allows.
   */
  snapshots?: ObjectStore;
}

export type JobWorkflowHandle = WorkflowHandle<(input: JobWorkflowInput) => Promise<JobProgress>>;

/** Starts a job workflow from its snapshot (workflow id = job id). Over the payload limit: a 413 naming the limit. */
export async function startJobWorkflow(
  client: Client,
  snapshot: JobSnapshot,
  opts: StartJobOptions = {},
): Promise<JobWorkflowHandle> {
  // Large snapshots go by reference: inline, a 50,000-node spec would be one multi-MB payload, over
  // the 2 MiB limit, repeated in every continue-as-new run's first event. Below 256 KiB inline
  // costs less (no store round trip, no loader activity per run) and stays far under the 512 KiB
  // warning level; a small job's history is what it always was.
  const inline: JobWorkflowInput = { snapshot };
  const bytes = jsonBytes(inline);
  let input: JobWorkflowInput = inline;
  if (opts.snapshots && bytes > SNAPSHOT_INLINE_MAX_BYTES) {
    const snapshotRef = await storeSnapshot(opts.snapshots, snapshot);
    const nodeCount = Array.isArray(snapshot.spec.nodes) ? snapshot.spec.nodes.length : 0;
    input = { header: headerOf(snapshot), snapshotRef, nodeCount };
  }
  // Over the payload limit, the server refuses the start (a 500 once); say which limit, as a 413.
  const size = checkPayload(input);
  if (!size.ok)
    throw new PayloadTooLargeError(
      describeOverLimit('the job (its workflow input: spec with loaded config files)', size),
      [{ path: 'body', message: `${size.bytes} bytes as JSON; the limit is ${size.limit}` }],
    );
  return client.workflow.start<(input: JobWorkflowInput) => Promise<JobProgress>>(JOB_WORKFLOW_TYPE, {
    ...jobStartOptions(snapshot, opts.spec, { dashboardUrl: opts.dashboardUrl }, input),
    workflowIdConflictPolicy: opts.idConflict === 'useExisting' ? 'USE_EXISTING' : 'FAIL',
  });
}

export class JobSubmission {
  constructor(
    private readonly client: Client,
    private readonly config: JobServiceConfig,
    /** The credit accounts (credits on), where submitJob reserves a job's estimate. */
    private readonly accounts?: AccountClient,
    /** Where large snapshots are stored (startJobWorkflow `snapshots`). */
    private readonly snapshots?: ObjectStore,
  ) {}

  /** Validation context of this deployment (command allowlist, GPU pools). */
  get validationContext(): ValidationContext {
    return {
      allowedCommands: this.config.allowedCommands,
      pools: this.config.pools.length ? this.config.pools : undefined,
      templateNames: Object.keys(this.config.templates ?? {}),
      ...(this.config.stepLimitsMax && { stepLimitsMax: this.config.stepLimitsMax }),
    };
  }

  /**
   * Validates a submission (DAG or single-job form) and, when valid, returns the DAG-form spec as
   * submitted and the parsed spec. Throws SpecValidationError with every problem. With `owner`, a
   * dataset `path` must also be in that owner's data folder or the shared one (domain/data-paths.ts).
   */
  prepare(specOrSingleJob: unknown, owner?: string): { submitted: JobSpecInput; spec: JobSpec } {
    const unresolved = hasConfigPaths(specOrSingleJob);
    if (unresolved.length)
      throw new SpecValidationError(
        unresolved.map((path) => ({
          path,
          message: `${path.endsWith('paramsFile') ? 'paramsFile' : 'configPath'} must be resolved before submitting (resolveConfigPaths)`,
        })),
      );
    // Template nodes become command nodes here, so the snapshot never depends on the live file.
    const expanded = expandTemplates(specOrSingleJob, this.config.templates ?? {});
    if (expanded.errors.length) throw new SpecValidationError(expanded.errors);
    // Sweeps become one node per trial before validation, so limits, pools and the plan see them all.
    const swept = expandSweeps(expanded.body);
    if (swept.errors.length) throw new SpecValidationError(swept.errors);
    const body = swept.body;
    const r = validateSubmission(body, this.validationContext);
    if (!r.ok) throw new SpecValidationError(remapSweepErrors(r.errors, swept.origins));
    const foreign = owner === undefined ? [] : foreignDataPaths(r.spec, owner);
    if (foreign.length) throw new SpecValidationError(foreign);
    const submitted: JobSpecInput = isSingleJobForm(body)
      ? singleJobToDag(SingleJobSpec.parse(body))
      : (body as JobSpecInput);
    return { submitted, spec: r.spec };
  }

  /** Builds the immutable snapshot the workflow runs from. */
  buildSnapshot(jobId: string, owner: string, submitted: JobSpecInput, spec: JobSpec): JobSnapshot {
    if (!OWNER_RE.test(owner))
      throw new TrainyardError(400, 'invalid_owner', `owner ${JSON.stringify(owner)} must match ${OWNER_RE.source}`);
    let pools: Record<string, string>;
    try {
      pools = resolvePools(spec, this.config.pools);
    } catch (err) {
      throw new SpecValidationError([{ path: 'nodes', message: (err as Error).message }]);
    }
    return {
      jobId,
      owner,
      spec: submitted,
      specHash: hashSpec(submitted),
      submittedAt: new Date().toISOString(),
      queuePrefix: this.config.queuePrefix,
      pools,
      defaults: { ...this.config.defaults },
      fairness: fairnessFor(owner, this.config.fairnessWeights ?? {}),
      ...(this.config.quotas && { quotas: true }),
      ...(this.config.credits && { credits: jobCredits(spec, pools, this.config.credits.settings) }),
      // Artifacts live in the owner's namespace; outputDir is relative to it.
      outputRoot: ownerOutputRoot(owner, spec.outputDir),
      ...notifySnapshot(spec, owner, this.config.notify),
    };
  }

  /** Validates and starts a job. Same idempotency key + owner → the same job; another spec under that key → 409. */
  async submitJob(specOrSingleJob: unknown, opts: SubmitOptions): Promise<SubmitResult> {
    if (!opts.owner) throw new TrainyardError(400, 'invalid_owner', 'owner is required');
    if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(opts.idempotencyKey)) {
      throw new TrainyardError(
        400,
        'invalid_idempotency_key',
        'Idempotency-Key must be 1–255 printable ASCII characters',
        [{ path: 'Idempotency-Key', message: 'invalid' }],
      );
    }
    const { submitted, spec } = this.prepare(specOrSingleJob, opts.owner);
    const jobId =
      opts.idempotencyKey !== undefined ? idempotentJobId(opts.owner, opts.idempotencyKey) : `job-${randomUUID()}`;
    const snapshot: JobSnapshot = {
      ...this.buildSnapshot(jobId, opts.owner, submitted, spec),
      ...(opts.rerunOf !== undefined && { rerunOf: opts.rerunOf }),
    };
    if (opts.idempotencyKey !== undefined) {
      // A closed job would otherwise be started again under the same id (the default reuse policy).
      const existing = await this.existingJob(jobId, snapshot.specHash);
      if (existing) return existing;
    }
    // Credits on: the estimate is reserved first (402 when not covered; nothing starts). A retry reserves once.
    if (snapshot.credits) {
      if (!this.accounts) throw new Error('credits are on but the job service has no accounts');
      await this.accounts.reserve(opts.owner, { jobId, amount: snapshot.credits.reserved });
    }
    try {
      const handle = await startJobWorkflow(this.client, snapshot, {
        spec,
        ...(this.config.dashboardUrl && { dashboardUrl: this.config.dashboardUrl }),
        ...(this.snapshots && { snapshots: this.snapshots }),
      });
      return {
        id: jobId,
        created: true,
        specHash: snapshot.specHash,
        runId: (handle as { firstExecutionRunId?: string }).firstExecutionRunId,
      };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await this.existingJob(jobId, snapshot.specHash);
      if (existing) return existing;
      throw err;
    }
  }

  /** The job already started under an idempotent id; 409 when it was started from another spec. */
  private async existingJob(jobId: string, specHash: string): Promise<SubmitResult | undefined> {
    let desc: WorkflowExecutionDescription;
    try {
      desc = await this.client.workflow.getHandle(jobId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
    const existingHash = typeof desc.memo?.specHash === 'string' ? desc.memo.specHash : undefined;
    if (existingHash !== undefined && existingHash !== specHash) {
      throw new JobConflictError(
        'idempotency_conflict',
        `Idempotency-Key was already used for job ${jobId} with a different spec`,
      );
    }
    return { id: jobId, created: false, specHash: existingHash ?? specHash, runId: desc.runId };
  }
}
