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
  getExternalWorkflowHandle,
  makeContinueAsNewFunc,
  patched,
  Trigger,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { askedLimits } from '../src/domain/step-limits';
import { stepActivityOptions } from '../src/domain/activity-options';
import { costOf, type CreditActivities, type JobCredits, type JobOutcome } from '../src/domain/credits';
import { JobSpec, effectiveGpus, type NodeSpec } from '../src/domain/job-spec';
import {
  NODES_QUERY_BUDGET_BYTES,
  NodesQueryInput,
  PauseInput,
  RecoverInput,
  nodesQuery,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  recoverSignal,
  recoverUpdate,
  resumeSignal,
  resumeUpdate,
  upgradeSignal,
  trialMetricSignal,
  type ControlResult,
} from '../src/domain/messages';
import type { NodeType } from '../src/domain/node-types';
import {
  NOTIFY_FAILURES,
  notificationId,
  type NotificationDelivery,
  type NotifyAnswer,
  type NotifyCall,
  type NotifyEvent,
  type NotifyPayload,
  type SnapshotNotify,
} from '../src/domain/notify';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { itemSpec, listAt } from '../src/domain/foreach';
import { TrialMetricReport, medianStops, type GroupMetrics } from '../src/domain/early-stop';
import { trialNodeId, type EarlyStop } from '../src/domain/sweep-spec';
import { detailsMessage, issueDetails, parseOrThrow } from '../src/domain/issues';
import type { JobProgress, NodeError, PauseMode, RecoveryRecord } from '../src/domain/progress';
import {
  leaseGrantedSignal,
  leaseIdOf,
  quotaWorkflowId,
  releaseLeaseSignal,
  type QuotaActivities,
} from '../src/domain/quota';
import { taskQueueFor } from '../src/domain/routing';
import { SA } from '../src/domain/search-attributes';
import { DEFAULT_POOL, queueNames } from '../src/domain/task-queues';
import { effectiveCache, type CacheActivities, type EffectiveCache } from '../src/domain/step-cache';
import { PlanChunk, expandPlan, type SnapshotActivities } from '../src/domain/job-plan-chunks';
import {
  isRefInput,
  jobDirOf,
  type JobSnapshot,
  type JobWorkflowInput,
  type RefJobInput,
} from '../src/domain/snapshot';
import { ACTIVE_NODE_STATUSES, type JobStatus } from '../src/domain/statuses';
import {
  StepMeta,
  parseHeartbeat,
  type ArtifactRef,
  type StepHeartbeat,
  type StepInput,
  type StepOutput,
  type StepUsage,
} from '../src/domain/step-io';
import { validateJob, type ValidationResult } from '../src/domain/validate';
import { CarriedState, JobState } from './job-state';
import { measuredUsage } from './job-usage';

/**
 * Patches (replay safety: runs recorded before them replay on the old path).
 * - CPU steps go to the workflow's own task queue, so the worker that runs the workflow task gets the
 *   step back eagerly with its response (src/domain/task-queues.ts).
 * - The main loop sleeps on a Trigger the completions resolve, instead of `condition()`: one call
 *   into the workflow sandbox less per workflow task (the SDK re-enters the sandbox to re-check
 *   conditions until none is unblocked; each entry costs a V8 watchdog thread).
 */
const PATCH_CPU_ON_WORKFLOW_QUEUE = 'cpu-steps-on-workflow-queue';
const PATCH_WAKE_TRIGGER = 'wake-trigger';
/** Credits on (snapshot.credits): the job settles its reservation with its account entity at its end. */
const PATCH_CREDITS_SETTLE = 'credits-settle';
/**
 * A failed (or cancelled) node keeps the checkpoint its execution reported, and `recover` hands it
 * to the next execution unless asked `fromScratch` (before it, recover always started from scratch).
 */
const PATCH_RECOVER_RESUMES = 'recover-resumes-from-checkpoint';
/**
 * A `select` node's input names its candidates (every parent's status and GPU time). No run
 * recorded before it can hold a select node (the type did not exist); the marker keeps the rule.
 */
const PATCH_SELECT_CANDIDATES = 'select-candidates';
/**
 * Dynamic fan-out: a `foreach` node expands, when it becomes ready, into in-run item nodes.
 * Why in-run nodes and not a child workflow per map: items are then ordinary nodes — pause,
 * pause-now, cancel, recover, GPU quotas, retries, the views and the stream all apply to them
 * unchanged — and the job's existing continue-as-new keeps history bounded: a run drains its
 * in-flight items and continues as new with the map still open (the list and every item's state
 * are carried; the next run rebuilds the same item nodes from the list, deterministically). A map
 * node never blocks that drain, so a 10,000-item map spans as many runs as its history needs. A
 * child workflow would need its own copy of all of that, and signals back and forth to keep pause
 * and recover working. No recorded run can hold a foreach (the field is new); the marker keeps the rule.
 */
const PATCH_FOREACH = 'foreach';
/**
 * Sweeps with minSuccessRatio < 1 or earlyStop: fan-ins over the trials tolerate trials that did
 * not complete (JobState sweepTolerance), trials report their metric (StepInput.report) and the
 * median rule stops the losers (status `stopped`). Asked only for such jobs, so no other job's
 * history gets the marker.
 */
const PATCH_SWEEP_TOLERANCE = 'sweep-tolerance';
/**
 * Notifications (snapshot.notify): a `deliverNotification` activity per target and event (completed,
 * failed, cancelled, waiting_for_recover). Asked only for jobs with targets, so no other job's history
 * gets the marker.
 */
const PATCH_NOTIFY = 'notify';

/**
 * The step cache: a node with `cache` (its own or the job's) is looked up before it runs (the
 * cacheLookup activity, CPU queue: a hit uses no GPU and no lease) and stored after it completes
 * (cacheStore). Asked only for jobs that name `cache`, so no other job's history gets the marker.
 */
const PATCH_STEP_CACHE = 'step-cache';

/**
 * Snapshots by reference (src/snapshots/): a job whose snapshot is over SNAPSHOT_INLINE_MAX_BYTES
 * starts with {header, snapshotRef} and each run loads its plan by hash (loadPlan below).
 */
const PATCH_SNAPSHOT_BY_REF = 'snapshot-by-ref';

/** Target size of a continue-as-new input (snapshot + carried state); the hard limit is 2 MiB. */
const CARRY_BUDGET_BYTES = 1_400_000;

type StepActivity = (input: StepInput) => Promise<StepOutput>;

// Lookups and stores copy objects in the store: a few attempts, then the node runs uncached.
const cacheSteps = proxyActivities<CacheActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

// The plan of a snapshot passed by reference, from the worker that runs the workflow (its own
// queue: eager dispatch, and the worker's plan cache). Validation of a 50,000-node spec takes
// seconds, hence the timeout; a missing or corrupt snapshot is not retried.
const snapshots = proxyActivities<SnapshotActivities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    maximumAttempts: 5,
    initialInterval: '1 second',
    nonRetryableErrorTypes: [FAILURE_TYPES.SnapshotUnavailable],
  },
});

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
  select: steps.select,
} satisfies Record<NodeType, (typeof steps)[NodeType]>;

// Local activities of the workflows Worker (src/quota/quota-activities.ts): the quota entity's
// answer is needed before the node can be scheduled. Retried until it answers.
const quota = proxyLocalActivities<QuotaActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

// The account entity's answer ends the job: retried until it comes (a lost settlement would lose a charge).
const credit = proxyLocalActivities<CreditActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** The notification activity, with the deployment's retry policy recorded in the snapshot. */
function notifyActivities(cfg: SnapshotNotify) {
  return proxyActivities<{ deliverNotification(call: NotifyCall): Promise<NotifyAnswer> }>({
    startToCloseTimeout: cfg.attemptTimeoutMs + 5_000,
    retry: {
      initialInterval: cfg.retry.initialIntervalMs,
      maximumInterval: cfg.retry.maxIntervalMs,
      backoffCoefficient: cfg.retry.backoffCoefficient,
      maximumAttempts: cfg.retry.maxAttempts,
      nonRetryableErrorTypes: [NOTIFY_FAILURES.Refused, NOTIFY_FAILURES.Rejected],
    },
  });
}

export async function jobWorkflow(input: JobWorkflowInput): Promise<JobProgress> {
  const first = input.carried === undefined;
  let snapshot: RunSnapshot;
  let validation: ValidationResult;
  let next: (carried: CarriedState) => JobWorkflowInput;
  let inputBytes: number;
  if (isRefInput(input) && patched(PATCH_SNAPSHOT_BY_REF)) {
    // Only inputs written by startJobWorkflow's by-reference path get here (no recorded run has
    // one); the marker names the runs that load their plan.
    const loaded = await loadPlan(input, first);
    validation = loaded;
    snapshot = { ...input.header, pools: loaded.ok ? loaded.pools : {} };
    const { carried: _c, ...rest } = input;
    next = (carried) => ({ ...rest, carried });
    inputBytes = JSON.stringify(rest).length;
  } else if (isRefInput(input)) {
    throw ApplicationFailure.nonRetryable(
      'a by-reference input replayed without its marker',
      FAILURE_TYPES.InvalidSpec,
    );
  } else {
    // The first run validates the whole graph; a continued run gets the same snapshot, so parsing
    // (defaults) is enough — full validation of a 10,000-node spec costs seconds on a busy worker.
    validation = first ? validateJob(input.snapshot.spec) : parseValidated(input.snapshot.spec);
    snapshot = input.snapshot;
    next = (carried) => ({ snapshot: input.snapshot, carried });
    inputBytes = JSON.stringify(input.snapshot).length;
  }
  if (!validation.ok) {
    upsertSearchAttributes([{ key: SA.JobStatus, value: 'failed' }]);
    const errors = validation.errors;
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.InvalidSpec,
      nonRetryable: true,
      message: `invalid job spec (${errors.length} error${errors.length === 1 ? '' : 's'}): ${detailsMessage(errors)}`,
      details: [errors.slice(0, 200)],
    });
  }
  let carried: CarriedState | undefined;
  if (input.carried !== undefined) {
    const parsed = CarriedState.safeParse(input.carried);
    if (!parsed.success)
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.BadCarriedState,
        nonRetryable: true,
        message: `bad continue-as-new state: ${detailsMessage(issueDetails(parsed.error.issues))}`,
      });
    carried = parsed.data;
  }
  const run = new JobRun(snapshot, validation.spec, carried, { next, inputBytes });
  run.installHandlers();
  return run.execute();
}

/** What a run needs of its snapshot (the spec comes parsed, separately). */
type RunSnapshot = Omit<JobSnapshot, 'spec'>;

/**
 * Loads the compact plan of a snapshot passed by reference (src/domain/job-plan-chunks.ts): chunk 0
 * says how many there are, the rest come at once. Each chunk is one activity result (≤ 256 Ki
 * characters, far under the 2 MiB payload limit), so a 50,000-node plan is a handful of results
 * of this run's history, never one payload; the worker keeps the built plan by hash, so a chunk
 * costs a lookup, not a read of the store.
 */
async function loadPlan(
  input: RefJobInput,
  validate: boolean,
): Promise<(ValidationResult & { ok: false }) | { ok: true; spec: JobSpec; pools: Record<string, string> }> {
  const ref = { sha256: input.snapshotRef.sha256, size: input.snapshotRef.size, key: input.snapshotRef.key };
  const head = PlanChunk.parse(await snapshots.loadPlanChunk({ ref, index: 0, validate }));
  if (head.errors) return { ok: false, errors: head.errors };
  const rest = await Promise.all(
    Array.from({ length: head.count - 1 }, (_, k) => snapshots.loadPlanChunk({ ref, index: k + 1, validate: false })),
  );
  const chunks = [head, ...rest.map((c) => PlanChunk.parse(c))];
  const text = chunks.map((c) => c.text).join('');
  if (
    chunks.some((c, k) => c.index !== k || c.count !== head.count || c.sha256 !== ref.sha256) ||
    text.length !== head.chars
  )
    throw ApplicationFailure.nonRetryable(
      `the plan of snapshot ${ref.sha256} came back inconsistent (${chunks.length} chunks, ${text.length} of ${head.chars} characters)`,
      FAILURE_TYPES.SnapshotUnavailable,
    );
  return { ok: true, ...expandPlan(text) };
}

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
  /** New path: the loop awaits this; wakeUp() resolves it. Old path: undefined, the loop uses condition(). */
  private wakeTrigger: Trigger<void> | undefined;
  private readonly useWakeTrigger: boolean;
  /** New path: failed/cancelled nodes keep their checkpoint and recover resumes from it. */
  private readonly resumeOnRecover: boolean;
  /** Nodes waiting for a GPU quota lease: since when (their wait counts as GPU wait). */
  private readonly quotaWaitSince = new Map<number, number>();
  private readonly scopes = new Map<number, CancellationScope>();
  /** Nodes being stopped by `pause now` (their cancellation makes them `paused`, not `cancelled`). */
  private readonly pausing = new Set<number>();
  private readonly sweepTolerance: boolean;
  /** Step cache on (patched 'step-cache'): the queue its activities run on. */
  private readonly cacheQueue: string | undefined;
  /** Early stopping: per sweep group, per trial index, the metric at each reported epoch (from trialMetric signals). */
  private readonly trialMetrics = new Map<string, GroupMetrics>();
  /** Trials being stopped early, with why (their cancellation makes them `stopped`). */
  private readonly stopping = new Map<number, NodeError>();
  /** Nodes waiting for a GPU lease that are being taken back to pending (pause, continue-as-new). */
  private readonly withdrawing = new Set<number>();
  /** GPU leases asked for by running nodes (quotas on), by lease id; `granted` once the entity said so. */
  private readonly leases = new Map<string, { node: number; pool: string; granted: boolean }>();
  private readonly leaseOfNode = new Map<number, string>();
  /** Release signals in flight: the run does not end before they are sent. */
  private readonly releases = new Set<Promise<void>>();
  private lastUpsert: string | undefined;
  /** Credits on: the reservation made at submit, and the settlement once the job ended. */
  private credits: JobCredits | undefined;
  /** Notifications on (snapshot.notify with targets, patched): each delivery's outcome, by id. */
  private readonly notifyOn: boolean;
  private readonly deliveries = new Map<string, NotificationDelivery>();
  /** Deliveries in flight: the run does not end before they finished. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly snapshot: RunSnapshot,
    private readonly spec: JobSpec,
    carried: CarriedState | undefined,
    /** The next run's input around a carried state, and the bytes of that input without it. */
    private readonly nextRun: { next: (carried: CarriedState) => JobWorkflowInput; inputBytes: number },
  ) {
    const legacyCpuQueue = !patched(PATCH_CPU_ON_WORKFLOW_QUEUE);
    this.useWakeTrigger = patched(PATCH_WAKE_TRIGGER);
    this.resumeOnRecover = patched(PATCH_RECOVER_RESUMES);
    const wantsTolerance = Object.values(spec.sweeps ?? {}).some((g) => g.minSuccessRatio < 1 || g.earlyStop);
    this.sweepTolerance = wantsTolerance && patched(PATCH_SWEEP_TOLERANCE);
    this.notifyOn = (snapshot.notify?.targets.length ?? 0) > 0 && patched(PATCH_NOTIFY);
    for (const d of carried?.notifications ?? []) this.deliveries.set(d.id, d);
    const wantsCache = spec.cache !== undefined || spec.nodes.some((n) => n.cache !== undefined);
    const q = queueNames(snapshot.queuePrefix);
    this.cacheQueue = wantsCache && patched(PATCH_STEP_CACHE) ? (legacyCpuQueue ? q.legacyCpu : q.cpu) : undefined;
    this.state = new JobState(spec, (n) => taskQueueFor(n, snapshot.queuePrefix, snapshot.pools, { legacyCpuQueue }), {
      sweepTolerance: this.sweepTolerance,
    });
    for (const [group, byIndex] of Object.entries(carried?.trialMetrics ?? {}))
      this.trialMetrics.set(group, new Map(Object.entries(byIndex).map(([t, pairs]) => [Number(t), new Map(pairs)])));
    if (carried)
      this.state.restore(carried.nodes, carried.startedAtMs, (map, items) => {
        const specs = itemSpecs(map.spec, items);
        if (typeof specs === 'string') throw new Error(`carried foreach ${map.spec.id}: ${specs}`);
        return specs;
      });
    this.state.rebuildReady();
    this.runs = carried?.runs ?? 1;
    this.startedAtMs = carried?.startedAtMs ?? Date.now();
    this.recoveryAttempts = carried?.recoveryAttempts ?? 0;
    this.recoveries = carried?.recoveries ?? [];
    this.pauseMode = carried?.pauseMode;
    this.failFastTripped = carried?.failFastTripped ?? false;
    this.recoverableUntilMs = carried?.recoverableUntilMs;
    const sc = snapshot.credits;
    if (sc)
      this.credits = {
        estimated: sc.estimate.cost.total,
        reserved: sc.reserved,
        charged: 0,
        refunded: 0,
        settled: false,
        estimate: sc.estimate,
      };
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
      // A template node counts as its template too (`type=` filters find it by either name).
      {
        key: SA.JobTypes,
        value: [...new Set(this.spec.nodes.flatMap((n) => [n.type, ...(n.template ? [n.template] : [])]))].sort(),
      },
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
      ...(this.recoverableUntilMs !== undefined && {
        recoverableUntil: new Date(this.recoverableUntilMs).toISOString(),
      }),
      ...(this.pauseMode && { pauseMode: this.pauseMode }),
      startedAt: new Date(this.startedAtMs).toISOString(),
      ...(this.finalAtMs !== undefined && { completedAt: new Date(this.finalAtMs).toISOString() }),
      runs: this.runs,
      ...(this.credits && { credits: this.credits }),
      ...(this.deliveries.size && { notifications: [...this.deliveries.values()] }),
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
      if (!this.drainingForContinueAsNew && (workflowInfo().continueAsNewSuggested || this.upgradeDue())) {
        this.drainingForContinueAsNew = true;
        log.info(
          this.upgradeDue()
            ? 'a newer build is current: letting running nodes finish, then continuing as new on it'
            : 'continue-as-new suggested: letting running nodes finish',
          { running: this.state.running, historyLength: workflowInfo().historyLength },
        );
        this.withdrawWaiting();
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
      if (this.useWakeTrigger) {
        this.wakeTrigger = new Trigger<void>();
        await this.wakeTrigger;
      } else await condition(() => this.wake);
    }
  }

  /** Something changed: the main loop looks again (after the current microtasks). */
  private wakeUp(): void {
    this.wake = true;
    this.wakeTrigger?.resolve();
  }

  /**
   * Worker Versioning: this job is pinned to a build that is no longer the deployment's current one.
   * The job then drains (starts nothing new) and continues as new, which starts the next run on the
   * current build — a fresh history, so the new code never replays the old build's.
   */
  private upgradeDue(): boolean {
    return workflowInfo().targetWorkerDeploymentVersionChanged;
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
    if (node.spec.foreach && patched(PATCH_FOREACH)) return this.expandMap(i);
    const checkpoint = node.checkpoint;
    const execution = this.state.markStarted(i, Date.now());
    const input: StepInput = {
      jobId: this.snapshot.jobId,
      nodeId: node.spec.id,
      nodeType: node.spec.type,
      config: node.spec.config,
      upstream: node.item ? this.itemUpstream(node.item.map) : this.upstreamOf(node.parents),
      outputDir: jobDirOf(this.snapshot, this.spec.outputDir),
      resources: {
        gpus: effectiveGpus(node.spec),
        gpuMemoryGb: node.spec.resources.gpuMemoryGb,
        // Only the limits a node asked for: a job without any schedules exactly the input it did before.
        ...askedLimits(node.spec.resources),
      },
      ...(this.snapshot.pools[node.spec.id] !== undefined && { pool: this.snapshot.pools[node.spec.id] }),
      priority: this.spec.priority,
      ...(checkpoint && { checkpoint }),
      ...(node.spec.params !== undefined && { params: node.spec.params }),
      ...(this.earlyStopOf(i) && {
        report: { metric: this.earlyStopOf(i)!.rule.metric, every: this.earlyStopOf(i)!.rule.every, execution },
      }),
      ...(node.spec.type === 'select' &&
        patched(PATCH_SELECT_CANDIDATES) && { candidates: this.state.selectCandidates(i) }),
    };
    const options = this.activityOptions(node.spec, node.taskQueue, execution);
    // Each node runs in its own scope so pause-now and failFast can stop it alone; the scope is a
    // child of the workflow's root scope, so cancelling the workflow cancels it too.
    const scope = new CancellationScope();
    this.scopes.set(i, scope);
    const gpus = effectiveGpus(node.spec);
    // Quotas on (recorded at submit): a GPU node is scheduled only under a lease of its GPUs.
    const lease =
      this.snapshot.quotas === true && gpus > 0
        ? { id: leaseIdOf(this.snapshot.jobId, node.spec.id, execution), pool: input.pool ?? DEFAULT_POOL, gpus }
        : undefined;
    const cache = this.cacheOf(node.spec);
    void scope
      .run(async () => {
        const request = cache && {
          owner: this.snapshot.owner,
          cache: cache.settings,
          ...(node.spec.template !== undefined && { template: node.spec.template }),
          input,
        };
        const looked = request && (await cacheSteps.cacheLookup.executeWithOptions(cache.options, [request]));
        if (looked?.hit) return looked.hit;
        if (lease) await this.takeLease(i, lease.id, lease.pool, lease.gpus);
        const output = await STEPS[node.spec.type].executeWithOptions(options, [input]);
        if (!request || looked?.key === undefined) return output;
        return cacheSteps.cacheStore.executeWithOptions(cache.options, [{ ...request, key: looked.key, output }]);
      })
      .then(
        (output) => this.onNodeCompleted(i, output),
        (err: unknown) => this.onNodeFailed(i, err),
      );
  }

  /** The cache a node runs under (patched 'step-cache'), with the options of its activities. */
  private cacheOf(node: NodeSpec): { settings: EffectiveCache; options: ActivityOptions } | undefined {
    if (this.cacheQueue === undefined) return undefined;
    const settings = effectiveCache(this.spec.cache, node.cache);
    return settings && { settings, options: { taskQueue: this.cacheQueue } };
  }

  // ---- early stopping ----

  /** The sweep group with early stopping that node i is the trial node of, if any. */
  private earlyStopOf(i: number): { group: string; index: number; rule: EarlyStop; trials: number } | undefined {
    if (!this.sweepTolerance) return undefined;
    const n = this.state.node(i);
    const t = n.spec.trial;
    const g = t && this.spec.sweeps?.[t.group];
    if (!t || !g?.earlyStop || n.spec.id !== trialNodeId(t.group, t.index, g.trials)) return undefined;
    return { group: t.group, index: t.index, rule: g.earlyStop, trials: g.trials };
  }

  /** A trial's metric at an epoch: recorded, then every running trial with a value there is judged. */
  private onTrialMetric(r: TrialMetricReport): void {
    const i = this.state.byId.get(r.nodeId);
    const es = i === undefined ? undefined : this.earlyStopOf(i);
    if (i === undefined || !es || this.state.node(i).executions !== r.execution) return;
    let book = this.trialMetrics.get(es.group);
    if (!book) this.trialMetrics.set(es.group, (book = new Map()));
    let mine = book.get(es.index);
    if (!mine) book.set(es.index, (mine = new Map()));
    mine.set(r.epoch, r.value);
    const running: number[] = [];
    for (let t = 0; t < es.trials; t++) {
      const j = this.state.byId.get(trialNodeId(es.group, t, es.trials));
      if (j !== undefined && this.scopes.has(j) && !this.stopping.has(j) && !this.cancelling) running.push(t);
    }
    for (const s of medianStops(es.rule, book, r.epoch, running)) {
      const j = this.state.byId.get(trialNodeId(es.group, s.index, es.trials))!;
      const id = this.state.node(j).spec.id;
      const why = `stopped early at epoch ${r.epoch}: ${es.rule.metric} ${s.value} is worse (${es.rule.mode}) than the median ${s.median} of ${s.others} other trial(s)`;
      log.info(why, { node: id });
      this.stopping.set(j, { message: why, type: FAILURE_TYPES.StoppedEarly });
      this.scopes.get(j)!.cancel();
    }
  }

  private carriedTrialMetrics(): NonNullable<CarriedState['trialMetrics']> {
    const out: NonNullable<CarriedState['trialMetrics']> = {};
    for (const [group, book] of this.trialMetrics)
      out[group] = Object.fromEntries([...book].map(([t, byEpoch]) => [String(t), [...byEpoch]]));
    return out;
  }

  /** A foreach node is ready: its list's node completed. It becomes its items (or fails, saying why). */
  private expandMap(i: number): void {
    const node = this.state.node(i);
    const f = node.spec.foreach!;
    const source = this.state.node(this.state.byId.get(f.node)!);
    const list = listAt(source.output, f.field);
    const specs = 'items' in list ? itemSpecs(node.spec, list.items) : undefined;
    const problem =
      'error' in list
        ? `foreach: node ${f.node}: ${list.error}`
        : typeof specs === 'string'
          ? `foreach over ${f.node}.${f.field}: ${specs}`
          : undefined;
    if (problem !== undefined || !('items' in list) || typeof specs !== 'object') {
      const now = Date.now();
      this.state.markStarted(i, now);
      this.failNode(i, { message: problem ?? 'foreach: no list', type: FAILURE_TYPES.InvalidInput }, 1, now);
      return;
    }
    this.state.expandMap(i, list.items, specs, Date.now());
    log.info('foreach expanded', { node: node.spec.id, items: specs.length });
    this.closeMapIfDue(i);
  }

  /** When every item of node i's map has ended: the map completes if enough did (minSuccessRatio), else fails. */
  private closeMapIfDue(i: number): void {
    const m = this.cancelling ? undefined : this.state.mapDue(i);
    if (m === undefined) return;
    const node = this.state.node(m);
    const ratio = node.spec.foreach!.minSuccessRatio;
    const t = this.state.mapTally(m);
    const now = Date.now();
    const needed = Math.ceil(ratio * t.items - 1e-9);
    if (t.completed >= needed) {
      this.state.markCompleted(
        m,
        {
          summary: {
            items: t.items,
            completed: t.completed,
            failed: t.lost,
            minSuccessRatio: ratio,
            ...(t.lost && { failedItems: t.lostIds }),
          },
          artifacts: [],
        },
        now,
      );
      return;
    }
    this.failNode(
      m,
      {
        message: `foreach: ${t.completed} of ${t.items} items completed; minSuccessRatio ${ratio} needs ${needed} (not completed: ${t.lostIds.slice(0, 10).join(', ')}${t.lost > 10 ? ', …' : ''})`,
        type: FAILURE_TYPES.MinSuccessRatio,
      },
      1,
      now,
    );
  }

  /**
   * An item sees its map node's upstream, but the list's node without its summary: the item is in
   * the item's own params/config, and 10,000 copies of the whole list would swell the history.
   */
  private itemUpstream(m: number): Record<string, StepOutput> {
    const map = this.state.node(m);
    const upstream = this.upstreamOf(map.parents);
    const source = map.spec.foreach!.node;
    const out = upstream[source];
    if (out) upstream[source] = { ...out, summary: {} };
    return upstream;
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
    return stepActivityOptions(node, {
      taskQueue,
      execution,
      defaults: this.snapshot.defaults,
      priority: this.spec.priority,
      fairness: this.snapshot.fairness,
    });
  }

  // ---- GPU quota leases (src/domain/quota.ts) ----

  /** Waits until the quota entity grants the node's lease; the node shows `queued` with the reason meanwhile. */
  private async takeLease(i: number, leaseId: string, pool: string, gpus: number): Promise<void> {
    const node = this.state.node(i);
    this.leases.set(leaseId, { node: i, pool, granted: false });
    this.leaseOfNode.set(i, leaseId);
    this.quotaWaitSince.set(i, Date.now());
    const since = new Date(Date.now()).toISOString();
    this.state.markWaiting(i, { reason: 'quota', pool, gpus, since });
    const answer = await quota.requestGpuLease({
      queuePrefix: this.snapshot.queuePrefix,
      pool,
      owner: this.snapshot.owner,
      request: { leaseId, jobId: this.snapshot.jobId, nodeId: node.spec.id, gpus, priority: this.spec.priority },
    });
    if (!answer.granted) {
      this.state.markWaiting(i, {
        reason: 'quota',
        pool,
        gpus,
        held: answer.held,
        limit: answer.limit,
        ahead: answer.ahead,
        since,
      });
      await condition(() => this.leases.get(leaseId)?.granted === true);
    }
    const held = this.leases.get(leaseId);
    if (held) held.granted = true;
    this.endQuotaWait(i);
    this.state.markDispatched(i);
  }

  /** A quota wait ended (granted, withdrawn, cancelled): it counts as the node's GPU wait. */
  private endQuotaWait(i: number): void {
    const since = this.quotaWaitSince.get(i);
    if (since === undefined) return;
    this.quotaWaitSince.delete(i);
    this.state.addUsage(i, { gpuWaitMs: Math.max(0, Date.now() - since) });
  }

  private onLeaseGranted(grant: { leaseId: string; pool: string }): void {
    const held = this.leases.get(grant.leaseId);
    if (held) {
      held.granted = true;
      return;
    }
    // Granted after the node stopped waiting (withdrawn, cancelled): give it back.
    log.info('GPU lease granted for a node that no longer waits: released', { leaseId: grant.leaseId });
    this.sendRelease(grant.pool, grant.leaseId);
  }

  /** The node's execution ended: its lease (held or still asked for) goes back to the entity. */
  private endLease(i: number): void {
    const leaseId = this.leaseOfNode.get(i);
    if (leaseId === undefined) return;
    const held = this.leases.get(leaseId)!;
    this.leaseOfNode.delete(i);
    this.leases.delete(leaseId);
    this.sendRelease(held.pool, leaseId);
  }

  private sendRelease(pool: string, leaseId: string): void {
    const entity = quotaWorkflowId(this.snapshot.queuePrefix, pool, this.snapshot.owner);
    const sent: Promise<void> = CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(entity).signal(releaseLeaseSignal, { leaseId }),
    ).then(
      () => {
        this.releases.delete(sent);
      },
      (err: unknown) => {
        this.releases.delete(sent);
        log.warn('could not release a GPU lease (the quota entity reclaims it)', { leaseId, error: String(err) });
      },
    );
    this.releases.add(sent);
  }

  /** Nodes waiting for a lease go back to pending (they never started): pause (drain), continue-as-new. */
  private withdrawWaiting(): void {
    for (const [i, scope] of this.scopes) {
      if (this.state.node(i).waitingFor === undefined || this.withdrawing.has(i)) continue;
      this.withdrawing.add(i);
      scope.cancel();
    }
  }

  private async releasesSent(): Promise<void> {
    while (this.releases.size) await Promise.all([...this.releases]);
  }

  private onNodeCompleted(i: number, output: StepOutput): void {
    this.endQuotaWait(i);
    this.endLease(i);
    this.withdrawing.delete(i);
    this.scopes.delete(i);
    this.pausing.delete(i);
    this.stopping.delete(i);
    this.state.markCompleted(i, output, Date.now());
    this.closeMapIfDue(i);
    this.wakeUp();
  }

  private onNodeFailed(i: number, err: unknown): void {
    this.endQuotaWait(i);
    this.endLease(i);
    this.scopes.delete(i);
    const wasPausing = this.pausing.delete(i);
    const wasWithdrawn = this.withdrawing.delete(i);
    const stop = this.stopping.get(i);
    this.stopping.delete(i);
    const now = Date.now();
    if (isCancellation(err)) {
      const last = cancellationHeartbeat(err);
      this.state.addUsage(i, last?.usage);
      if (stop && !this.cancelling) {
        this.state.markStopped(i, stop, last?.checkpoint, now);
        this.state.skipDescendants(i);
      } else if (wasWithdrawn && !wasPausing && !this.cancelling && !this.failFastTripped) {
        this.state.withdraw(i);
      } else if (wasPausing && !this.cancelling) {
        this.state.markPaused(i, last?.checkpoint, now);
        // Resumed before this node finished stopping: it restarts at once.
        if (!this.pauseMode) this.state.requeuePaused([i]);
      } else {
        this.state.markCancelled(i, now);
        if (this.resumeOnRecover) this.state.keepCheckpoint(i, last?.checkpoint);
      }
    } else {
      const node = this.state.node(i);
      const { error, attempts, usage, checkpoint } = describeFailure(err, node.spec.retry.maxAttempts, node.spec.id);
      this.failNode(i, error, attempts, now);
      this.state.addUsage(i, usage);
      if (this.resumeOnRecover) this.state.keepCheckpoint(i, checkpoint);
    }
    this.closeMapIfDue(i);
    this.wakeUp();
  }

  private failNode(i: number, error: NodeError, attempts: number, now: number): void {
    const node = this.state.node(i);
    this.state.markFailed(i, error, attempts, now);
    const skipped = this.state.skipDescendants(i);
    log.warn('node failed', { node: node.spec.id, error: error.message, attempts, skipped });
    // An item's failure is its map's to judge (minSuccessRatio); the map failing trips failFast.
    if (node.item) return;
    if (this.spec.failurePolicy === 'failFast' && !this.failFastTripped) {
      this.failFastTripped = true;
      this.state.skipAllPending();
      for (const scope of this.scopes.values()) scope.cancel();
    }
  }

  // ---- ends ----

  /**
   * Credits on: the job's actual cost (measured usage under the rates recorded at submit) goes to
   * its account entity, which charges or refunds the difference to the reservation once — a
   * retried settle (worker crash, replay) is answered from the entity's book.
   */
  private async settleCredits(outcome: JobOutcome): Promise<void> {
    const sc = this.snapshot.credits;
    if (!sc || !this.credits || this.credits.settled || !patched(PATCH_CREDITS_SETTLE)) return;
    const usage = measuredUsage(this.state, this.snapshot.pools);
    const cost = costOf(usage, sc.settings.rates);
    const answer = await CancellationScope.nonCancellable(() =>
      credit.settleJobCredits({
        queuePrefix: this.snapshot.queuePrefix,
        owner: this.snapshot.owner,
        request: {
          jobId: this.snapshot.jobId,
          outcome,
          actual: cost.total,
          gpuCost: cost.gpu,
          refund: sc.settings.refund,
          overrun: sc.settings.overrun,
        },
      }),
    );
    this.credits = {
      ...this.credits,
      reserved: answer.reserved,
      charged: answer.charged,
      refunded: answer.refunded,
      settled: true,
      actual: { usage, cost },
    };
  }

  private async finishCompleted(): Promise<JobProgress> {
    await this.releasesSent();
    await this.settleCredits('completed');
    this.final = 'completed';
    this.finalAtMs = Date.now();
    this.syncSearchAttributes();
    await this.notify('completed');
    await condition(allHandlersFinished);
    return this.progress();
  }

  /** A failed job stays open for `recover` while the window is open and recoveries remain. */
  private async awaitRecovery(): Promise<void> {
    const left = this.spec.maxRecoveryAttempts - this.recoveryAttempts;
    if (this.spec.recoveryWindow <= 0 || left <= 0) return this.finishFailed();
    // A run continued onto a newer build keeps the deadline of the run that failed.
    this.recoverableUntilMs ??= Date.now() + this.spec.recoveryWindow;
    const waitMs = this.recoverableUntilMs - Date.now();
    if (waitMs <= 0) return this.finishFailed();
    this.syncSearchAttributes();
    void this.notify('waiting_for_recover');
    log.info('job failed; waiting for recover', {
      failed: this.state.failedNodeIds().slice(0, 20),
      recoveryWindowMs: this.spec.recoveryWindow,
      recoveriesLeft: left,
    });
    const woken = await condition(() => this.recoverableUntilMs === undefined || this.upgradeDue(), waitMs);
    if (!woken) return this.finishFailed();
  }

  private async finishFailed(): Promise<never> {
    await this.releasesSent();
    await this.settleCredits('failed');
    this.recoverableUntilMs = undefined;
    this.final = 'failed';
    this.finalAtMs = Date.now();
    this.syncSearchAttributes();
    await this.notify('failed');
    await condition(allHandlersFinished);
    const failed = this.state.failedNodeIds();
    const names = failed.slice(0, 10).join(', ') + (failed.length > 10 ? `, … (${failed.length} in all)` : '');
    const why = failed.length
      ? `node${failed.length === 1 ? '' : 's'} ${names} failed`
      : `${this.state.counts.cancelled} node(s) cancelled`;
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.JobFailed,
      nonRetryable: true,
      message: `job failed: ${why}`,
    });
  }

  /** Workflow cancellation: wait for running steps to stop (they stop their subprocesses), then end cancelled. */
  private async finishCancelled(): Promise<void> {
    this.cancelling = true;
    await CancellationScope.nonCancellable(async () => {
      for (const scope of this.scopes.values()) scope.cancel();
      this.syncSearchAttributes();
      await condition(() => this.state.running === 0);
      const now = Date.now();
      for (const n of this.state.nodes) if (ACTIVE_NODE_STATUSES.has(n.status)) this.state.markCancelled(n.index, now);
      await this.releasesSent();
      await this.settleCredits('cancelled');
      this.final = 'cancelled';
      this.finalAtMs = Date.now();
      this.syncSearchAttributes();
      await this.notify('cancelled');
      await condition(allHandlersFinished);
    });
  }

  // ---- notifications ----

  /**
   * Sends `event` to every target that asked for it (one activity each, retried with backoff by the
   * server) and waits for them all, with whatever was still in flight. A delivery that already has
   * an outcome (a carried one, after continue-as-new) is not sent again. Never cancelled: a
   * cancelled job still tells its receivers.
   */
  private async notify(event: NotifyEvent): Promise<void> {
    const cfg = this.snapshot.notify;
    if (!this.notifyOn || !cfg) return;
    const payload = this.notifyPayload(event, cfg);
    cfg.targets.forEach((t, index) => {
      if (!t.events.includes(event)) return;
      const id = notificationId(this.snapshot.jobId, event, index, this.recoveryAttempts);
      if (this.deliveries.has(id)) return;
      this.deliveries.set(id, { id, event, url: t.url, state: 'pending', attempts: 0 });
      const call: NotifyCall = { owner: this.snapshot.owner, url: t.url, payload: { ...payload, id } };
      const p = CancellationScope.nonCancellable(() => notifyActivities(cfg).deliverNotification(call)).then(
        (a: NotifyAnswer) => {
          this.deliveries.set(id, {
            id,
            event,
            url: t.url,
            state: 'delivered',
            attempts: a.attempts,
            lastStatus: a.status,
            deliveredAt: a.deliveredAt,
          });
        },
        (err: unknown) => {
          const cause = err instanceof ActivityFailure ? err.cause : err;
          const app = cause instanceof ApplicationFailure ? cause : undefined;
          // The activity puts its status and attempt in the details; a timed-out last attempt has none.
          const info = app?.details?.[0] as { status?: number; attempt?: number } | undefined;
          const status = info?.status;
          log.warn('notification not delivered', { id, url: t.url, error: String((cause as Error)?.message ?? err) });
          this.deliveries.set(id, {
            id,
            event,
            url: t.url,
            state: 'failed',
            attempts: info?.attempt ?? cfg.retry.maxAttempts,
            ...(status !== undefined && { lastStatus: status }),
            lastError: String((cause as Error)?.message ?? err).slice(0, 500),
          });
        },
      );
      const tracked = p.finally(() => this.inFlight.delete(tracked));
      this.inFlight.add(tracked);
    });
    await this.notificationsSent();
  }

  private async notificationsSent(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private notifyPayload(event: NotifyEvent, cfg: SnapshotNotify): Omit<NotifyPayload, 'id'> {
    const now = Date.now();
    const durations: Record<string, number> = {};
    for (const rt of this.state.nodes.slice(0, 200)) {
      const n = this.state.nodeState(rt, false);
      if (n.durationMs !== undefined) durations[n.id] = n.durationMs;
    }
    const base = cfg.publicUrl ?? '';
    const jobPath = `/v1/jobs/${encodeURIComponent(this.snapshot.jobId)}`;
    return {
      event,
      occurredAt: new Date(now).toISOString(),
      job: {
        id: this.snapshot.jobId,
        name: this.spec.name,
        owner: this.snapshot.owner,
        status: event === 'waiting_for_recover' ? 'failed' : this.status(),
        ...(this.snapshot.scheduledBy && { scheduledBy: this.snapshot.scheduledBy }),
        failedNodes: this.state.failedNodeIds().slice(0, 100),
        submittedAt: this.snapshot.submittedAt,
        startedAt: new Date(this.startedAtMs).toISOString(),
        ...(this.finalAtMs !== undefined && { endedAt: new Date(this.finalAtMs).toISOString() }),
        durationMs: (this.finalAtMs ?? now) - this.startedAtMs,
        nodeDurationsMs: durations,
        recoveryAttempts: this.recoveryAttempts,
      },
      links: {
        job: `${base}${jobPath}`,
        ...(cfg.publicUrl && { dashboard: `${base}/ui/jobs/${encodeURIComponent(this.snapshot.jobId)}` }),
      },
    };
  }

  private async continueAsNew(): Promise<never> {
    await this.releasesSent();
    await this.notificationsSent();
    await condition(allHandlersFinished);
    const carried: CarriedState = {
      v: 1,
      runs: this.runs + 1,
      startedAtMs: this.startedAtMs,
      recoveryAttempts: this.recoveryAttempts,
      recoveries: this.recoveries,
      ...(this.pauseMode && { pauseMode: this.pauseMode }),
      failFastTripped: this.failFastTripped,
      ...(this.recoverableUntilMs !== undefined && { recoverableUntilMs: this.recoverableUntilMs }),
      nodes: this.state.carry(this.startedAtMs, this.carriedOutputBudget()),
      ...(this.trialMetrics.size && { trialMetrics: this.carriedTrialMetrics() }),
      ...(this.deliveries.size && { notifications: [...this.deliveries.values()] }),
    };
    log.info('continuing as new', {
      run: this.runs + 1,
      completed: this.state.counts.completed,
      nodes: this.state.size,
    });
    // On a versioned worker the next run starts on the deployment's current build (upgrade on
    // continue-as-new); PINNED alone would keep it on this one.
    const next = makeContinueAsNewFunc<typeof jobWorkflow>({
      workflowTaskTimeout: workflowInfo().taskTimeoutMs,
      ...(workflowInfo().currentDeploymentVersion && { initialVersioningBehavior: 'AUTO_UPGRADE' as const }),
    });
    return next(this.nextRun.next(carried));
  }

  /** What is left for carried outputs so the next run's input stays well under Temporal's 2 MiB payload limit. */
  private carriedOutputBudget(): number {
    // Per node: its status tuple (~24 bytes) and its usage tuple (~40); and the open maps' lists.
    const fixed = this.nextRun.inputBytes + this.state.carriedNodesBytes() + this.state.mapItemsBytes();
    return Math.max(64 * 1024, CARRY_BUDGET_BYTES - fixed);
  }

  // ---- control: pause / resume / recover ----

  installHandlers(): void {
    setHandler(progressQuery, () => this.progress());
    // Read-only: a page of GET /v1/jobs/:id/nodes. A bad input fails the query (the caller sees the message).
    setHandler(nodesQuery, (input) =>
      this.state.nodesSlice(parseOrThrow(NodesQueryInput, input, 'nodes query input'), NODES_QUERY_BUDGET_BYTES),
    );
    setHandler(leaseGrantedSignal, (grant) => this.onLeaseGranted(grant));

    setHandler(pauseSignal, (arg) => this.fromSignal('pause', () => this.pause(parseOrThrow(PauseInput, arg ?? {}))));
    setHandler(resumeSignal, () => this.fromSignal('resume', () => this.resume()));
    setHandler(recoverSignal, (arg) =>
      this.fromSignal('recover', () => this.recover(parseOrThrow(RecoverInput, arg ?? {}))),
    );
    setHandler(trialMetricSignal, (raw) => {
      const r = TrialMetricReport.safeParse(raw);
      if (!r.success) log.warn('trialMetric signal ignored', { error: detailsMessage(issueDetails(r.error.issues)) });
      else this.onTrialMetric(r.data);
    });
    setHandler(upgradeSignal, () => {
      // The workflow task that delivers it carries targetWorkerDeploymentVersionChanged; the loop acts on it.
      this.wakeUp();
    });

    setHandler(pauseUpdate, (arg?: PauseInput) => this.pause(PauseInput.parse(arg ?? {})), {
      validator: (arg?: PauseInput) => rejectIf(this.pauseRejection(parseOrThrow(PauseInput, arg ?? {}))),
    });
    setHandler(resumeUpdate, () => this.resume(), { validator: () => rejectIf(this.resumeRejection()) });
    setHandler(recoverUpdate, (arg?: RecoverInput) => this.recover(RecoverInput.parse(arg ?? {})), {
      validator: (arg?: RecoverInput) => rejectIf(this.recoverRejection(parseOrThrow(RecoverInput, arg ?? {}))),
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
    if (this.recoverableUntilMs !== undefined)
      return 'job has failed (waiting for recover); only a running job can be paused';
    if (this.pauseMode === 'now' || (this.pauseMode === 'drain' && input.mode === 'drain'))
      return `job is already paused (mode ${this.pauseMode})`;
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
    if (this.recoverableUntilMs === undefined)
      return `job is ${this.status()}, not failed; only a failed, recoverable job can be recovered`;
    if (this.recoveryAttempts >= this.spec.maxRecoveryAttempts)
      return `no recovery attempts left (${this.recoveryAttempts} of ${this.spec.maxRecoveryAttempts} used)`;
    if (input.fromNode !== undefined && !this.state.byId.has(input.fromNode)) return `unknown node "${input.fromNode}"`;
    return undefined;
  }

  private pause(input: { mode: PauseMode }): ControlResult {
    rejectIf(this.pauseRejection(input));
    this.pauseMode = input.mode;
    let stopping = 0;
    // Nodes still waiting for a GPU lease have not started: they go back to pending either way.
    if (input.mode === 'drain') this.withdrawWaiting();
    if (input.mode === 'now') {
      for (const [i, scope] of this.scopes) {
        this.pausing.add(i);
        scope.cancel();
        stopping++;
      }
    }
    this.wakeUp();
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
    this.wakeUp();
    this.syncSearchAttributes();
    return {
      status: this.status(),
      message: `resumed${restarted ? `: ${restarted} paused node(s) restart from their checkpoints` : ''}`,
    };
  }

  private recover(input: { fromNode?: string; fromScratch?: boolean }): ControlResult {
    rejectIf(this.recoverRejection(input));
    const reset = this.state.recoverySet(input.fromNode);
    const keepCheckpoints = this.resumeOnRecover && input.fromScratch !== true;
    this.state.reset(reset, { keepCheckpoints });
    for (const m of this.state.mapsDue()) this.closeMapIfDue(m);
    this.recoveryAttempts++;
    this.failFastTripped = false;
    const nodes = reset.map((i) => this.state.node(i).spec.id);
    const resumed = reset.filter((i) => this.state.node(i).checkpoint).map((i) => this.state.node(i).spec.id);
    this.recoveries.push({
      at: new Date(Date.now()).toISOString(),
      ...(input.fromNode !== undefined && { fromNode: input.fromNode }),
      nodes,
      ...(input.fromScratch === true && { fromScratch: true }),
      ...(resumed.length > 0 && { resumed }),
    });
    this.recoverableUntilMs = undefined;
    this.wakeUp();
    this.syncSearchAttributes();
    const how = resumed.length
      ? `; ${resumed.length} resume from their last checkpoint (${resumed.slice(0, 5).join(', ')}${resumed.length > 5 ? ', …' : ''})`
      : input.fromScratch === true
        ? '; from scratch'
        : '';
    return {
      status: this.status(),
      message: `recovering: ${nodes.length} node(s) reset to pending${how} (recovery ${this.recoveryAttempts} of ${this.spec.maxRecoveryAttempts})`,
    };
  }
}

// ---- helpers ----

/** Every item's spec, or the first item's problem. */
function itemSpecs(map: NodeSpec, items: readonly unknown[]): NodeSpec[] | string {
  const specs: NodeSpec[] = [];
  for (let k = 0; k < items.length; k++) {
    const spec = itemSpec(map, k, items[k], items.length);
    if (typeof spec === 'string') return spec;
    specs.push(spec);
  }
  return specs;
}

function parseValidated(spec: unknown): ValidationResult {
  const r = JobSpec.safeParse(spec);
  return r.success ? { ok: true, spec: r.data } : { ok: false, errors: issueDetails(r.error.issues) };
}

function rejectIf(reason: string | undefined): void {
  if (reason) throw new Error(reason);
}

/** The last heartbeat a step reported when it was cancelled (details[0]): its checkpoint and usage. */
function cancellationHeartbeat(err: unknown): StepHeartbeat | undefined {
  const cancelled = err instanceof ActivityFailure ? err.cause : err;
  if (!(cancelled instanceof CancelledFailure)) return undefined;
  return parseHeartbeat(cancelled.details[0]);
}

interface DescribedFailure {
  error: NodeError;
  attempts: number;
  usage?: StepUsage;
  checkpoint?: ArtifactRef;
}

const STDERR_TAIL_LINES = 20;
const STDERR_LINE_MAX = 500;

function describeFailure(err: unknown, maxAttempts: number, nodeId: string): DescribedFailure {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (!(cause instanceof Error))
    return { error: { message: String(cause), where: { node: nodeId } }, attempts: maxAttempts };
  let type = cause.name;
  let attempts = maxAttempts;
  let usage: StepUsage | undefined;
  let checkpoint: ArtifactRef | undefined;
  let where: NodeError['where'] = { node: nodeId };
  let stderrTail: string[] | undefined;
  if (cause instanceof ApplicationFailure) {
    type = cause.type ?? 'Error';
    const meta = StepMeta.safeParse(cause.details?.[0]);
    if (meta.success) {
      attempts = meta.data.attempt;
      usage = meta.data.usage;
      checkpoint = meta.data.checkpoint;
      where = {
        node: nodeId,
        attempt: meta.data.attempt,
        ...(meta.data.worker && { worker: meta.data.worker }),
        ...(meta.data.taskQueue && { taskQueue: meta.data.taskQueue }),
      };
    }
    // A command step's details carry its stderr tail (activities/command.ts).
    for (const d of cause.details ?? []) {
      const tail = typeof d === 'object' && d !== null ? (d as { stderrTail?: unknown }).stderrTail : undefined;
      if (typeof tail === 'string' && tail !== '') {
        stderrTail = tail
          .split('\n')
          .slice(-STDERR_TAIL_LINES)
          .map((l) => l.slice(0, STDERR_LINE_MAX));
        break;
      }
    }
  } else if (cause instanceof TimeoutFailure) {
    type = `Timeout:${cause.timeoutType}`;
    // A timed-out attempt said nothing more: its last heartbeat is what there is.
    const last = parseHeartbeat(cause.lastHeartbeatDetails);
    usage = last?.usage;
    checkpoint = last?.checkpoint;
  }
  return {
    error: {
      message: cause.message,
      type,
      ...(cause.stack && { stack: cause.stack }),
      where,
      ...(stderrTail && { stderrTail }),
    },
    attempts,
    ...(usage && { usage }),
    ...(checkpoint && { checkpoint }),
  };
}
