// The job workflow: one per job (workflow id = job id), a deterministic interpreter of the job's
// DAG. Temporal does the retrying (each node's retry policy and timeouts become activity options);
// this code decides what runs when, and answers pause / resume / recover / cancel.
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { JobSpec, effectiveGpus, type NodeSpec } from '../src/domain/job-spec';
import {
  PauseInput,
  RecoverInput,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  recoverSignal,
  recoverUpdate,
  resumeSignal,
  resumeUpdate,
  type ControlResult,
} from '../src/domain/messages';
import type { NodeType } from '../src/domain/node-types';
import type { JobProgress, JobStatus, NodeError, RecoveryRecord } from '../src/domain/progress';
import { taskQueueFor } from '../src/domain/routing';
import { SA } from '../src/domain/search-attributes';
import type { JobSnapshot, JobWorkflowInput } from '../src/domain/snapshot';
import type { ArtifactRef, StepInput, StepOutput } from '../src/domain/step-io';
import { formatPath, validateJob, type ValidationResult } from '../src/domain/validate';
import { ArtifactRefSchema, CarriedState, JobState } from './job-state';

/** The step wrapper's type for a bad activity input (activities/define-step.ts); never retried. */
const INVALID_INPUT = 'TrainyardInvalidInput';

/** Target size of a continue-as-new input (snapshot + carried state); the hard limit is 2 MiB. */
const CARRY_BUDGET_BYTES = 1_400_000;

type StepActivity = (input: StepInput) => Promise<StepOutput>;

// One proxy; per-node options are given at the call site (executeWithOptions deep-merges them).
const steps = proxyActivities<Record<NodeType, StepActivity>>({ startToCloseTimeout: '30 minutes' });
/** Activity type = node type. */
const STEPS = {
  dataset: steps.dataset,
  split: steps.split,
  preprocess: steps.preprocess,
  train: steps.train,
  evaluate: steps.evaluate,
  export: steps.export,
  visualize: steps.visualize,
  command: steps.command,
} satisfies Record<NodeType, (typeof steps)[NodeType]>;

export async function jobWorkflow(input: JobWorkflowInput): Promise<JobProgress> {
  const { snapshot } = input;
  // The first run validates the whole graph; a continued run gets the same snapshot, so parsing
  // (defaults) is enough — full validation of a 10,000-node spec costs seconds on a busy worker.
  const validation = input.carried === undefined ? validateJob(snapshot.spec) : parseValidated(snapshot.spec);
  if (!validation.ok) {
    upsertSearchAttributes([{ key: SA.JobStatus, value: 'failed' }]);
    const errors = validation.errors;
    const listed = errors.slice(0, 20).map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ');
    throw ApplicationFailure.create({
      type: 'TrainyardInvalidSpec',
      nonRetryable: true,
      message: `invalid job spec (${errors.length} error${errors.length === 1 ? '' : 's'}): ${listed}${errors.length > 20 ? '; …' : ''}`,
      details: [errors.slice(0, 200)],
    });
  }
  let carried: CarriedState | undefined;
  if (input.carried !== undefined) {
    const parsed = CarriedState.safeParse(input.carried);
    if (!parsed.success) throw ApplicationFailure.create({ type: 'TrainyardBadCarriedState', nonRetryable: true, message: `bad continue-as-new state: ${parsed.error.message}` });
    carried = parsed.data;
  }
  const run = new JobRun(snapshot, validation.spec, carried);
  run.installHandlers();
  return run.execute();
}

type PauseMode = 'drain' | 'now';

class JobRun {
  private readonly state: JobState;
  private readonly runs: number;
  private readonly startedAtMs: number;
  private recoveryAttempts: number;
  private readonly recoveries: RecoveryRecord[];
  private pauseMode: PauseMode | undefined;
  private failFastTripped: boolean;
  /** Set while a failed job waits for `recover`. */
  private recoverableUntilMs: number | undefined;
  private final: 'completed' | 'failed' | 'cancelled' | undefined;
  private finalAtMs: number | undefined;
  private cancelling = false;
  private drainingForContinueAsNew = false;
  private started = false;
  /** Something changed: the main loop should look again. */
  private wake = false;
  private readonly scopes = new Map<number, CancellationScope>();
  /** Nodes being stopped by `pause now` (their cancellation makes them `paused`, not `cancelled`). */
  private readonly pausing = new Set<number>();
  private lastUpsert: string | undefined;

  constructor(
    private readonly snapshot: JobSnapshot,
    private readonly spec: JobSpec,
    carried: CarriedState | undefined,
  ) {
    this.state = new JobState(spec, (n) => taskQueueFor(n, snapshot.queuePrefix, snapshot.pools));
    if (carried) this.state.restore(carried.nodes, carried.startedAtMs);
    this.state.rebuildReady();
    this.runs = carried?.runs ?? 1;
    this.startedAtMs = carried?.startedAtMs ?? Date.now();
    this.recoveryAttempts = carried?.recoveryAttempts ?? 0;
    this.recoveries = carried?.recoveries ?? [];
    this.pauseMode = carried?.pauseMode;
    this.failFastTripped = carried?.failFastTripped ?? false;
  }

  // ---- status ----

  status(): JobStatus {
    if (this.final) return this.final;
    if (this.cancelling) return 'cancelled';
    if (this.pauseMode) return 'paused';
    if (this.recoverableUntilMs !== undefined) return 'failed';
    return this.started ? 'running' : 'queued';
  }

  private recoverable(): boolean {
    return this.recoverableUntilMs !== undefined && !this.final;
  }

  /** Upserts the search attributes when the job status or recoverability changed. */
  private syncSearchAttributes(): void {
    const status = this.status();
    const recoverable = this.recoverable();
    const key = `${status}/${recoverable}`;
    if (key === this.lastUpsert) return;
    this.lastUpsert = key;
    upsertSearchAttributes([
      { key: SA.JobStatus, value: status },
      { key: SA.JobRecoverable, value: recoverable },
      { key: SA.JobTypes, value: [...new Set(this.spec.nodes.map((n) => n.type))].sort() },
      { key: SA.JobOwner, value: this.snapshot.owner },
      { key: SA.JobTags, value: this.spec.tags },
      { key: SA.JobPriority, value: this.spec.priority },
    ]);
  }

  progress(): JobProgress {
    return this.state.toProgress({
      jobId: this.snapshot.jobId,
      name: this.spec.name,
      status: this.status(),
      recoverable: this.recoverable(),
      recoveryAttempts: this.recoveryAttempts,
      recoveries: this.recoveries,
      ...(this.recoverableUntilMs !== undefined && { recoverableUntil: new Date(this.recoverableUntilMs).toISOString() }),
      ...(this.pauseMode && { pauseMode: this.pauseMode }),
      startedAt: new Date(this.startedAtMs).toISOString(),
      ...(this.finalAtMs !== undefined && { completedAt: new Date(this.finalAtMs).toISOString() }),
      runs: this.runs,
    });
  }

  // ---- main loop ----

  async execute(): Promise<JobProgress> {
    try {
      return await this.loop();
    } catch (err) {
      if (isCancellation(err)) await this.finishCancelled();
      throw err;
    }
  }

  private async loop(): Promise<JobProgress> {
    this.started = true;
    for (;;) {
      if (!this.drainingForContinueAsNew && workflowInfo().continueAsNewSuggested) {
        this.drainingForContinueAsNew = true;
        log.info('continue-as-new suggested: letting running nodes finish', { running: this.state.running, historyLength: workflowInfo().historyLength });
      }
      if (!this.pauseMode && !this.drainingForContinueAsNew) this.fillSlots();
      this.syncSearchAttributes();
      if (this.state.running === 0) {
        if (this.state.allCompleted()) return this.finishCompleted();
        if (this.drainingForContinueAsNew) return this.continueAsNew();
        if (!this.pauseMode && !this.state.hasReady()) {
          await this.awaitRecovery();
          continue;
        }
      }
      this.wake = false;
      await condition(() => this.wake);
    }
  }

  private fillSlots(): void {
    while (this.state.running < this.spec.parallelism) {
      const i = this.state.takeReady();
      if (i === undefined) return;
      this.startNode(i);
    }
  }

  private startNode(i: number): void {
    const node = this.state.node(i);
    const checkpoint = node.checkpoint;
    const execution = this.state.markStarted(i, Date.now());
    const input: StepInput = {
      jobId: this.snapshot.jobId,
      nodeId: node.spec.id,
      nodeType: node.spec.type,
      config: node.spec.config,
      upstream: this.upstreamOf(node.parents),
      outputDir: `${this.spec.outputDir}/${this.snapshot.jobId}`,
      resources: { gpus: effectiveGpus(node.spec), gpuMemoryGb: node.spec.resources.gpuMemoryGb },
      ...(this.snapshot.pools[node.spec.id] !== undefined && { pool: this.snapshot.pools[node.spec.id] }),
      priority: this.spec.priority,
      ...(checkpoint && { checkpoint }),
    };
    const options = this.activityOptions(node.spec, node.taskQueue, execution);
    // Each node runs in its own scope so pause-now and failFast can stop it alone; the scope is a
    // child of the workflow's root scope, so cancelling the workflow cancels it too.
    const scope = new CancellationScope();
    this.scopes.set(i, scope);
    void scope.run(() => STEPS[node.spec.type].executeWithOptions(options, [input])).then(
      (output) => this.onNodeCompleted(i, output),
      (err: unknown) => this.onNodeFailed(i, err),
    );
  }

  private upstreamOf(parents: number[]): Record<string, StepOutput> {
    const upstream: Record<string, StepOutput> = {};
    for (const p of parents) {
      const parent = this.state.node(p);
      if (parent.output) upstream[parent.spec.id] = parent.output;
    }
    return upstream;
  }

  private activityOptions(node: NodeSpec, taskQueue: string, execution: number): ActivityOptions {
    const r = node.retry;
    return {
      activityId: `${node.id}#${execution}`,
      taskQueue,
      startToCloseTimeout: node.timeout.startToClose ?? this.snapshot.defaults.stepTimeoutMs,
      heartbeatTimeout: node.timeout.heartbeat ?? this.snapshot.defaults.heartbeatTimeoutMs,
      ...(node.timeout.scheduleToStart !== undefined && { scheduleToStartTimeout: node.timeout.scheduleToStart }),
      // Explicit: an unset cancellationType is sent as TRY_CANCEL, which would not wait for the
      // step to stop its subprocess.
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      retry: {
        maximumAttempts: r.maxAttempts,
        initialInterval: r.initialInterval,
        backoffCoefficient: r.backoffCoefficient,
        // The server rejects a maximum below the initial interval.
        maximumInterval: Math.max(r.maxInterval, r.initialInterval),
        nonRetryableErrorTypes: [...new Set([...r.nonRetryableErrors, INVALID_INPUT])],
      },
      priority: { priorityKey: this.spec.priority },
      summary: `${node.type} ${node.id}`,
    };
  }

  private onNodeCompleted(i: number, output: StepOutput): void {
    this.scopes.delete(i);
    this.pausing.delete(i);
    this.state.markCompleted(i, output, Date.now());
    this.wake = true;
  }

  private onNodeFailed(i: number, err: unknown): void {
    this.scopes.delete(i);
    const wasPausing = this.pausing.delete(i);
    const now = Date.now();
    if (isCancellation(err)) {
      if (wasPausing && !this.cancelling) {
        this.state.markPaused(i, checkpointOf(err), now);
        // Resumed before this node finished stopping: it restarts at once.
        if (!this.pauseMode) this.state.requeuePaused([i]);
      } else this.state.markCancelled(i, now);
    } else {
      const node = this.state.node(i);
      const { error, attempts } = describeFailure(err, node.spec.retry.maxAttempts);
      this.state.markFailed(i, error, attempts, now);
      const skipped = this.state.skipDescendants(i);
      log.warn('node failed', { node: node.spec.id, error: error.message, attempts, skipped });
      if (this.spec.failurePolicy === 'failFast' && !this.failFastTripped) {
        this.failFastTripped = true;
        this.state.skipAllPending();
        for (const scope of this.scopes.values()) scope.cancel();
      }
    }
    this.wake = true;
  }

  // ---- ends ----

  private async finishCompleted(): Promise<JobProgress> {
    this.final = 'completed';
    this.finalAtMs = Date.now();
    this.syncSearchAttributes();
    await condition(allHandlersFinished);
    return this.progress();
  }

  /** A failed job stays open for `recover` while the window is open and recoveries remain. */
  private async awaitRecovery(): Promise<void> {
    const left = this.spec.maxRecoveryAttempts - this.recoveryAttempts;
    if (this.spec.recoveryWindow <= 0 || left <= 0) return this.finishFailed();
    this.recoverableUntilMs = Date.now() + this.spec.recoveryWindow;
    this.syncSearchAttributes();
    log.info('job failed; waiting for recover', { failed: this.state.failedNodeIds().slice(0, 20), recoveryWindowMs: this.spec.recoveryWindow, recoveriesLeft: left });
    const recovered = await condition(() => this.recoverableUntilMs === undefined, this.spec.recoveryWindow);
    if (!recovered) return this.finishFailed();
  }

  private async finishFailed(): Promise<never> {
    this.recoverableUntilMs = undefined;
    this.final = 'failed';
    this.finalAtMs = Date.now();
    this.syncSearchAttributes();
    await condition(allHandlersFinished);
    const failed = this.state.failedNodeIds();
    const names = failed.slice(0, 10).join(', ') + (failed.length > 10 ? `, … (${failed.length} in all)` : '');
    const why = failed.length ? `node${failed.length === 1 ? '' : 's'} ${names} failed` : `${this.state.counts.cancelled} node(s) cancelled`;
    throw ApplicationFailure.create({ type: 'TrainyardJobFailed', nonRetryable: true, message: `job failed: ${why}` });
  }

  /** Workflow cancellation: wait for running steps to stop (they stop their subprocesses), then end cancelled. */
  private async finishCancelled(): Promise<void> {
    this.cancelling = true;
    await CancellationScope.nonCancellable(async () => {
      for (const scope of this.scopes.values()) scope.cancel();
      this.syncSearchAttributes();
      await condition(() => this.state.running === 0);
      const now = Date.now();
      for (const n of this.state.nodes) {
        if (n.status === 'pending' || n.status === 'paused' || n.status === 'queued' || n.status === 'running' || n.status === 'retrying') this.state.markCancelled(n.index, now);
      }
      this.final = 'cancelled';
      this.finalAtMs = Date.now();
      this.syncSearchAttributes();
      await condition(allHandlersFinished);
    });
  }

  private async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    const carried: CarriedState = {
      v: 1,
      runs: this.runs + 1,
      startedAtMs: this.startedAtMs,
      recoveryAttempts: this.recoveryAttempts,
      recoveries: this.recoveries,
      ...(this.pauseMode && { pauseMode: this.pauseMode }),
      failFastTripped: this.failFastTripped,
      nodes: this.state.carry(this.startedAtMs, this.carriedOutputBudget()),
    };
    log.info('continuing as new', { run: this.runs + 1, completed: this.state.counts.completed, nodes: this.state.size });
    const next = makeContinueAsNewFunc<typeof jobWorkflow>({ workflowTaskTimeout: workflowInfo().taskTimeoutMs });
    return next({ snapshot: this.snapshot, carried });
  }

  /** What is left for carried outputs so the next run's input stays well under Temporal's 2 MiB payload limit. */
  private carriedOutputBudget(): number {
    const fixed = JSON.stringify(this.snapshot).length + this.state.size * 24;
    return Math.max(64 * 1024, CARRY_BUDGET_BYTES - fixed);
  }

  // ---- control: pause / resume / recover ----

  installHandlers(): void {
    setHandler(progressQuery, () => this.progress());

    setHandler(pauseSignal, (arg) => this.fromSignal('pause', () => this.pause(parseOrThrow(PauseInput, arg))));
    setHandler(resumeSignal, () => this.fromSignal('resume', () => this.resume()));
    setHandler(recoverSignal, (arg) => this.fromSignal('recover', () => this.recover(parseOrThrow(RecoverInput, arg))));

    setHandler(pauseUpdate, (arg?: PauseInput) => this.pause(PauseInput.parse(arg ?? {})), {
      validator: (arg?: PauseInput) => rejectIf(this.pauseRejection(parseOrThrow(PauseInput, arg))),
    });
    setHandler(resumeUpdate, () => this.resume(), { validator: () => rejectIf(this.resumeRejection()) });
    setHandler(recoverUpdate, (arg?: RecoverInput) => this.recover(RecoverInput.parse(arg ?? {})), {
      validator: (arg?: RecoverInput) => rejectIf(this.recoverRejection(parseOrThrow(RecoverInput, arg))),
    });
  }

  /** Signals cannot answer: an illegal or malformed one is logged and ignored. */
  private fromSignal(name: string, apply: () => ControlResult): void {
    try {
      const r = apply();
      log.info(`signal ${name}: ${r.message}`);
    } catch (err) {
      log.warn(`signal ${name} ignored: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private notActive(): string | undefined {
    const s = this.status();
    if (this.final || this.cancelling) return `job is ${s}`;
    return undefined;
  }

  private pauseRejection(input: { mode: PauseMode }): string | undefined {
    const inactive = this.notActive();
    if (inactive) return `${inactive}; only a running job can be paused`;
    if (this.recoverableUntilMs !== undefined) return 'job has failed (waiting for recover); only a running job can be paused';
    if (this.pauseMode === 'now' || (this.pauseMode === 'drain' && input.mode === 'drain')) return `job is already paused (mode ${this.pauseMode})`;
    return undefined;
  }

  private resumeRejection(): string | undefined {
    const inactive = this.notActive();
    if (inactive) return `${inactive}; only a paused job can be resumed`;
    if (!this.pauseMode) return `job is ${this.status()}, not paused`;
    return undefined;
  }

  private recoverRejection(input: { fromNode?: string }): string | undefined {
    const inactive = this.notActive();
    if (inactive) return `${inactive}; only a failed, recoverable job can be recovered`;
    if (this.recoverableUntilMs === undefined) return `job is ${this.status()}, not failed; only a failed, recoverable job can be recovered`;
    if (this.recoveryAttempts >= this.spec.maxRecoveryAttempts) return `no recovery attempts left (${this.recoveryAttempts} of ${this.spec.maxRecoveryAttempts} used)`;
    if (input.fromNode !== undefined && !this.state.byId.has(input.fromNode)) return `unknown node "${input.fromNode}"`;
    return undefined;
  }

  private pause(input: { mode: PauseMode }): ControlResult {
    rejectIf(this.pauseRejection(input));
    this.pauseMode = input.mode;
    let stopping = 0;
    if (input.mode === 'now') {
      for (const [i, scope] of this.scopes) {
        this.pausing.add(i);
        scope.cancel();
        stopping++;
      }
    }
    this.wake = true;
    this.syncSearchAttributes();
    const message =
      input.mode === 'now'
        ? `paused now: ${stopping} running node(s) checkpoint and stop; they continue from their checkpoints on resume`
        : `paused: nothing new starts; ${this.state.running} running node(s) finish`;
    return { status: this.status(), message };
  }

  private resume(): ControlResult {
    rejectIf(this.resumeRejection());
    this.pauseMode = undefined;
    const restarted = this.state.requeuePaused();
    this.wake = true;
    this.syncSearchAttributes();
    return { status: this.status(), message: `resumed${restarted ? `: ${restarted} paused node(s) restart from their checkpoints` : ''}` };
  }

  private recover(input: { fromNode?: string }): ControlResult {
    rejectIf(this.recoverRejection(input));
    const reset = this.state.recoverySet(input.fromNode);
    this.state.reset(reset);
    this.recoveryAttempts++;
    this.failFastTripped = false;
    const nodes = reset.map((i) => this.state.node(i).spec.id);
    this.recoveries.push({ at: new Date(Date.now()).toISOString(), ...(input.fromNode !== undefined && { fromNode: input.fromNode }), nodes });
    this.recoverableUntilMs = undefined;
    this.wake = true;
    this.syncSearchAttributes();
    return { status: this.status(), message: `recovering: ${nodes.length} node(s) reset to pending (recovery ${this.recoveryAttempts} of ${this.spec.maxRecoveryAttempts})` };
  }
}

// ---- helpers ----

function parseValidated(spec: unknown): ValidationResult {
  const r = JobSpec.safeParse(spec);
  return r.success ? { ok: true, spec: r.data } : { ok: false, errors: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

function rejectIf(reason: string | undefined): void {
  if (reason) throw new Error(reason);
}

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, arg: unknown): T {
  const r = schema.safeParse(arg ?? {});
  if (r.success) return r.data;
  throw new Error(`invalid input: ${r.error.issues.map((i) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join('; ')}`);
}

/** The checkpoint a step reported when it was cancelled (details[0] is its last StepHeartbeat). */
function checkpointOf(err: unknown): ArtifactRef | undefined {
  const cancelled = err instanceof ActivityFailure ? err.cause : err;
  if (!(cancelled instanceof CancelledFailure)) return undefined;
  const hb: unknown = cancelled.details[0];
  if (typeof hb !== 'object' || hb === null || !('checkpoint' in hb)) return undefined;
  const cp = ArtifactRefSchema.safeParse(hb.checkpoint);
  return cp.success ? cp.data : undefined;
}

function describeFailure(err: unknown, maxAttempts: number): { error: NodeError; attempts: number } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (!(cause instanceof Error)) return { error: { message: String(cause) }, attempts: maxAttempts };
  let type = cause.name;
  let attempts = maxAttempts;
  if (cause instanceof ApplicationFailure) {
    type = cause.type ?? 'Error';
    const meta: unknown = cause.details?.[0];
    if (typeof meta === 'object' && meta !== null && 'attempt' in meta && typeof meta.attempt === 'number') attempts = meta.attempt;
  } else if (cause instanceof TimeoutFailure) {
    type = `Timeout:${cause.timeoutType}`;
  }
  return { error: { message: cause.message, type, ...(cause.stack && { stack: cause.stack }) }, attempts };
}
