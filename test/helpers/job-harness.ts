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
 * - TEST_SPAWN=1: runs a real subprocess until cancelled, killed on cancellation
 */
export function testActivities(rec: Recorder) {
  const failures = new Map<string, number>();
  const command = defineStep(CommandConfig, async (input: StepInput<CommandConfig>, ctx): Promise<StepOutput> => {
    const env = input.config.env;
    const r: ExecutionRecord = { nodeId: input.nodeId, attempt: ctx.attempt, startedAt: Date.now(), checkpoint: input.checkpoint };
    rec.calls.push(r);
    try {
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
          const checkpoint: ArtifactRef = { name: `ckpt-${e}`, uri: `mem://${input.nodeId}/${e}`, path: `${input.outputDir}/${input.nodeId}/ckpt-${e}`, sha256: '0', size: e, mediaType: 'application/octet-stream' };
          ctx.heartbeat({ phase: 'running', epoch: e, epochs, checkpoint });
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
      return { summary: { node: input.nodeId, upstream: Object.keys(input.upstream).sort(), ...(r.fromEpoch !== undefined && { fromEpoch: r.fromEpoch }) }, artifacts: [] };
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
export function cmd(id: string, dependsOn: string[] = [], env: Record<string, string> = {}, extra: Partial<NodeSpecInput> = {}): NodeSpecInput {
  return { id, type: 'command', dependsOn, config: { command: ['true'], env }, retry: { maxAttempts: 3, initialInterval: 100, maxInterval: 1000 }, ...extra };
}

export function makeSnapshot(jobId: string, queuePrefix: string, spec: Omit<JobSpecInput, 'name'> & { name?: string }): JobSnapshot {
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

/** Runs fn with a workflow worker and a CPU activity worker on the prefix's queues. */
export async function withWorkers<T>(t: TestTemporal, bundle: WorkflowBundleWithSourceMap, prefix: string, activities: object, fn: () => Promise<T>): Promise<T> {
  const q = queueNames(prefix);
  const wfWorker = await Worker.create({ connection: t.nativeConnection, namespace: t.server.namespace, taskQueue: q.workflows, workflowBundle: bundle });
  const actWorker = await Worker.create({ connection: t.nativeConnection, namespace: t.server.namespace, taskQueue: q.cpu, activities, shutdownGraceTime: '2s' });
  return wfWorker.runUntil(actWorker.runUntil(fn));
}
