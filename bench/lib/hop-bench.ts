// The hop benchmark library: one dependent chain, a fan-out and a throughput run of no-op steps,
// against any Temporal frontend, through four subjects that do the same work:
//   trainyard    the job workflow (workflows/) running a DAG of no-op `command` nodes
//   ts-baseline  bench/baseline-workflows.ts: hand-written TS, Trainyard's activity options
//   ts           bench/hop/workflows.ts: hand-written TS, the fewest options (the TS SDK floor)
//   go           bench/hop/go: the same workflows in the Go SDK (the floor of another SDK)
// Every run is read back from its histories (bench/lib/hop-history.ts) and, when the endpoints are
// known, from the server's and the SDK's Prometheus metrics, so a hop's time can be split into parts.
// Used by bench/hop.ts (the dev server) and by the production benchmark (temporal-server on PostgreSQL):
// give connectTarget() its address, start the subjects, run workloads.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { PollerBehavior } from '@temporalio/worker/lib/worker-options';
import type { JobSnapshot } from '../../src/domain/snapshot';
import { queueNames } from '../../src/domain/task-queues';
import { freePort, startDevServer, type DevServerOptions } from '../../src/temporal/dev-server';
import { startJobWorkflow } from '../../src/job-service/submission';
import { mtlsFromFiles, type MtlsFiles } from '../../src/temporal/connection';
import { quietLogger } from '../../test/helpers/temporal';
import { WORKFLOW_BUNDLE_EXTRAS, compileWorkflowsTo, trainyardBundleHook } from '../../workers/workflow-bundle';
import { DEFAULT_WORKFLOW_STACK_TRACES } from '../../src/config';
import { createWorkflowWorker } from '../../workers/workflow-stack-traces';
import { hopNoop } from '../hop/activities';
import { buildGoHopWorker, startGoHopWorker, type GoHopWorkerOptions } from '../hop/go-worker';
import { heartbeatOnceStep, noopStep } from '../noop-activities';
import {
  HOP_PARTS,
  chainHops,
  edges,
  taskLatencies,
  type HopPart,
  type HopParts,
  type TaskLatencies,
} from './hop-history';
import { histogramMeans, scrape, type PromSnapshot } from './prom';
import { chain, fanOut, lattice, snapshotOf, specOf, type Shape } from './specs';
import { nowMs, pool } from './stats';
import { installQuietRuntime } from './temporal';

type Event = temporal.api.history.v1.IHistoryEvent;

// ---- targets ----

export interface HopTarget {
  address: string;
  namespace: string;
  /** The client certificate, when the server wants mutual TLS (temporal-server of `npm run prod:local`). */
  tls?: MtlsFiles;
  /** Says what the server is, for tables ("dev server (in-memory)", "temporal-server + PostgreSQL"). */
  label: string;
  client: Client;
  native: NativeConnection;
  /** The server's Prometheus endpoint, when known: adds the history/matching split of each run. */
  serverMetricsUrl?: string;
  /** The SDK runtime's Prometheus endpoint in this process (installHopRuntime). */
  sdkMetricsUrl?: string;
  close(): Promise<void>;
}

let sdkMetricsUrl: string | undefined;
/**
 * Installs this process's Temporal runtime (quiet logs, SDK metrics on a free port). Call before any
 * connection; connectTarget and startDevTarget call it.
 */
export async function installHopRuntime(): Promise<void> {
  if (sdkMetricsUrl !== undefined) return;
  const port = await freePort();
  installQuietRuntime({ metricsBindAddress: `127.0.0.1:${port}` });
  sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
}

/** A target that is already running (e.g. temporal-server on PostgreSQL). */
export async function connectTarget(o: {
  address: string;
  namespace?: string;
  label?: string;
  serverMetricsUrl?: string;
  tls?: MtlsFiles;
  onClose?: () => Promise<void>;
}): Promise<HopTarget> {
  await installHopRuntime();
  const namespace = o.namespace ?? 'default';
  const tls = o.tls && mtlsFromFiles(o.tls);
  const connection = await Connection.connect({ address: o.address, ...(tls && { tls }) });
  const native = await NativeConnection.connect({ address: o.address, ...(tls && { tls }) });
  return {
    address: o.address,
    namespace,
    ...(o.tls && { tls: o.tls }),
    label: o.label ?? o.address,
    client: new Client({ connection, namespace }),
    native,
    serverMetricsUrl: o.serverMetricsUrl,
    sdkMetricsUrl,
    async close() {
      await native.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await o.onClose?.();
    },
  };
}

/** A CLI dev server of its own (headless, with a metrics endpoint), stopped by close(). */
export async function startDevTarget(o: { label?: string; server?: DevServerOptions } = {}): Promise<HopTarget> {
  await installHopRuntime();
  const metricsPort = await freePort();
  const server = await startDevServer({ uiPort: null, metricsPort, ...o.server });
  try {
    return await connectTarget({
      address: server.address,
      namespace: server.namespace,
      label: o.label ?? 'dev server',
      serverMetricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      onClose: () => server.stop(),
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
}

// ---- subjects ----

export type SubjectKind = 'trainyard' | 'ts-baseline' | 'ts' | 'go';

/** Worker settings under test. Unset = the SDK's default (or Trainyard's, for `trainyard`). */
export interface WorkerTuning {
  /**
   * Steps on the workflow's own task queue, served by the same Worker, so the server may hand the
   * activity back in the workflow task's response (eager dispatch; needs
   * `system.enableActivityEagerExecution` on the server). `trainyard` always runs this way, as
   * workers/cpu-workers.ts does.
   */
  sameQueue?: boolean;
  /** Steps as local activities (`ts` and `go` only). */
  local?: boolean;
  /** `trainyard` and `ts-baseline`: the step heartbeats once as it starts, as the command step does. */
  stepHeartbeats?: boolean;
  maxCachedWorkflows?: number;
  workflowTaskPollerBehavior?: PollerBehavior;
  activityTaskPollerBehavior?: PollerBehavior;
  stickyQueueScheduleToStartTimeout?: Duration;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * Eager workflow start (`ts`, `ts-baseline`, `trainyard`): the client starts on the workers' own
   * NativeConnection with requestEagerStart, so the server may hand the first workflow task back in
   * the start response.
   */
  eagerStart?: boolean;
  /**
   * The SDK's workflow stack traces (a promise hook per workflow promise; workers/workflow-stack-traces.ts).
   * Unset: on for the TS baselines (the SDK's default), Trainyard's default (off) for `trainyard`.
   */
  workflowStackTraces?: boolean;
  /**
   * The language level workflow code is compiled to (workers/workflow-bundle.ts). Unset: the SDK's
   * (ES2017) for the TS baselines, which are bundled as the SDK bundles them; Trainyard's (ES2022)
   * for `trainyard`, which is bundled as production bundles it.
   */
  codeTarget?: string;
  /**
   * Built-ins read as closure variables instead of sandbox globals (workers/workflow-intrinsics.ts).
   * Unset: off for the TS baselines (as the SDK bundles them), on for `trainyard` (as production).
   */
  boundIntrinsics?: boolean;
  /** Go only. */
  go?: Partial<Omit<GoHopWorkerOptions, 'address' | 'namespace' | 'taskQueue'>>;
}

export type Workload =
  | { shape: 'chain'; nodes: number }
  | { shape: 'fanout'; nodes: number; parallelism: number }
  /** rows × cols grid, (r,c) after (r-1,c) and (r,c-1): `trainyard` and `ts-baseline` only. */
  | { shape: 'lattice'; rows: number; cols: number }
  | { shape: 'one' };

export interface RunResult {
  workflowId: string;
  wallMs: number;
  perNodeMs: number;
  /** Chains: every hop's parts (empty for local activities, which leave no activity events). */
  hops: HopParts[];
  tasks: TaskLatencies;
  /** Largest history of any run of the workflow (continue-as-new splits a job into runs). */
  maxRunEvents: number;
  runs: number;
  /** Workflow started → first step started, and last step completed → workflow closed (history times). */
  headMs: number;
  tailMs: number;
  /** Metric means over the run (ms), when the endpoints are known. */
  metrics: Record<string, number>;
}

export interface Subject {
  kind: SubjectKind;
  label: string;
  /** Prefix of its task queues and workflow ids. */
  prefix: string;
  run(w: Workload): Promise<RunResult>;
  /** Starts one workflow of the workload and resolves when it completes (throughput runs). */
  execute(w: Workload): Promise<void>;
  stop(): Promise<void>;
}

function nodesOf(w: Workload): number {
  return w.shape === 'one' ? 1 : w.shape === 'lattice' ? w.rows * w.cols : w.nodes;
}

function shapeOf(w: Workload): Shape {
  if (w.shape === 'fanout') return fanOut(w.nodes);
  if (w.shape === 'lattice') return lattice(w.rows, w.cols);
  return chain(nodesOf(w));
}

/** The parallelism a workload runs at (the job's `parallelism`, the baselines' in-flight bound). */
function parallelismOf(w: Workload): number {
  return w.shape === 'fanout' ? w.parallelism : w.shape === 'lattice' ? 100 : 1;
}

function unsupported(kind: SubjectKind, w: Workload): never {
  throw new Error(`${kind} has no ${w.shape} workflow`);
}

function tsWorkerOptions(t: WorkerTuning): Partial<WorkerOptions> {
  return {
    ...(t.maxCachedWorkflows !== undefined && { maxCachedWorkflows: t.maxCachedWorkflows }),
    ...(t.workflowTaskPollerBehavior && { workflowTaskPollerBehavior: t.workflowTaskPollerBehavior }),
    ...(t.activityTaskPollerBehavior && { activityTaskPollerBehavior: t.activityTaskPollerBehavior }),
    ...(t.stickyQueueScheduleToStartTimeout && {
      stickyQueueScheduleToStartTimeout: t.stickyQueueScheduleToStartTimeout,
    }),
    ...(t.maxConcurrentWorkflowTaskExecutions !== undefined && {
      maxConcurrentWorkflowTaskExecutions: t.maxConcurrentWorkflowTaskExecutions,
    }),
  };
}

/** Workflow Worker + activity Worker (or one Worker for both with sameQueue), running until stop(). */
async function startTsWorkers(
  target: HopTarget,
  o: {
    workflowQueue: string;
    activityQueue: string;
    workflowsPath: string;
    /** `trainyard`: production's bundle options; `stock`: the SDK's defaults (the hand-written baselines). */
    bundle: 'trainyard' | 'stock';
    activities: object;
    tuning: WorkerTuning;
  },
): Promise<() => Promise<void>> {
  const { code } = await bundleOf(o.workflowsPath, o.bundle, o.tuning.codeTarget, o.tuning.boundIntrinsics);
  const base = { connection: target.native, namespace: target.namespace, ...tsWorkerOptions(o.tuning) };
  const activitySlots = o.tuning.maxConcurrentActivityTaskExecutions ?? 100;
  const workers: Worker[] = [];
  const stackTraces = o.tuning.workflowStackTraces ?? true;
  if (o.workflowQueue === o.activityQueue) {
    workers.push(
      await createWorkflowWorker(stackTraces, () =>
        Worker.create({
          ...base,
          taskQueue: o.workflowQueue,
          workflowBundle: { code },
          activities: o.activities,
          maxConcurrentActivityTaskExecutions: activitySlots,
        }),
      ),
    );
  } else {
    workers.push(
      await createWorkflowWorker(stackTraces, () =>
        Worker.create({ ...base, taskQueue: o.workflowQueue, workflowBundle: { code } }),
      ),
    );
    workers.push(
      await Worker.create({
        connection: target.native,
        namespace: target.namespace,
        taskQueue: o.activityQueue,
        activities: o.activities,
        maxConcurrentActivityTaskExecutions: activitySlots,
        ...(o.tuning.activityTaskPollerBehavior && { activityTaskPollerBehavior: o.tuning.activityTaskPollerBehavior }),
      }),
    );
  }
  const running = Promise.all(workers.map((w) => w.run()));
  return async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
  };
}

/** A workflow bundle, built once per process and settings (webpack is slow). */
function bundleOf(
  workflowsPath: string,
  kind: 'trainyard' | 'stock',
  codeTarget: string | undefined,
  intrinsics: boolean | undefined,
): Promise<{ code: string }> {
  const key = JSON.stringify([workflowsPath, kind, codeTarget, intrinsics]);
  let b = bundles.get(key);
  if (!b) {
    const stockHook =
      intrinsics === true
        ? trainyardBundleHook({ target: codeTarget ?? 'es2017' })
        : codeTarget !== undefined
          ? compileWorkflowsTo(codeTarget)
          : undefined;
    const extras =
      kind === 'stock'
        ? stockHook && { webpackConfigHook: stockHook }
        : { ...WORKFLOW_BUNDLE_EXTRAS, webpackConfigHook: trainyardBundleHook({ target: codeTarget, intrinsics }) };
    b = bundleWorkflowCode({ workflowsPath, ...extras, logger: quietLogger });
    bundles.set(key, b);
  }
  return b;
}
const bundles = new Map<string, Promise<{ code: string }>>();

/** Starts the workers of one subject on fresh task queues. */
export async function startSubject(
  target: HopTarget,
  kind: SubjectKind,
  o: {
    tuning?: WorkerTuning;
    label?: string;
    /** `trainyard` only: another copy of workflows/ (A/B of a workflow change in one run). */
    workflowsPath?: string;
  } = {},
): Promise<Subject> {
  const tuning = o.tuning ?? {};
  const prefix = `hop-${kind}-${randomUUID().slice(0, 8)}`;
  const client = tuning.eagerStart
    ? new Client({ connection: target.native, namespace: target.namespace })
    : target.client;
  const eager = tuning.eagerStart ? { requestEagerStart: true } : {};
  const label = o.label ?? kind;
  let stopWorkers: () => Promise<void>;
  let start: (w: Workload, id: string) => Promise<WorkflowHandle>;

  if (kind === 'trainyard') {
    // As workers/cpu-workers.ts runs them: the job workflow and its CPU steps in one Worker on the
    // workflows queue (q.cpu is that queue), so CPU steps can be dispatched eagerly.
    const q = queueNames(prefix);
    const workflowQueue = q.workflows;
    stopWorkers = await startTsWorkers(target, {
      workflowQueue,
      activityQueue: q.cpu,
      workflowsPath: o.workflowsPath ?? require.resolve('../../workflows'),
      bundle: 'trainyard',
      activities: { command: tuning.stepHeartbeats ? heartbeatOnceStep : noopStep },
      tuning: { ...tuning, workflowStackTraces: tuning.workflowStackTraces ?? DEFAULT_WORKFLOW_STACK_TRACES },
    });
    start = async (w, id) => {
      const snapshot: JobSnapshot = snapshotOf(
        id,
        specOf(shapeOf(w), w.shape === 'fanout' ? w.parallelism : 100),
        prefix,
      );
      if (!tuning.eagerStart) return startJobWorkflow(target.client, snapshot);
      return client.workflow.start('jobWorkflow', {
        workflowId: id,
        taskQueue: workflowQueue,
        args: [{ snapshot }],
        ...eager,
      });
    };
  } else if (kind === 'ts-baseline') {
    const q = queueNames(prefix);
    const workflowQueue = tuning.sameQueue ? q.cpu : `${prefix}-baseline`;
    stopWorkers = await startTsWorkers(target, {
      workflowQueue,
      activityQueue: q.cpu,
      workflowsPath: require.resolve('../baseline-workflows'),
      bundle: 'stock',
      activities: { command: tuning.stepHeartbeats ? heartbeatOnceStep : noopStep },
      tuning,
    });
    start = (w, id) =>
      client.workflow.start(
        w.shape === 'fanout' ? 'baselineFanOut' : w.shape === 'lattice' ? 'baselineLattice' : 'baselineChain',
        {
          workflowId: id,
          taskQueue: workflowQueue,
          ...eager,
          args: [
            {
              jobId: id,
              taskQueue: q.cpu,
              nodes: nodesOf(w),
              parallelism: parallelismOf(w),
              ...(w.shape === 'lattice' && { rows: w.rows, cols: w.cols }),
            },
          ],
        },
      );
  } else if (kind === 'ts') {
    const workflowQueue = `${prefix}-wf`;
    // Local activities run in the workflow's own Worker, so they need the steps registered there.
    const activityQueue = tuning.sameQueue || tuning.local ? workflowQueue : `${prefix}-act`;
    stopWorkers = await startTsWorkers(target, {
      workflowQueue,
      activityQueue,
      workflowsPath: require.resolve('../hop/workflows'),
      bundle: 'stock',
      activities: { hopNoop },
      tuning,
    });
    start = (w, id) =>
      w.shape === 'lattice'
        ? unsupported(kind, w)
        : client.workflow.start(w.shape === 'fanout' ? 'hopFanOut' : w.shape === 'one' ? 'hopOne' : 'hopChain', {
            workflowId: id,
            taskQueue: workflowQueue,
            ...eager,
            args: [
              {
                nodes: nodesOf(w),
                parallelism: w.shape === 'fanout' ? w.parallelism : 1,
                activityQueue,
                local: !!tuning.local,
              },
            ],
          });
  } else {
    const built = buildGoHopWorker();
    if ('skipped' in built) throw new GoSkipped(built.skipped);
    const taskQueue = `${prefix}-go`;
    // The Go worker polls one queue for both; without sameQueue, eager dispatch is turned off instead.
    const goWorker = await startGoHopWorker(built.binary, {
      address: target.address,
      namespace: target.namespace,
      taskQueue,
      ...(target.tls && { tls: target.tls }),
      ...(tuning.sameQueue ? {} : { disableEager: true }),
      ...(tuning.maxCachedWorkflows !== undefined && { maxCached: tuning.maxCachedWorkflows }),
      ...(tuning.maxConcurrentActivityTaskExecutions !== undefined && {
        activityConcurrency: tuning.maxConcurrentActivityTaskExecutions,
      }),
      ...tuning.go,
    });
    stopWorkers = () => goWorker.stop();
    start = (w, id) =>
      w.shape === 'lattice'
        ? unsupported(kind, w)
        : target.client.workflow.start(w.shape === 'fanout' ? 'GoFanOut' : w.shape === 'one' ? 'GoOne' : 'GoChain', {
            workflowId: id,
            taskQueue,
            args: [
              {
                nodes: nodesOf(w),
                parallelism: w.shape === 'fanout' ? w.parallelism : 1,
                activityQueue: taskQueue,
                local: !!tuning.local,
              },
            ],
          });
  }

  return {
    kind,
    label,
    prefix,
    async execute(w) {
      const h = await start(w, `${prefix}-${randomUUID()}`);
      await h.result();
    },
    async run(w) {
      const id = `${prefix}-${randomUUID()}`;
      const [server0, sdk0] = await Promise.all([scrape(target.serverMetricsUrl), scrape(target.sdkMetricsUrl)]);
      const t0 = nowMs();
      const h = await start(w, id);
      await h.result();
      const wallMs = nowMs() - t0;
      const [server1, sdk1] = await Promise.all([scrape(target.serverMetricsUrl), scrape(target.sdkMetricsUrl)]);
      const histories = await historiesOf(target.client, id);
      return {
        workflowId: id,
        wallMs,
        perNodeMs: wallMs / nodesOf(w),
        hops: w.shape === 'chain' ? chainHops(histories) : [],
        tasks: taskLatencies(histories),
        maxRunEvents: Math.max(...histories.map((h) => h.length)),
        runs: histories.length,
        ...edges(histories),
        metrics: metricsOf(server0, server1, sdk0, sdk1),
      };
    },
    stop: () => stopWorkers(),
  };
}

export class GoSkipped extends Error {}

/** Every run's events, oldest run first (follows continue-as-new back from the latest run). */
export async function historiesOf(client: Client, workflowId: string): Promise<Event[][]> {
  const out: Event[][] = [];
  let runId: string | undefined;
  for (;;) {
    const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = h.events ?? [];
    out.unshift(events);
    const prev = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!prev) return out;
    runId = prev;
  }
}

/**
 * Means over the run, in ms, of what the server and the SDK measured:
 * - server `task_latency_load.<op>`: a history task's wait from creation until the transfer queue read it
 *   (the server's own "persistence schedule-to-start"; `op` = TransferActiveTaskWorkflowTask / …ActivityTask);
 * - server `task_latency_processing.<op>`: sending it on to matching;
 * - sdk `wft_execution`: the worker running workflow code for one task (activation to completion);
 *   `wft_schedule_to_start` / `act_schedule_to_start`: as the SDK saw them; `act_execution`: the step.
 */
function metricsOf(s0: PromSnapshot, s1: PromSnapshot, k0: PromSnapshot, k1: PromSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (prefix: string, r: Record<string, { mean: number; count: number }>, scale: number) => {
    for (const [g, m] of Object.entries(r))
      if (g.startsWith('TransferActiveTask') || g === '') out[`${prefix}${g ? `.${g}` : ''}`] = m.mean * scale;
  };
  // The server's Prometheus timers are in seconds; the SDK's in milliseconds.
  add('server.task_latency_load', histogramMeans(s0, s1, 'task_latency_load', { by: 'operation' }), 1000);
  add('server.task_latency_processing', histogramMeans(s0, s1, 'task_latency_processing', { by: 'operation' }), 1000);
  add('sdk.wft_execution', histogramMeans(k0, k1, 'temporal_workflow_task_execution_latency'), 1);
  add('sdk.wft_schedule_to_start', histogramMeans(k0, k1, 'temporal_workflow_task_schedule_to_start_latency'), 1);
  add('sdk.act_schedule_to_start', histogramMeans(k0, k1, 'temporal_activity_schedule_to_start_latency'), 1);
  add('sdk.act_execution', histogramMeans(k0, k1, 'temporal_activity_execution_latency'), 1);
  return out;
}

// ---- throughput ----

export interface ThroughputResult {
  runs: number;
  concurrency: number;
  wallMs: number;
  perSecond: number;
  /** Start-to-result latency of each workflow. */
  latencyMs: number[];
}

/** `runs` one-step workflows with at most `concurrency` in flight, start to result. */
export async function throughput(s: Subject, o: { runs: number; concurrency: number }): Promise<ThroughputResult> {
  const latencyMs: number[] = [];
  const t0 = nowMs();
  await pool(
    Array.from({ length: o.runs }, (_, i) => i),
    o.concurrency,
    async () => {
      const t = nowMs();
      await s.execute({ shape: 'one' });
      latencyMs.push(nowMs() - t);
    },
  );
  const wallMs = nowMs() - t0;
  return { runs: o.runs, concurrency: o.concurrency, wallMs, perSecond: o.runs / (wallMs / 1000), latencyMs };
}

// ---- comparisons ----

export interface SubjectSpec {
  kind: SubjectKind;
  label: string;
  tuning?: WorkerTuning;
  workflowsPath?: string;
}

export interface Comparison {
  label: string;
  kind: SubjectKind;
  tuning: WorkerTuning;
  /** Wall time per node, one value per repeat. */
  perNodeMs: number[];
  /** Median over repeats of each run's median hop part (chains; NaN otherwise). */
  parts: Record<HopPart, number>;
  headMs: number;
  tailMs: number;
  maxRunEvents: number;
  /** Mean of each metric over the repeats. */
  metrics: Record<string, number>;
  /** Set when the subject could not run (e.g. no Go toolchain). */
  skipped?: string;
}

const medianOf = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Runs `workload` `reps` times for every subject on one target, interleaved (ABC, CBA, …) so drift
 * on a shared machine hits all alike, after one small warm-up run each.
 */
export async function compare(
  target: HopTarget,
  specs: SubjectSpec[],
  workload: Workload,
  o: { reps: number; log?: (line: string) => void },
): Promise<Comparison[]> {
  const subjects: { spec: SubjectSpec; subject?: Subject; skipped?: string; runs: RunResult[] }[] = [];
  try {
    for (const spec of specs) {
      try {
        const subject = await startSubject(target, spec.kind, {
          tuning: spec.tuning,
          label: spec.label,
          workflowsPath: spec.workflowsPath,
        });
        subjects.push({ spec, subject, runs: [] });
      } catch (err) {
        if (!(err instanceof GoSkipped)) throw err;
        subjects.push({ spec, skipped: err.message, runs: [] });
      }
    }
    const live = subjects.filter((s) => s.subject);
    const warm: Workload = workload.shape === 'fanout' ? { ...workload, nodes: 20 } : { shape: 'chain', nodes: 5 };
    for (const s of live) await s.subject!.run(warm);
    for (let r = 0; r < o.reps; r++) {
      for (const s of r % 2 ? [...live].reverse() : live) {
        const res = await s.subject!.run(workload);
        s.runs.push(res);
        o.log?.(`${s.spec.label}: ${res.perNodeMs.toFixed(2)} ms/node (rep ${r + 1}/${o.reps})`);
      }
    }
  } finally {
    for (const s of subjects) await s.subject?.stop();
  }
  return subjects.map(({ spec, skipped, runs }) => {
    const parts = Object.fromEntries(
      HOP_PARTS.map((p) => [p, medianOf(runs.map((r) => medianOf(r.hops.map((h) => h[p]))))]),
    ) as Record<HopPart, number>;
    const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
    return {
      label: spec.label,
      kind: spec.kind,
      tuning: spec.tuning ?? {},
      perNodeMs: runs.map((r) => r.perNodeMs),
      parts,
      headMs: medianOf(runs.map((r) => r.headMs)),
      tailMs: medianOf(runs.map((r) => r.tailMs)),
      maxRunEvents: Math.max(0, ...runs.map((r) => r.maxRunEvents)),
      metrics: Object.fromEntries(metricKeys.map((k) => [k, medianOf(runs.map((r) => r.metrics[k] ?? NaN))])),
      ...(skipped && { skipped }),
    };
  });
}

/** A chain's hop parts as table cells (gap … hop, ms, one decimal); one cell saying why when skipped. */
export function hopPartCells(c: Comparison): (string | number)[] {
  if (c.skipped) return [`skipped: ${c.skipped}`, '', '', '', '', ''];
  const p = c.parts;
  return [p.gap, p.wftQueue, p.wftRun, p.actQueue, p.actRun, p.hop].map((x) => Math.round(x * 10) / 10);
}
