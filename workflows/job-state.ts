// The job's DAG state: node statuses, dependency counters and the ready queue. Pure and
// deterministic (no workflow APIs, no I/O): the job workflow drives it, replay re-drives it.
// Scheduling work over a run is O(nodes + edges): a completion decrements its children's counters,
// a failure skips each descendant once, nothing rescans the whole graph per event.
import { z } from 'zod';
import type { JobSpec, NodeSpec } from '../src/domain/job-spec';
import { NODE_STATUSES, type JobProgress, type JobStatus, type NodeError, type NodeState, type NodeStatus, type RecoveryRecord } from '../src/domain/progress';
import type { ArtifactRef, StepOutput } from '../src/domain/step-io';

export interface NodeRt {
  readonly index: number;
  readonly spec: NodeSpec;
  readonly taskQueue: string;
  readonly parents: number[];
  readonly children: number[];
  /** Dependencies not yet completed. */
  waiting: number;
  status: NodeStatus;
  attempts: number;
  executions: number;
  startedAtMs?: number;
  completedAtMs?: number;
  output?: StepOutput;
  error?: NodeError;
  /** Checkpoint reported by an execution stopped by `pause now`; handed to the next execution. */
  checkpoint?: ArtifactRef;
}

const STACK_LIMIT = 4_000;
/** Node details in a query result or the workflow result stay under this (Temporal's payload limit is 2 MiB). */
export const PROGRESS_BUDGET_BYTES = 1_500_000;

export class JobState {
  readonly nodes: NodeRt[];
  readonly byId = new Map<string, number>();
  readonly counts: Record<NodeStatus, number>;
  private ready: number[] = [];
  private readyHead = 0;

  constructor(spec: JobSpec, taskQueueOf: (node: NodeSpec) => string) {
    this.nodes = spec.nodes.map((n, index) => ({ index, spec: n, taskQueue: taskQueueOf(n), parents: [], children: [], waiting: 0, status: 'pending', attempts: 0, executions: 0 }));
    this.nodes.forEach((n) => this.byId.set(n.spec.id, n.index));
    for (const n of this.nodes) {
      for (const dep of n.spec.dependsOn) {
        const p = this.byId.get(dep);
        if (p === undefined || n.parents.includes(p)) continue;
        n.parents.push(p);
        this.nodes[p]!.children.push(n.index);
      }
    }
    this.counts = Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
    this.counts.pending = this.nodes.length;
  }

  node(i: number): NodeRt {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node #${i}`);
    return n;
  }

  get size(): number {
    return this.nodes.length;
  }

  get running(): number {
    return this.counts.running + this.counts.queued + this.counts.retrying;
  }

  allCompleted(): boolean {
    return this.counts.completed === this.nodes.length;
  }

  /** Recomputes every dependency counter and the ready queue (start of a run; O(nodes + edges)). */
  rebuildReady(): void {
    this.ready = [];
    this.readyHead = 0;
    for (const n of this.nodes) {
      n.waiting = n.parents.reduce((k, p) => k + (this.nodes[p]!.status === 'completed' ? 0 : 1), 0);
      if (n.status === 'pending' && n.waiting === 0) this.ready.push(n.index);
    }
  }

  /** The next pending node whose dependencies all completed, or undefined. */
  takeReady(): number | undefined {
    while (this.readyHead < this.ready.length) {
      const i = this.ready[this.readyHead++]!;
      if (this.nodes[i]!.status === 'pending') return i;
    }
    this.compactReady();
    return undefined;
  }

  hasReady(): boolean {
    while (this.readyHead < this.ready.length && this.nodes[this.ready[this.readyHead]!]!.status !== 'pending') this.readyHead++;
    return this.readyHead < this.ready.length;
  }

  private compactReady(): void {
    this.ready = this.ready.slice(this.readyHead);
    this.readyHead = 0;
  }

  private setStatus(n: NodeRt, status: NodeStatus): void {
    this.counts[n.status]--;
    this.counts[status]++;
    n.status = status;
  }

  markStarted(i: number, nowMs: number): number {
    const n = this.node(i);
    this.setStatus(n, 'running');
    n.executions++;
    n.attempts = 1;
    n.startedAtMs = nowMs;
    n.completedAtMs = undefined;
    n.output = undefined;
    n.error = undefined;
    return n.executions;
  }

  markCompleted(i: number, output: StepOutput, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'completed');
    n.output = output;
    n.attempts = output.meta?.attempt ?? n.attempts;
    n.completedAtMs = nowMs;
    n.checkpoint = undefined;
    for (const c of n.children) {
      const child = this.nodes[c]!;
      child.waiting--;
      if (child.waiting === 0 && child.status === 'pending') this.ready.push(c);
    }
  }

  markFailed(i: number, error: NodeError, attempts: number, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'failed');
    n.error = { ...error, stack: error.stack?.slice(0, STACK_LIMIT) };
    n.attempts = attempts;
    n.completedAtMs = nowMs;
  }

  markCancelled(i: number, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'cancelled');
    n.completedAtMs = nowMs;
  }

  markPaused(i: number, checkpoint: ArtifactRef | undefined, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'paused');
    if (checkpoint) n.checkpoint = checkpoint;
    n.completedAtMs = nowMs;
  }

  /** Marks every pending descendant `skipped`. A skipped node's descendants are already skipped, so each node is visited once per run. */
  skipDescendants(i: number): number {
    let skipped = 0;
    const stack = [...this.node(i).children];
    while (stack.length) {
      const c = this.nodes[stack.pop()!]!;
      if (c.status !== 'pending' && c.status !== 'paused') continue;
      this.setStatus(c, 'skipped');
      skipped++;
      stack.push(...c.children);
    }
    return skipped;
  }

  /** failFast: nothing else starts. */
  skipAllPending(): void {
    for (const n of this.nodes) if (n.status === 'pending' || n.status === 'paused') this.setStatus(n, 'skipped');
  }

  /** Paused nodes (or the given ones) go back to pending at the head of the ready queue. Returns how many. */
  requeuePaused(only?: number[]): number {
    const paused = (only ?? this.nodes.map((n) => n.index)).filter((i) => this.nodes[i]!.status === 'paused');
    for (const i of paused) this.setStatus(this.nodes[i]!, 'pending');
    const ready = paused.filter((i) => this.nodes[i]!.waiting === 0);
    this.ready = [...ready, ...this.ready.slice(this.readyHead)];
    this.readyHead = 0;
    return paused.length;
  }

  /** Nodes a recovery resets: `fromNode` and its descendants, else every failed/skipped/cancelled node. */
  recoverySet(fromNode?: string): number[] {
    if (fromNode === undefined) return this.nodes.filter((n) => n.status === 'failed' || n.status === 'skipped' || n.status === 'cancelled').map((n) => n.index);
    const start = this.byId.get(fromNode);
    if (start === undefined) return [];
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length) {
      for (const c of this.nodes[stack.pop()!]!.children) {
        if (!seen.has(c)) { seen.add(c); stack.push(c); }
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /** Resets the given nodes to pending (completed upstream outputs are kept and reused). */
  reset(indices: number[]): void {
    const inSet = new Set(indices);
    for (const i of indices) {
      const n = this.nodes[i]!;
      this.setStatus(n, 'pending');
      n.attempts = 0;
      n.output = undefined;
      n.error = undefined;
      n.startedAtMs = undefined;
      n.completedAtMs = undefined;
      n.checkpoint = undefined;
    }
    for (const i of indices) {
      const n = this.nodes[i]!;
      n.waiting = n.parents.reduce((k, p) => k + (this.nodes[p]!.status === 'completed' ? 0 : 1), 0);
    }
    this.compactReady();
    for (const i of indices) {
      const n = this.nodes[i]!;
      if (n.status !== 'pending') continue;
      // A parent outside the reset set that did not complete will never run: skip honestly.
      const blocked = n.parents.some((p) => !inSet.has(p) && this.nodes[p]!.status !== 'completed');
      if (blocked) {
        this.setStatus(n, 'skipped');
        this.skipDescendants(i);
      } else if (n.waiting === 0) this.ready.push(i);
    }
  }

  failedNodeIds(): string[] {
    return this.nodes.filter((n) => n.status === 'failed').map((n) => n.spec.id);
  }

  nodeState(n: NodeRt, withOutput = true): NodeState {
    return {
      id: n.spec.id,
      type: n.spec.type,
      status: n.status,
      taskQueue: n.taskQueue,
      attempts: n.attempts,
      executions: n.executions,
      ...(n.startedAtMs !== undefined && { startedAt: iso(n.startedAtMs) }),
      ...(n.completedAtMs !== undefined && { completedAt: iso(n.completedAtMs) }),
      ...(n.startedAtMs !== undefined && n.completedAtMs !== undefined && { durationMs: n.completedAtMs - n.startedAtMs }),
      ...(withOutput && n.output && { output: n.output }),
      ...(n.error && { error: n.error }),
    };
  }

  /**
   * The `progress` shape. Node details are trimmed when they would not fit a Temporal payload:
   * first outputs go, then completed nodes (`trimmed` says which).
   */
  toProgress(job: Omit<JobProgress, 'progress' | 'currentNodes' | 'counts' | 'nodes' | 'trimmed'>): JobProgress {
    const finished = this.counts.completed + this.counts.skipped;
    const base = {
      ...job,
      progress: this.nodes.length ? Math.floor((finished * 100) / this.nodes.length) : 100,
      currentNodes: this.nodes.filter((n) => n.status === 'running' || n.status === 'queued' || n.status === 'retrying').map((n) => n.spec.id),
      counts: { ...this.counts },
    };
    let nodes = this.nodes.map((n) => this.nodeState(n));
    if (this.nodes.length > 500 && JSON.stringify(nodes).length > PROGRESS_BUDGET_BYTES) {
      nodes = this.nodes.map((n) => this.nodeState(n, false));
      if (JSON.stringify(nodes).length <= PROGRESS_BUDGET_BYTES) return { ...base, nodes, trimmed: 'outputs' };
      return { ...base, nodes: nodes.filter((n) => n.status !== 'completed'), trimmed: 'completedNodes' };
    }
    return { ...base, nodes };
  }

  // ---- continue-as-new ----

  /**
   * A compact snapshot of node states for continue-as-new (nothing may be running). Times are
   * relative to `baseMs` (the job's start). Outputs are carried while they fit `outputBudgetBytes`;
   * beyond that only outputs a not-yet-completed child still needs are kept.
   */
  carry(baseMs: number, outputBudgetBytes: number): CarriedNodes {
    const nodes: CarriedNodes['nodes'] = [];
    const outputs: Record<string, StepOutput> = {};
    const errors: Record<string, NodeError> = {};
    const checkpoints: Record<string, ArtifactRef> = {};
    for (const n of this.nodes) {
      const status = n.status === 'running' || n.status === 'queued' || n.status === 'retrying' ? 'pending' : n.status;
      const rel = (ms: number | undefined) => (ms === undefined ? -1 : ms - baseMs);
      nodes.push([NODE_STATUSES.indexOf(status), n.attempts, n.executions, rel(n.startedAtMs), rel(n.completedAtMs)]);
      if (n.output) outputs[n.index] = compactOutput(n.output);
      if (n.error) errors[n.index] = n.error;
      if (n.checkpoint) checkpoints[n.index] = n.checkpoint;
    }
    return { nodes, outputs: this.thinOutputs(outputs, outputBudgetBytes), errors, checkpoints };
  }

  private thinOutputs(outputs: Record<string, StepOutput>, budgetBytes: number): Record<string, StepOutput> {
    if (JSON.stringify(outputs).length <= budgetBytes) return outputs;
    const kept: Record<string, StepOutput> = {};
    for (const [k, out] of Object.entries(outputs)) {
      const n = this.nodes[Number(k)]!;
      if (n.children.some((c) => this.nodes[c]!.status !== 'completed')) kept[k] = out;
    }
    return kept;
  }

  restore(c: CarriedNodes, baseMs: number): void {
    if (c.nodes.length !== this.nodes.length) throw new Error(`carried state has ${c.nodes.length} nodes, spec has ${this.nodes.length}`);
    c.nodes.forEach(([s, attempts, executions, startedAt, completedAt], i) => {
      const n = this.nodes[i]!;
      this.setStatus(n, NODE_STATUSES[s] ?? 'pending');
      n.attempts = attempts;
      n.executions = executions;
      n.startedAtMs = startedAt >= 0 ? baseMs + startedAt : undefined;
      n.completedAtMs = completedAt >= 0 ? baseMs + completedAt : undefined;
      n.output = c.outputs[i];
      n.error = c.errors[i];
      n.checkpoint = c.checkpoints[i];
    });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function compactOutput(o: StepOutput): StepOutput {
  const { meta, ...rest } = o;
  return meta ? { ...rest, meta: { attempt: meta.attempt, startedAt: meta.startedAt, finishedAt: meta.finishedAt } } : rest;
}

// Schemas of what continue-as-new carries: validated on the way in, like every other edge.
export const ArtifactRefSchema = z.object({
  name: z.string(),
  uri: z.string(),
  path: z.string(),
  sha256: z.string(),
  size: z.number(),
  mediaType: z.string(),
});
const StepOutputSchema = z.object({
  summary: z.record(z.string(), z.unknown()),
  artifacts: z.array(ArtifactRefSchema),
  refs: z.record(z.string(), ArtifactRefSchema).optional(),
  meta: z.object({ attempt: z.number(), startedAt: z.string(), finishedAt: z.string() }).optional(),
});
const NodeErrorSchema = z.object({ message: z.string(), type: z.string().optional(), stack: z.string().optional() });

export const CarriedNodes = z.object({
  /** Per node, in spec order: [status index, attempts, executions, startedAt | -1, completedAt | -1] (ms since the job started). */
  nodes: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number(), z.number()])),
  outputs: z.record(z.string(), StepOutputSchema),
  errors: z.record(z.string(), NodeErrorSchema),
  checkpoints: z.record(z.string(), ArtifactRefSchema),
});
export type CarriedNodes = z.infer<typeof CarriedNodes>;

export const CarriedState = z.object({
  v: z.literal(1),
  /** Runs so far, this one included. */
  runs: z.number().int().min(1),
  startedAtMs: z.number(),
  recoveryAttempts: z.number().int().min(0),
  recoveries: z.array(z.object({ at: z.string(), fromNode: z.string().optional(), nodes: z.array(z.string()) })),
  pauseMode: z.enum(['drain', 'now']).optional(),
  failFastTripped: z.boolean(),
  nodes: CarriedNodes,
});
export type CarriedState = z.infer<typeof CarriedState>;

export type { JobStatus, RecoveryRecord };
