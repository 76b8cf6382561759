// TrainyardClient: submit, inspect, control and list jobs over a Temporal Client. The API, the
// demo and programs all use it; it keeps no state of its own (everything lives in Temporal).
import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { parseDuration } from '../domain/duration';
import { SingleJobSpec, isSingleJobForm, singleJobToDag, type JobSpec, type JobSpecInput } from '../domain/job-spec';
import { pauseUpdate, progressQuery, recoverUpdate, resumeUpdate, type ControlResult, type PauseInput, type RecoverInput } from '../domain/messages';
import { resolvePools, type PoolSpec } from '../domain/pools';
import { JOB_STATUSES, TERMINAL_JOB_STATUSES, type JobProgress, type JobStatus } from '../domain/progress';
import { JOB_WORKFLOW_TYPE, SA } from '../domain/search-attributes';
import type { JobSnapshot, JobWorkflowInput } from '../domain/snapshot';
import { startJobWorkflow } from '../temporal/start-job';
import type { StepHeartbeat } from '../domain/step-io';
import { validateSubmission, type ValidationContext } from '../domain/validate';
import { hasConfigPaths } from './config-path';
import { JobConflictError, JobNotFoundError, SpecValidationError, TrainyardError } from './errors';
import { sha256Hex, specHash as hashSpec } from './spec-hash';
import type { ControlOutcome, JobPage, JobSummary, JobView, ListJobsOptions, LiveProgress, NodeView, OwnerScope, SubmitResult } from './types';

export interface TrainyardClientConfig {
  /** TRAINYARD_QUEUE_PREFIX of the deployment. */
  queuePrefix: string;
  /** GPU pools (validation + pool choice); empty = the default pool. */
  pools: PoolSpec[];
  /** Executables `command` nodes may run; omitted = not checked here (workers still enforce it). */
  allowedCommands?: string[];
  defaults: { stepTimeoutMs: number; heartbeatTimeoutMs: number };
  /** How long getJobStatus waits for the progress query before falling back to describe (default 5 s). */
  queryTimeoutMs?: number;
}

/** The client settings of a deployment's Config. */
export function clientConfigFrom(config: Config): TrainyardClientConfig {
  return {
    queuePrefix: config.queuePrefix,
    pools: config.gpuPools,
    allowedCommands: config.allowedCommands,
    defaults: {
      stepTimeoutMs: parseDuration(config.defaultStepTimeout) ?? 30 * 60_000,
      heartbeatTimeoutMs: parseDuration(config.defaultHeartbeatTimeout) ?? 60_000,
    },
  };
}

export interface SubmitOptions {
  /** The caller; recorded in the snapshot and the JobOwner search attribute. */
  owner: string;
  /** Same key + same owner → the same job (a deterministic workflow id), even across API restarts. */
  idempotencyKey?: string;
}

export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;
/** Job ids the API accepts: what submitJob makes, plus other plain workflow ids. */
export const JOB_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/** `job-` + the first 32 hex chars of sha256(owner + NUL + key). */
export function idempotentJobId(owner: string, key: string): string {
  return `job-${sha256Hex(`${owner}\0${key}`).slice(0, 32)}`;
}

const WORKFLOW_STATUS_NAMES: Record<number, string> = {
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
};

/** A job status from Temporal's execution status, for when the workflow cannot be queried. */
export function jobStatusFromWorkflow(status: string): JobStatus {
  switch (status) {
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
    case 'CANCELED':
      return 'cancelled';
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return 'failed';
    default:
      return 'running';
  }
}

type RawPendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;
type RawExecution = temporal.api.workflow.v1.IWorkflowExecutionInfo;
const PENDING_SCHEDULED = 1;
const PENDING_STARTED = 2;
const PENDING_CANCEL_REQUESTED = 3;

function tsToIso(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return undefined;
  const s = ts.seconds as number | { toNumber(): number };
  const secs = typeof s === 'object' ? s.toNumber() : Number(s);
  return new Date(secs * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

function decodePayload(p: Payload | null | undefined): unknown {
  if (!p) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(p);
  } catch {
    return undefined;
  }
}

function decodeFields(fields: Record<string, Payload> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = decodePayload(v);
  return out;
}

/** Splits an activity id `${nodeId}#${n}` into its node id. */
export function nodeIdOfActivity(activityId: string): string {
  const i = activityId.lastIndexOf('#');
  return i > 0 ? activityId.slice(0, i) : activityId;
}

/** Quotes a value for a visibility query. */
function q(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

interface StatusRead {
  desc: WorkflowExecutionDescription;
  view: JobView;
}

function checkOwner(jobId: string, read: StatusRead, scope: OwnerScope): StatusRead {
  if (scope.owner !== undefined && ownerOf(read.desc) !== scope.owner) throw new JobNotFoundError(jobId);
  return read;
}

/**
 * Shares status reads of one job between concurrent and recent callers: one read in flight per job,
 * whose answer is reused for maxAgeMs after it arrives. Failures are shared only while in flight.
 * Bounded; it holds nothing that matters across restarts (a sub-second cache of Temporal's answer).
 */
export class StatusReuse<T> {
  private readonly entries = new Map<string, { promise: Promise<T>; settledAt?: number }>();

  constructor(private readonly maxEntries = 2000) {}

  get(key: string, maxAgeMs: number, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && (hit.settledAt === undefined || now - hit.settledAt < maxAgeMs)) return hit.promise;
    if (hit) this.entries.delete(key);
    const entry: { promise: Promise<T>; settledAt?: number } = { promise: read() };
    entry.promise.then(
      () => {
        entry.settledAt = Date.now();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.evict(now, maxAgeMs);
    return entry.promise;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired answers, then the oldest entries until back under the bound. */
  private evict(now: number, maxAgeMs: number): void {
    for (const [k, e] of this.entries) if (e.settledAt !== undefined && now - e.settledAt >= maxAgeMs) this.entries.delete(k);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(k);
    }
  }
}

export class TrainyardClient {
  private readonly jobDirs = new Map<string, string>();
  private readonly statusReuse = new StatusReuse<StatusRead>();

  constructor(
    readonly client: Client,
    readonly config: TrainyardClientConfig,
  ) {}

  /** Validation context of this deployment (command allowlist, GPU pools). */
  get validationContext(): ValidationContext {
    return { allowedCommands: this.config.allowedCommands, pools: this.config.pools.length ? this.config.pools : undefined };
  }

  /**
   * Validates a submission (DAG or single-job form) and, when valid, returns the DAG-form spec as
   * submitted and the parsed spec. Throws SpecValidationError with every problem.
   */
  prepare(specOrSingleJob: unknown): { submitted: JobSpecInput; spec: JobSpec } {
    const unresolved = hasConfigPaths(specOrSingleJob);
    if (unresolved.length) throw new SpecValidationError(unresolved.map((path) => ({ path, message: 'configPath must be resolved before submitting (resolveConfigPaths)' })));
    const r = validateSubmission(specOrSingleJob, this.validationContext);
    if (!r.ok) throw new SpecValidationError(r.errors);
    const submitted: JobSpecInput = isSingleJobForm(specOrSingleJob) ? singleJobToDag(SingleJobSpec.parse(specOrSingleJob)) : (specOrSingleJob as JobSpecInput);
    return { submitted, spec: r.spec };
  }

  /** Builds the immutable snapshot the workflow runs from. */
  buildSnapshot(jobId: string, owner: string, submitted: JobSpecInput, spec: JobSpec): JobSnapshot {
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
    };
  }

  /** Validates and starts a job. Same idempotency key + owner → the same job; another spec under that key → 409. */
  async submitJob(specOrSingleJob: unknown, opts: SubmitOptions): Promise<SubmitResult> {
    if (!opts.owner) throw new TrainyardError(400, 'invalid_owner', 'owner is required');
    if (opts.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(opts.idempotencyKey)) {
      throw new TrainyardError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1–255 printable ASCII characters', [{ path: 'Idempotency-Key', message: 'invalid' }]);
    }
    const { submitted, spec } = this.prepare(specOrSingleJob);
    const jobId = opts.idempotencyKey !== undefined ? idempotentJobId(opts.owner, opts.idempotencyKey) : `job-${randomUUID()}`;
    const snapshot = this.buildSnapshot(jobId, opts.owner, submitted, spec);
    if (opts.idempotencyKey !== undefined) {
      // A closed job would otherwise be started again under the same id (the default reuse policy).
      const existing = await this.existingJob(jobId, snapshot.specHash);
      if (existing) return existing;
    }
    try {
      const handle = await startJobWorkflow(this.client, snapshot, { spec });
      return { id: jobId, created: true, specHash: snapshot.specHash, runId: (handle as { firstExecutionRunId?: string }).firstExecutionRunId };
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
      throw new JobConflictError('idempotency_conflict', `Idempotency-Key was already used for job ${jobId} with a different spec`);
    }
    return { id: jobId, created: false, specHash: existingHash ?? specHash, runId: desc.runId };
  }

  /** Describes a job workflow; not found (or another owner's, or not a job) → JobNotFoundError. */
  async describeJob(jobId: string, scope: OwnerScope = {}): Promise<WorkflowExecutionDescription> {
    let desc: WorkflowExecutionDescription;
    try {
      desc = await this.client.workflow.getHandle(jobId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5 || (err as { code?: number }).code === 3) throw new JobNotFoundError(jobId);
      throw err;
    }
    if (desc.type !== JOB_WORKFLOW_TYPE) throw new JobNotFoundError(jobId);
    if (scope.owner !== undefined && ownerOf(desc) !== scope.owner) throw new JobNotFoundError(jobId);
    return desc;
  }

  /**
   * The job's state: the progress query (works on closed workflows too) refined by describe's
   * pending activities. With `maxAgeMs`, concurrent and recent reads of the same job share one
   * describe + query (see StatusReuse); without it every call reads Temporal afresh.
   */
  async getJobStatus(jobId: string, scope: OwnerScope = {}, opts: { maxAgeMs?: number } = {}): Promise<JobView> {
    if (!opts.maxAgeMs || opts.maxAgeMs <= 0) return checkOwner(jobId, await this.readJobStatus(jobId), scope).view;
    return checkOwner(jobId, await this.statusReuse.get(jobId, opts.maxAgeMs, () => this.readJobStatus(jobId)), scope).view;
  }

  /** Forgets any shared status read of the job (after a control action, so no reader sees the state before it). */
  invalidateJobStatus(jobId: string): void {
    this.statusReuse.invalidate(jobId);
  }

  /** One describe + progress query, unscoped (callers check the owner). */
  private async readJobStatus(jobId: string): Promise<StatusRead> {
    const handle = this.client.workflow.getHandle(jobId);
    // Both at once: the query is the slow half (the job's worker answers it). Describe still decides
    // existence, type and owner: its error wins, and the query's answer is dropped with it.
    const query = this.client
      .withDeadline(Date.now() + (this.config.queryTimeoutMs ?? 5000), () => handle.query(progressQuery))
      .catch(() => undefined);
    const desc = await this.describeJob(jobId);
    const progress = await query;
    return { desc, view: buildJobView(jobId, desc, progress) };
  }

  /** Cancels the job (Temporal cancellation: running steps stop, the rest become cancelled). */
  async cancelJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    const desc = await this.describeJob(jobId, scope);
    if (desc.status.name !== 'RUNNING') {
      const status = jobStatusOf(desc);
      throw new JobConflictError('illegal_transition', `job is ${status}; it can no longer be cancelled`);
    }
    try {
      await this.client.workflow.getHandle(jobId).cancel();
    } finally {
      this.invalidateJobStatus(jobId);
    }
    return { id: jobId, status: jobStatusOf(desc), message: 'cancellation requested' };
  }

  async pauseJob(jobId: string, opts: PauseInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control(jobId, scope, 'paused', (h) => // The definitions have an optional argument, which executeUpdate's overloads don't take: go by name.
      h.executeUpdate<ControlResult, [PauseInput]>(pauseUpdate.name, { args: [{ mode: opts.mode ?? 'drain' }] }));
  }

  async resumeJob(jobId: string, scope: OwnerScope = {}): Promise<ControlOutcome> {
    return this.control(jobId, scope, 'resumed', (h) => h.executeUpdate(resumeUpdate));
  }

  async recoverJob(jobId: string, opts: RecoverInput = {}, scope: OwnerScope = {}): Promise<ControlOutcome> {
    const input: RecoverInput = opts.fromNode !== undefined ? { fromNode: opts.fromNode } : {};
    return this.control(jobId, scope, 'recovered', (h) => h.executeUpdate<ControlResult, [RecoverInput]>(recoverUpdate.name, { args: [input] }));
  }

  private async control(jobId: string, scope: OwnerScope, verb: string, run: (h: WorkflowHandle) => Promise<ControlResult>): Promise<ControlOutcome> {
    const desc = await this.describeJob(jobId, scope);
    if (desc.status.name !== 'RUNNING') throw new JobConflictError('illegal_transition', `job is ${jobStatusOf(desc)}; it can no longer be ${verb}`);
    try {
      const r = await run(this.client.workflow.getHandle(jobId));
      return { id: jobId, status: r.status, message: r.message };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const reason = err.cause?.message ?? err.message;
        throw new JobConflictError('illegal_transition', reason);
      }
      if (err instanceof WorkflowNotFoundError) throw new JobConflictError('illegal_transition', `job has finished; it can no longer be ${verb}`);
      throw err;
    } finally {
      this.invalidateJobStatus(jobId);
    }
  }

  /** The caller's jobs (or everyone's without an owner), newest first, one page at a time. */
  async listJobs(opts: ListJobsOptions = {}): Promise<JobPage> {
    const clauses = [`WorkflowType = ${q(JOB_WORKFLOW_TYPE)}`];
    if (opts.owner !== undefined) clauses.push(`JobOwner = ${q(opts.owner)}`);
    if (opts.status !== undefined) clauses.push(`JobStatus = ${q(opts.status)}`);
    if (opts.jobType !== undefined) clauses.push(`JobTypes = ${q(opts.jobType)}`);
    if (opts.tag !== undefined) clauses.push(`JobTags = ${q(opts.tag)}`);
    if (opts.recoverable !== undefined) clauses.push(`JobRecoverable = ${opts.recoverable ? 'true' : 'false'}`);
    // Only the latest run of each job (continue-as-new leaves closed runs behind).
    clauses.push(`ExecutionStatus != 'ContinuedAsNew'`);
    let nextPageToken: Uint8Array | undefined;
    if (opts.pageToken) {
      nextPageToken = Buffer.from(opts.pageToken, 'base64url');
      if (nextPageToken.length === 0) throw new TrainyardError(400, 'invalid_page_token', 'pageToken is not a token this API gave out', [{ path: 'pageToken', message: 'invalid' }]);
    }
    let res: temporal.api.workflowservice.v1.IListWorkflowExecutionsResponse;
    try {
      res = await this.client.workflowService.listWorkflowExecutions({
        namespace: this.client.options.namespace,
        pageSize: opts.pageSize ?? 50,
        nextPageToken,
        query: clauses.join(' AND '),
      });
    } catch (err) {
      if (opts.pageToken && (err as { code?: number }).code === 3) {
        throw new TrainyardError(400, 'invalid_page_token', 'pageToken is not a token this API gave out', [{ path: 'pageToken', message: 'invalid' }]);
      }
      throw err;
    }
    const jobs = (res.executions ?? []).map(summaryOf);
    const token = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString('base64url') : undefined;
    return { jobs, ...(token && { nextPageToken: token }) };
  }

  /** Failed jobs still open for `recover` (every page). */
  async listRecoverableJobs(opts: Omit<ListJobsOptions, 'recoverable' | 'pageToken'> = {}): Promise<JobSummary[]> {
    const out: JobSummary[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listJobs({ ...opts, recoverable: true, pageToken });
      out.push(...page.jobs);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /** The job folder, relative to the artifact root (`<outputDir>/<jobId>`), from the snapshot the job started with. */
  async jobDir(jobId: string, scope: OwnerScope = {}): Promise<string> {
    await this.describeJob(jobId, scope);
    const cached = this.jobDirs.get(jobId);
    if (cached) return cached;
    const snapshot = await this.getSnapshot(jobId);
    const outputDir = typeof snapshot?.spec.outputDir === 'string' ? snapshot.spec.outputDir : 'runs';
    const dir = `${outputDir}/${jobId}`;
    if (this.jobDirs.size > 10_000) this.jobDirs.clear();
    this.jobDirs.set(jobId, dir);
    return dir;
  }

  /** The snapshot the job (its latest run) started from: the input of its first history event. */
  async getSnapshot(jobId: string, scope: OwnerScope = {}): Promise<JobSnapshot | undefined> {
    if (scope.owner !== undefined) await this.describeJob(jobId, scope);
    const res = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace: this.client.options.namespace,
      execution: { workflowId: jobId },
      maximumPageSize: 1,
    });
    const payloads = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? undefined;
    const input = fromPayloadsAtIndex<JobWorkflowInput>(defaultPayloadConverter, 0, payloads);
    return input?.snapshot;
  }
}

function ownerOf(desc: WorkflowExecutionDescription): string | undefined {
  const sa = desc.typedSearchAttributes.get(SA.JobOwner);
  if (typeof sa === 'string') return sa;
  return typeof desc.memo?.owner === 'string' ? desc.memo.owner : undefined;
}

function jobStatusOf(desc: WorkflowExecutionDescription): JobStatus {
  const sa = desc.typedSearchAttributes.get(SA.JobStatus);
  if (desc.status.name === 'RUNNING' && typeof sa === 'string' && (JOB_STATUSES as readonly string[]).includes(sa)) return sa as JobStatus;
  return jobStatusFromWorkflow(desc.status.name);
}

function liveOf(pa: RawPendingActivity): LiveProgress | undefined {
  let details: StepHeartbeat | undefined;
  try {
    details = fromPayloadsAtIndex<StepHeartbeat>(defaultPayloadConverter, 0, pa.heartbeatDetails?.payloads ?? undefined);
  } catch {
    details = undefined;
  }
  if (!details || typeof details !== 'object') return undefined;
  const { checkpoint: _checkpoint, ...rest } = details;
  const at = tsToIso(pa.lastHeartbeatTime);
  return { ...rest, ...(at && { lastHeartbeatAt: at }) };
}

/** Merges the progress query's node states with describe's pending activities. */
export function buildJobView(jobId: string, desc: WorkflowExecutionDescription, progress: JobProgress | undefined): JobView {
  const pending = new Map<string, RawPendingActivity>();
  for (const pa of desc.raw.pendingActivities ?? []) if (pa.activityId) pending.set(nodeIdOfActivity(pa.activityId), pa);
  const memo = desc.memo ?? {};
  const workflow = {
    runId: desc.runId,
    status: desc.status.name,
    startTime: desc.startTime.toISOString(),
    ...(desc.closeTime && { closeTime: desc.closeTime.toISOString() }),
    historyLength: desc.historyLength,
  };
  const base = {
    id: jobId,
    owner: ownerOf(desc) ?? '',
    specHash: typeof memo.specHash === 'string' ? memo.specHash : undefined,
    submittedAt: typeof memo.submittedAt === 'string' ? memo.submittedAt : undefined,
    workflow,
  };
  if (!progress) {
    const status = jobStatusOf(desc);
    return {
      ...base,
      name: typeof memo.name === 'string' ? memo.name : jobId,
      status,
      recoverable: desc.typedSearchAttributes.get(SA.JobRecoverable) === true,
      progress: status === 'completed' ? 100 : 0,
      currentNodes: [],
      counts: {},
      recoveryAttempts: 0,
      recoveries: [],
      startedAt: workflow.startTime,
      completedAt: workflow.closeTime,
      runs: 1,
      nodes: [],
      source: 'describe',
    };
  }
  const nodes: NodeView[] = progress.nodes.map((n) => {
    const pa = pending.get(n.id);
    if (!pa || !['queued', 'running', 'retrying'].includes(n.status)) return { ...n };
    const view: NodeView = { ...n, attempt: pa.attempt ?? 1 };
    const live = liveOf(pa);
    if (live) view.live = live;
    const attempt = pa.attempt ?? 1;
    if (pa.state === PENDING_SCHEDULED) {
      if (attempt > 1) {
        view.status = 'retrying';
        view.attempts = Math.max(n.attempts, attempt);
        const msg = pa.lastFailure?.message;
        if (msg) view.lastFailure = msg;
        const next = tsToIso(pa.scheduledTime);
        if (next) view.nextAttemptAt = next;
      } else view.status = 'queued';
    } else if (pa.state === PENDING_STARTED || pa.state === PENDING_CANCEL_REQUESTED) {
      view.status = 'running';
      view.attempts = Math.max(n.attempts, attempt);
      if (attempt > 1 && pa.lastFailure?.message) view.lastFailure = pa.lastFailure.message;
    }
    return view;
  });
  return {
    ...base,
    name: progress.name,
    status: progress.status,
    recoverable: progress.recoverable,
    progress: progress.progress,
    currentNodes: progress.currentNodes,
    counts: progress.counts,
    recoveryAttempts: progress.recoveryAttempts,
    recoveries: progress.recoveries,
    ...(progress.recoverableUntil && { recoverableUntil: progress.recoverableUntil }),
    ...(progress.pauseMode && { pauseMode: progress.pauseMode }),
    startedAt: progress.startedAt,
    completedAt: progress.completedAt,
    runs: progress.runs,
    nodes,
    source: 'query',
  };
}

function summaryOf(e: RawExecution): JobSummary {
  const sa = decodeFields(e.searchAttributes?.indexedFields as Record<string, Payload> | undefined);
  const memo = decodeFields(e.memo?.fields as Record<string, Payload> | undefined);
  const wfStatus = WORKFLOW_STATUS_NAMES[Number(e.status ?? 0)] ?? 'UNSPECIFIED';
  const saStatus = typeof sa.JobStatus === 'string' && (JOB_STATUSES as readonly string[]).includes(sa.JobStatus) ? (sa.JobStatus as JobStatus) : undefined;
  const status = wfStatus === 'RUNNING' || (saStatus && TERMINAL_JOB_STATUSES.includes(saStatus)) ? (saStatus ?? 'running') : jobStatusFromWorkflow(wfStatus);
  const arr = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
  const closeTime = tsToIso(e.closeTime);
  return {
    id: e.execution?.workflowId ?? '',
    ...(typeof memo.name === 'string' && { name: memo.name }),
    ...(typeof sa.JobOwner === 'string' && { owner: sa.JobOwner }),
    status,
    types: arr(sa.JobTypes),
    tags: arr(sa.JobTags),
    ...(typeof sa.JobPriority === 'number' && { priority: sa.JobPriority }),
    recoverable: sa.JobRecoverable === true,
    startTime: tsToIso(e.startTime) ?? '',
    ...(closeTime && { closeTime }),
    workflowStatus: wfStatus,
  };
}
