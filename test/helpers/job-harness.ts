// Test harness for the job workflow: snapshots, a test `command` step whose behaviour is driven by
// knobs in config.env (the real CommandConfig allows env), and workers on unique queues.
import { spawn } from 'node:child_process';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { defineStep } from '../../activities/define-step';
import type { JobSpecInput, NodeSpecInput } from '../../src/domain/job-spec';
import { CommandConfig } from '../../src/domain/node-types';
import type { JobSnapshot } from '../../src/domain/snapshot';
import type { ArtifactRef, StepInput, StepOutput } from '../../src/domain/step-io';
import { queueNames } from '../../src/domain/task-queues';
import { DEFAULT_WORKFLOW_STACK_TRACES } from '../../src/config';
import { WORKFLOW_ISOLATE_TIMEOUT } from '../../workers/isolate-timeout';
import { createWorkflowWorker } from '../../workers/workflow-stack-traces';
import type { TestTemporal } from './temporal';

export interface ExecutionRecord {
  nodeId: string;
  attempt: number;
  startedAt: number;
  endedAt?: number;
  outcome?: 'completed' | 'failed' | 'cancelled';
  checkpoint?: ArtifactRef;
  /** First epoch this execution ran (checkpointing nodes). */
  fromEpoch?: number;
  epoch?: number;
  pid?: number;
}

/** What the test step saw: every call, in order. */
export class Recorder {
  readonly calls: ExecutionRecord[] = [];
  callsOf(nodeId: string): ExecutionRecord[] {
    return this.calls.filter((c) => c.nodeId === nodeId);
  }
  running(): ExecutionRecord[] {
    return this.calls.filter((c) => c.endedAt === undefined);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The test `command` step. env knobs:
 * - TEST_SLEEP_MS: run this long, heartbeating, honouring cancellation
 * - TEST_FAIL_TIMES: the first N calls of this node (across executions) fail
 * - TEST_EPOCHS / TEST_EPOCH_MS: a checkpointing loop; resumes from its checkpoint
 * - TEST_FAIL_AT_EPOCH: the loop's first call of this node fails after checkpointing that epoch
 * - TEST_SPAWN=1: runs a real subprocess until cancelled, killed on cancellation
 * - TEST_RESULT_PARAMS=1: the node's params become its summary `result` (what a script's result would say)
 * - TEST_FAIL_WHEN: JSON of params; a node whose params hold all of them fails every attempt
 * - TEST_ITEMS=N (TEST_ITEMS_FAIL_EVERY=K): summary.result.items = [{i, fail}] for i < N, fail = every K-th (a foreach list)
 * - TEST_FAIL_IF_ITEM=flag: a foreach item whose params.item[flag] is true fails every attempt
 * - TEST_CURVE_METRIC=name (with TEST_EPOCHS): each epoch e heartbeats metrics[name] = params.base + 0.01·e
 */
export function testActivities(rec: Recorder) {
  const failures = new Map<string, number>();
  const command = defineStep(CommandConfig, async (input: StepInput<CommandConfig>, ctx): Promise<StepOutput> => {
    const env = input.config.env;
    const r: ExecutionRecord = {
      nodeId: input.nodeId,
      attempt: ctx.attempt,
      startedAt: Date.now(),
      checkpoint: input.checkpoint,
    };
    rec.calls.push(r);
    try {
      if (env.TEST_FAIL_WHEN) {
        const when = JSON.parse(env.TEST_FAIL_WHEN) as Record<string, unknown>;
        if (Object.entries(when).every(([k, v]) => input.params?.[k] === v))
          throw new Error(`planned failure for params ${env.TEST_FAIL_WHEN}`);
      }
      const item = input.params?.item;
      if (
        env.TEST_FAIL_IF_ITEM &&
        typeof item === 'object' &&
        item &&
        (item as Record<string, unknown>)[env.TEST_FAIL_IF_ITEM]
      )
        throw new Error(`planned failure of item ${JSON.stringify(item)}`);
      const failTimes = Number(env.TEST_FAIL_TIMES ?? 0);
      const failed = failures.get(input.nodeId) ?? 0;
      if (failed < failTimes) {
        failures.set(input.nodeId, failed + 1);
        throw new Error(`planned failure ${failed + 1} of ${failTimes}`);
      }
      if (env.TEST_SPAWN) {
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        r.pid = child.pid;
        const exited = new Promise<void>((res) => child.once('exit', () => res()));
        try {
          for (;;) {
            ctx.heartbeat({ phase: 'running', message: `pid ${child.pid}` });
            ctx.throwIfCancelled();
            await sleep(100);
          }
        } finally {
          child.kill('SIGTERM');
          await exited;
        }
      }
      const epochs = Number(env.TEST_EPOCHS ?? 0);
      if (epochs) {
        const from = ctx.resumeCheckpoint ? ctx.resumeCheckpoint.size : 0;
        r.fromEpoch = from;
        for (let e = from + 1; e <= epochs; e++) {
          await sleep(Number(env.TEST_EPOCH_MS ?? 100));
          ctx.throwIfCancelled();
          r.epoch = e;
          const checkpoint: ArtifactRef = {
            name: `ckpt-${e}`,
            uri: `mem://${input.nodeId}/${e}`,
            path: `${input.outputDir}/${input.nodeId}/ckpt-${e}`,
            sha256: '0',
            size: e,
            mediaType: 'application/octet-stream',
          };
          const base = input.params?.base;
          const metrics =
            env.TEST_CURVE_METRIC && typeof base === 'number'
              ? { [env.TEST_CURVE_METRIC]: Math.round((base + 0.01 * e) * 1e6) / 1e6 }
              : undefined;
          ctx.heartbeat({ phase: 'running', epoch: e, epochs, checkpoint, ...(metrics && { metrics }) });
          if (e === Number(env.TEST_FAIL_AT_EPOCH) && !failures.has(`${input.nodeId}@epoch`)) {
            failures.set(`${input.nodeId}@epoch`, 1);
            throw new Error(`planned failure at epoch ${e}`);
          }
        }
      }
      const sleepMs = Number(env.TEST_SLEEP_MS ?? 0);
      const until = Date.now() + sleepMs;
      while (Date.now() < until) {
        ctx.heartbeat({ phase: 'running' });
        ctx.throwIfCancelled();
        await sleep(Math.min(50, until - Date.now()));
      }
      r.outcome = 'completed';
      return {
        summary: {
          node: input.nodeId,
          upstream: Object.keys(input.upstream).sort(),
          ...(r.fromEpoch !== undefined && { fromEpoch: r.fromEpoch }),
          ...(env.TEST_RESULT_PARAMS && { result: input.params ?? {} }),
          ...(env.TEST_CURVE_METRIC &&
            typeof input.params?.base === 'number' && {
              metrics: {
                [env.TEST_CURVE_METRIC]: Math.round((input.params.base + 0.01 * Number(env.TEST_EPOCHS)) * 1e6) / 1e6,
              },
            }),
          ...(env.TEST_ITEMS && {
            result: {
              items: Array.from({ length: Number(env.TEST_ITEMS) }, (_, i) => ({
                i,
                fail: env.TEST_ITEMS_FAIL_EVERY ? i % Number(env.TEST_ITEMS_FAIL_EVERY) === 0 : false,
              })),
            },
          }),
        },
        artifacts: [],
      };
    } catch (err) {
      r.outcome = ctx.signal.aborted ? 'cancelled' : 'failed';
      throw err;
    } finally {
      r.endedAt = Date.now();
    }
  });
  return { command };
}

/** A command node for tests; `env` holds the test knobs. */
export function cmd(
  id: string,
  dependsOn: string[] = [],
  env: Record<string, string> = {},
  extra: Partial<NodeSpecInput> = {},
): NodeSpecInput {
  return {
    id,
    type: 'command',
    dependsOn,
    config: { command: ['true'], env },
    retry: { maxAttempts: 3, initialInterval: 100, maxInterval: 1000 },
    ...extra,
  };
}

export function makeSnapshot(
  jobId: string,
  queuePrefix: string,
  spec: Omit<JobSpecInput, 'name'> & { name?: string },
): JobSnapshot {
  return {
    jobId,
    owner: 'tester',
    spec: { name: jobId, ...spec },
    specHash: 'test',
    submittedAt: new Date().toISOString(),
    queuePrefix,
    pools: {},
    defaults: { stepTimeoutMs: 60_000, heartbeatTimeoutMs: 2_000 },
  };
}

/**
 * Runs fn with the prefix's workers laid out as workers/cpu-workers.ts lays them out: one Worker on
 * the workflows queue running the job workflow and its CPU steps (eager dispatch), and one on the
 * legacy CPU queue for runs recorded before CPU steps moved.
 */
export async function withWorkers<T>(
  t: TestTemporal,
  bundle: WorkflowBundleWithSourceMap,
  prefix: string,
  activities: object,
  fn: () => Promise<T>,
  opts: {
    /** Local activities of the workflows Worker (workers/workflow-activities.ts), e.g. for GPU quotas. */
    workflowActivities?: object;
    /** The SDK's workflow stack traces (TRAINYARD_WORKFLOW_STACK_TRACES); unset: production's default. */
    stackTraces?: boolean;
  } = {},
): Promise<T> {
  const q = queueNames(prefix);
  const common = {
    connection: t.nativeConnection,
    namespace: t.server.namespace,
    activities,
    shutdownGraceTime: '2s' as const,
  };
  const main = await createWorkflowWorker(opts.stackTraces ?? DEFAULT_WORKFLOW_STACK_TRACES, () =>
    Worker.create({
      ...common,
      activities: { ...activities, ...opts.workflowActivities },
      taskQueue: q.workflows,
      workflowBundle: bundle,
      ...WORKFLOW_ISOLATE_TIMEOUT,
    }),
  );
  const legacy = await Worker.create({ ...common, taskQueue: q.legacyCpu });
  return main.runUntil(legacy.runUntil(fn));
}
