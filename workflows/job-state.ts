// The job's DAG state: node statuses, dependency counters and the ready queue. Pure and
// deterministic (no workflow APIs, no I/O): the job workflow drives it, replay re-drives it.
// Scheduling work over a run is O(nodes + edges): a completion decrements its children's counters,
// a failure skips each descendant once, nothing rescans the whole graph per event.
import { z } from 'zod';
import { effectiveGpus, type JobSpec, type NodeSpec } from '../src/domain/job-spec';
import {
  NodeError,
  PROGRESS_SUMMARY_ABOVE_NODES,
  PROGRESS_SUMMARY_BUDGET_BYTES,
  PROGRESS_SUMMARY_NODES,
  RecoveryRecord,
  PauseMode,
  type JobProgress,
  type NodeState,
  type NodeWaiting,
} from '../src/domain/progress';
import {
  IN_FLIGHT_NODE_STATUSES,
  NODE_STATUSES,
  TERMINAL_NODE_STATUSES,
  type NodeStatus,
} from '../src/domain/statuses';
import {
  ArtifactRef,
  NO_USAGE,
  StepOutput,
  addUsage,
  type SelectCandidate,
  type StepUsage,
} from '../src/domain/step-io';
import { trialNodeId } from '../src/domain/sweep-spec';
import { NODES_QUERY_MAX_UPSTREAM, type NodesQueryInput, type NodesQueryResult } from '../src/domain/messages';
import { NotificationDelivery } from '../src/domain/notify';
import { cachedSchema } from '../src/domain/schema-cache';

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
  /** Started but not scheduled yet (over GPU quota): status `queued`. */
  waitingFor?: NodeWaiting;
  /** First start ever and last end (any execution); kept across recoveries. */
  firstStartedAtMs?: number;
  lastEndedAtMs?: number;
  /** Summed over every finished attempt and execution (NodeUsage without wallMs). */
  usage: StepUsage;
  /** An item node of a foreach: its map node and index. */
  item?: { map: number; index: number };
}

/** An expanded foreach node (a map): its items are nodes `first … first + count - 1`. */
interface MapRt {
  readonly items: readonly unknown[];
  readonly first: number;
  readonly count: number;
  /** Items that ended (completed, failed, skipped, cancelled) and, of them, completed. */
  done: number;
  completed: number;
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
  /** Sweeps and maps with `maxParallel`: per node the limited group it counts against (-1: none); undefined when none limits. */
  private limitOf: Int32Array | undefined;
  /** Expanded foreach nodes, by map node index, in expansion order. */
  private readonly maps = new Map<number, MapRt>();
  /** Map nodes in an in-flight status: they wait for their items and run nothing themselves. */
  private openMaps = 0;
  private readonly taskQueueOf: (node: NodeSpec) => string;
  private readonly limits: { max: number; running: number; deferred: number[] }[] = [];

  /** Sweep groups whose fan-ins tolerate trials that did not complete (minSuccessRatio, early stopping); empty = none. */
  private readonly tolerant: Map<string, { ratio: number; trials: number }>;

  /**
   * `sweepTolerance`: a node fanning in over a sweep's trials runs when the trials (or their
   * per-trial copies) it depends on ended completed or stopped in at least the group's
   * minSuccessRatio share, instead of being skipped when any did not (runs recorded before it: off).
   */
  constructor(spec: JobSpec, taskQueueOf: (node: NodeSpec) => string, opts: { sweepTolerance?: boolean } = {}) {
    this.taskQueueOf = taskQueueOf;
    this.tolerant = new Map(
      opts.sweepTolerance
        ? Object.entries(spec.sweeps ?? {}).map(([g, v]) => [g, { ratio: v.minSuccessRatio, trials: v.trials }])
        : [],
    );
    this.nodes = spec.nodes.map((n, index) => ({
      index,
      spec: n,
      taskQueue: taskQueueOf(n),
      parents: [],
      children: [],
      waiting: 0,
      status: 'pending',
      attempts: 0,
      executions: 0,
      usage: { ...NO_USAGE },
    }));
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
    this.limitOf = this.sweepLimits(spec);
  }

  /** A sweep's `maxParallel` bounds its trials (not their per-trial copies below). */
  private sweepLimits(spec: JobSpec): Int32Array | undefined {
    const groups = Object.entries(spec.sweeps ?? {}).filter(([, g]) => g.maxParallel !== undefined);
    if (groups.length === 0) return undefined;
    const slot = new Map<string, number>();
    for (const [id, g] of groups) {
      slot.set(id, this.limits.length);
      this.limits.push({ max: g.maxParallel!, running: 0, deferred: [] });
    }
    const limitOf = new Int32Array(this.nodes.length).fill(-1);
    for (const n of this.nodes) {
      const t = n.spec.trial;
      const g = t && slot.get(t.group);
      if (g !== undefined && n.spec.id === trialNodeId(t!.group, t!.index, spec.sweeps![t!.group]!.trials))
        limitOf[n.index] = g;
    }
    return limitOf;
  }

  /** Keeps the running count of a limited sweep; a trial leaving flight lets deferred ones back into the ready queue. */
  private trackLimit(n: NodeRt, from: NodeStatus, to: NodeStatus): void {
    const g = this.limitOf![n.index]!;
    if (g < 0) return;
    const was = IN_FLIGHT_NODE_STATUSES.has(from);
    const is = IN_FLIGHT_NODE_STATUSES.has(to);
    if (was === is) return;
    const l = this.limits[g]!;
    l.running += is ? 1 : -1;
    if (is) return;
    const free = l.max - l.running;
    if (free > 0 && l.deferred.length) this.ready.push(...l.deferred.splice(0, free));
  }

  /** True when taking node i now would exceed its sweep's maxParallel (it is then set aside until a trial ends). */
  private deferIfLimited(i: number): boolean {
    const g = this.limitOf?.[i] ?? -1;
    if (g < 0) return false;
    const l = this.limits[g]!;
    if (l.running < l.max) return false;
    l.deferred.push(i);
    return true;
  }

  node(i: number): NodeRt {
    const n = this.nodes[i];
    if (!n) throw new Error(`no node #${i}`);
    return n;
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Nodes in flight (dispatched to a step, not back yet); a map waiting for its items is not. */
  get running(): number {
    let k = -this.openMaps;
    for (const s of IN_FLIGHT_NODE_STATUSES) k += this.counts[s];
    return k;
  }

  /**
   * Every node completed — but an item of a completed map may have failed (its map's
   * minSuccessRatio allowed it), a trial may have been stopped early, and with sweep tolerance a
   * trial (or its per-trial copies) may have failed while enough of its sweep's trials succeeded.
   */
  allCompleted(): boolean {
    let tolerated = 0;
    for (const [m, map] of this.maps) if (this.nodes[m]!.status === 'completed') tolerated += map.count - map.completed;
    const settled = this.counts.completed + this.counts.stopped + tolerated;
    if (settled === this.nodes.length) return true;
    if (this.tolerant.size === 0) return false;
    const lost = this.nodes.filter((n) => n.status !== 'completed' && n.status !== 'stopped' && !n.item);
    if (settled + lost.length !== this.nodes.length) return false;
    const groupOk = new Map<string, boolean>();
    return lost.every((n) => {
      const g = n.spec.trial?.group;
      if (g === undefined || !TERMINAL_NODE_STATUSES.has(n.status)) return false;
      let ok = groupOk.get(g);
      if (ok === undefined) groupOk.set(g, (ok = this.groupSucceeded(g)));
      return ok;
    });
  }

  /** A sweep's trials: did at least minSuccessRatio of them end completed or stopped (counted on the trial nodes)? */
  private groupSucceeded(group: string): boolean {
    const g = this.tolerant.get(group);
    if (!g) return false;
    let ok = 0;
    for (const n of this.nodes)
      if (n.spec.trial?.group === group && n.spec.id === trialNodeId(group, n.spec.trial.index, g.trials))
        ok += n.status === 'completed' || n.status === 'stopped' ? 1 : 0;
    return ok >= Math.ceil(g.ratio * g.trials - 1e-9);
  }

  // ---- sweep tolerance: fan-ins over trials that did not all complete ----

  /** Does child c run even when parent p ends without completing? (p is a trial or a per-trial copy, c fans in over the group.) */
  private tolerates(c: NodeRt, p: NodeRt): boolean {
    const g = p.spec.trial?.group;
    return g !== undefined && this.tolerant.has(g) && c.spec.trial?.group !== g;
  }

  /** A parent that ended without completing and will not run again this run. */
  private isLost(p: NodeRt): boolean {
    return TERMINAL_NODE_STATUSES.has(p.status) && p.status !== 'completed';
  }

  /** A trial member that counts as a success: completed, stopped, or a copy skipped because its trial was stopped. */
  private trialOk(p: NodeRt): boolean {
    if (p.status === 'completed' || p.status === 'stopped') return true;
    return p.status === 'skipped' && this.membersOf(p).some((m) => this.nodes[m]!.status === 'stopped');
  }

  /** Whether a child whose parents have all ended may run: each sweep it fans in over met its minSuccessRatio. */
  private passes(c: NodeRt): boolean {
    if (this.tolerant.size === 0) return true;
    const per = new Map<string, { ok: number; all: number }>();
    for (const pi of c.parents) {
      const p = this.nodes[pi]!;
      if (!this.tolerates(c, p)) continue;
      const g = p.spec.trial!.group;
      const k = per.get(g) ?? { ok: 0, all: 0 };
      k.all++;
      if (this.trialOk(p)) k.ok++;
      per.set(g, k);
    }
    for (const [g, k] of per) if (k.ok < Math.ceil(this.tolerant.get(g)!.ratio * k.all - 1e-9)) return false;
    return true;
  }

  /** Parents a node still waits for: not completed, and not lost where it tolerates them. */
  private waitingOf(n: NodeRt): number {
    let k = 0;
    for (const pi of n.parents) {
      const p = this.nodes[pi]!;
      if (p.status !== 'completed' && !(this.tolerant.size && this.isLost(p) && this.tolerates(n, p))) k++;
    }
    return k;
  }

  /** Recomputes every dependency counter and the ready queue (start of a run; O(nodes + edges)). */
  rebuildReady(): void {
    this.ready = [];
    this.readyHead = 0;
    for (const l of this.limits) l.deferred = [];
    for (const n of this.nodes) {
      n.waiting = this.waitingOf(n);
      if (n.status === 'pending' && n.waiting === 0 && this.passes(n)) this.ready.push(n.index);
    }
  }

  /** The next pending node whose dependencies all completed, or undefined. */
  takeReady(): number | undefined {
    while (this.readyHead < this.ready.length) {
      const i = this.ready[this.readyHead++]!;
      if (this.nodes[i]!.status === 'pending' && !this.deferIfLimited(i)) return i;
    }
    this.compactReady();
    return undefined;
  }

  hasReady(): boolean {
    while (this.readyHead < this.ready.length && this.nodes[this.ready[this.readyHead]!]!.status !== 'pending')
      this.readyHead++;
    return this.readyHead < this.ready.length;
  }

  private compactReady(): void {
    this.ready = this.ready.slice(this.readyHead);
    this.readyHead = 0;
  }

  private setStatus(n: NodeRt, status: NodeStatus): void {
    this.counts[n.status]--;
    this.counts[status]++;
    if (this.limitOf) this.trackLimit(n, n.status, status);
    if (n.item) this.trackItem(n, n.status, status);
    else if (this.maps.has(n.index))
      this.openMaps += (IN_FLIGHT_NODE_STATUSES.has(status) ? 1 : 0) - (IN_FLIGHT_NODE_STATUSES.has(n.status) ? 1 : 0);
    n.status = status;
  }

  // ---- foreach: maps and their items ----

  private trackItem(n: NodeRt, from: NodeStatus, to: NodeStatus): void {
    const map = this.maps.get(n.item!.map)!;
    const d = (s: NodeStatus) => (TERMINAL_NODE_STATUSES.has(s) ? 1 : 0);
    map.done += d(to) - d(from);
    map.completed += (to === 'completed' ? 1 : 0) - (from === 'completed' ? 1 : 0);
  }

  isMap(i: number): boolean {
    return this.maps.has(i);
  }

  /**
   * Expands map node i into its items (each a node of its own, ready at once): the map node is
   * `running` while they run and runs nothing itself. `specs` are the items' specs (foreach.ts
   * itemSpec), `items` the list they came from (carried across continue-as-new).
   */
  expandMap(i: number, items: readonly unknown[], specs: readonly NodeSpec[], nowMs: number): void {
    const n = this.node(i);
    this.addItems(i, items, specs);
    this.setStatus(n, 'running');
    n.executions++;
    n.attempts = 1;
    n.startedAtMs = nowMs;
    n.completedAtMs = undefined;
    n.output = undefined;
    n.error = undefined;
    const map = this.maps.get(i)!;
    for (let k = 0; k < map.count; k++) this.ready.push(map.first + k);
  }

  private addItems(i: number, items: readonly unknown[], specs: readonly NodeSpec[]): void {
    if (this.maps.has(i)) throw new Error(`node #${i} is already expanded`);
    const first = this.nodes.length;
    this.maps.set(i, { items, first, count: specs.length, done: 0, completed: 0 });
    const max = this.nodes[i]!.spec.foreach?.maxParallel;
    let group = -1;
    if (max !== undefined) {
      group = this.limits.length;
      this.limits.push({ max, running: 0, deferred: [] });
    }
    if (group >= 0 || this.limitOf) {
      const grown = new Int32Array(first + specs.length).fill(-1);
      if (this.limitOf) grown.set(this.limitOf);
      this.limitOf = grown;
    }
    specs.forEach((spec, k) => {
      const index = first + k;
      this.nodes.push({
        index,
        spec,
        taskQueue: this.taskQueueOf(spec),
        parents: [],
        children: [],
        waiting: 0,
        status: 'pending',
        attempts: 0,
        executions: 0,
        usage: { ...NO_USAGE },
        item: { map: i, index: k },
      });
      this.byId.set(spec.id, index);
      this.counts.pending++;
      if (group >= 0) this.limitOf![index] = group;
    });
  }

  /** The open map whose items have all ended, if node i is its item (or the map itself). */
  mapDue(i: number): number | undefined {
    const n = this.node(i);
    const m = n.item ? n.item.map : this.maps.has(i) ? i : undefined;
    if (m === undefined) return undefined;
    const map = this.maps.get(m)!;
    return IN_FLIGHT_NODE_STATUSES.has(this.nodes[m]!.status) && map.done === map.count ? m : undefined;
  }

  /** Every open map whose items have all ended (after a recovery). */
  mapsDue(): number[] {
    return [...this.maps.keys()].filter((m) => this.mapDue(m) !== undefined);
  }

  /** How a map's items ended: counts, and the ids of the ones that did not complete (first `limit`). */
  mapTally(m: number, limit = 50): { items: number; completed: number; lost: number; lostIds: string[] } {
    const map = this.maps.get(m)!;
    const lostIds: string[] = [];
    for (let k = 0; k < map.count && lostIds.length < limit; k++) {
      const n = this.nodes[map.first + k]!;
      if (n.status !== 'completed') lostIds.push(n.spec.id);
    }
    return { items: map.count, completed: map.completed, lost: map.count - map.completed, lostIds };
  }

  /** Bytes the maps' lists take in a carried state. */
  mapItemsBytes(): number {
    let k = 0;
    for (const map of this.maps.values()) k += JSON.stringify(map.items).length;
    return k;
  }

  /** The items of every map, in expansion order (what continue-as-new carries to rebuild them). */
  private carriedMaps(): [number, unknown[]][] {
    return [...this.maps].map(([m, map]) => [m, [...map.items]]);
  }

  markStarted(i: number, nowMs: number): number {
    const n = this.node(i);
    this.setStatus(n, 'running');
    n.executions++;
    n.attempts = 1;
    n.startedAtMs = nowMs;
    n.firstStartedAtMs ??= nowMs;
    n.completedAtMs = undefined;
    n.output = undefined;
    n.error = undefined;
    return n.executions;
  }

  /** A started node waits before it is scheduled (GPU quota): `queued`, with the reason. */
  markWaiting(i: number, waiting: NodeWaiting): void {
    const n = this.node(i);
    if (n.status === 'running' || n.status === 'queued') this.setStatus(n, 'queued');
    n.waitingFor = waiting;
  }

  /** The wait is over: the node's step is scheduled. */
  markDispatched(i: number): void {
    const n = this.node(i);
    if (n.status === 'queued') this.setStatus(n, 'running');
    n.waitingFor = undefined;
  }

  /** Adds what an execution (or part of one) used to the node's totals. */
  addUsage(i: number, usage: Partial<StepUsage> | undefined): void {
    if (!usage) return;
    const n = this.node(i);
    n.usage = addUsage(n.usage, { ...NO_USAGE, ...usage });
  }

  /** The checkpoint the next execution of the node starts from (a failed or cancelled one reported it). */
  keepCheckpoint(i: number, checkpoint: ArtifactRef | undefined): void {
    if (checkpoint) this.node(i).checkpoint = checkpoint;
  }

  /**
   * A waiting node is taken back before it was scheduled (pause, continue-as-new): pending again,
   * at the head of the ready queue. Its execution number stays used (lease ids are per execution).
   */
  withdraw(i: number): void {
    const n = this.node(i);
    this.setStatus(n, 'pending');
    n.waitingFor = undefined;
    n.startedAtMs = undefined;
    // It had started, so its dependencies are complete: ready at once.
    this.ready = [i, ...this.ready.slice(this.readyHead)];
    this.readyHead = 0;
  }

  markCompleted(i: number, output: StepOutput, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'completed');
    n.waitingFor = undefined;
    n.output = output;
    n.attempts = output.meta?.attempt ?? n.attempts;
    n.completedAtMs = nowMs;
    n.lastEndedAtMs = nowMs;
    n.checkpoint = undefined;
    this.addUsage(i, output.meta?.usage);
    for (const c of n.children) {
      const child = this.nodes[c]!;
      child.waiting--;
      if (child.waiting === 0 && child.status === 'pending') {
        if (this.passes(child)) this.ready.push(c);
        else this.skipFrom(c);
      }
    }
  }

  /** A trial stopped early (its metric lost to the others' median): not a failure; `why` says what it lost to. */
  markStopped(i: number, why: NodeError, checkpoint: ArtifactRef | undefined, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'stopped');
    n.error = why;
    n.waitingFor = undefined;
    if (checkpoint) n.checkpoint = checkpoint;
    n.completedAtMs = nowMs;
    n.lastEndedAtMs = nowMs;
  }

  /** Skips node c (pending) and what below it does not tolerate it. */
  private skipFrom(c: number): number {
    const n = this.nodes[c]!;
    this.setStatus(n, 'skipped');
    return 1 + this.skipDescendants(c);
  }

  markFailed(i: number, error: NodeError, attempts: number, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'failed');
    n.waitingFor = undefined;
    n.error = { ...error, stack: error.stack?.slice(0, STACK_LIMIT) };
    n.attempts = attempts;
    n.completedAtMs = nowMs;
    n.lastEndedAtMs = nowMs;
  }

  markCancelled(i: number, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'cancelled');
    n.waitingFor = undefined;
    n.completedAtMs = nowMs;
    if (n.startedAtMs !== undefined) n.lastEndedAtMs = nowMs;
  }

  markPaused(i: number, checkpoint: ArtifactRef | undefined, nowMs: number): void {
    const n = this.node(i);
    this.setStatus(n, 'paused');
    n.waitingFor = undefined;
    if (checkpoint) n.checkpoint = checkpoint;
    n.completedAtMs = nowMs;
    n.lastEndedAtMs = nowMs;
  }

  /** Marks every pending descendant `skipped`. A skipped node's descendants are already skipped, so each node is visited once per run. */
  skipDescendants(i: number): number {
    let skipped = 0;
    const stack: [number, number][] = this.node(i).children.map((c) => [i, c]);
    while (stack.length) {
      const [pi, ci] = stack.pop()!;
      const c = this.nodes[ci]!;
      if (c.status !== 'pending' && c.status !== 'paused') continue;
      // A fan-in over a sweep's trials does not wait for this one any more; it runs if enough of them succeeded.
      if (this.tolerant.size && this.tolerates(c, this.nodes[pi]!)) {
        c.waiting--;
        if (c.waiting > 0 || c.status !== 'pending') continue;
        if (this.passes(c)) {
          this.ready.push(ci);
          continue;
        }
      }
      this.setStatus(c, 'skipped');
      skipped++;
      for (const g of c.children) stack.push([ci, g]);
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
    if (fromNode === undefined)
      return this.nodes
        .filter((n) => n.status === 'failed' || n.status === 'skipped' || n.status === 'cancelled')
        .filter((n) => !n.item || this.nodes[n.item.map]!.status !== 'completed')
        .map((n) => n.index);
    const start = this.byId.get(fromNode);
    if (start === undefined) return [];
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length) {
      const at = stack.pop()!;
      // A map's items that did not complete are reset with it (completed ones are kept).
      const map = this.maps.get(at);
      if (map)
        for (let k = 0; k < map.count; k++)
          if (this.nodes[map.first + k]!.status !== 'completed') seen.add(map.first + k);
      for (const c of this.nodes[at]!.children) {
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
    return [...seen].sort((a, b) => a - b);
  }

  /**
   * Resets the given nodes to pending (completed upstream outputs are kept and reused). With
   * `keepCheckpoints`, a node keeps the checkpoint its failed or cancelled execution reported, so
   * it resumes from there; usage and the first start are kept either way.
   */
  reset(indices: number[], opts: { keepCheckpoints?: boolean } = {}): void {
    const inSet = new Set(indices);
    for (const i of indices) {
      const n = this.nodes[i]!;
      if (this.maps.has(i)) {
        // A map is reopened, not expanded again: its list is the one it expanded (its reset items rerun).
        this.setStatus(n, 'running');
        n.output = undefined;
        n.error = undefined;
        n.completedAtMs = undefined;
        continue;
      }
      this.setStatus(n, 'pending');
      n.attempts = 0;
      n.output = undefined;
      n.error = undefined;
      n.startedAtMs = undefined;
      n.completedAtMs = undefined;
      if (!opts.keepCheckpoints) n.checkpoint = undefined;
    }
    for (const i of indices) {
      const n = this.nodes[i]!;
      n.waiting = this.waitingOf(n);
    }
    this.compactReady();
    for (const i of indices) {
      const n = this.nodes[i]!;
      if (n.status !== 'pending' || this.maps.has(i)) continue;
      // A parent outside the reset set that did not complete will never run: skip honestly.
      const blocked = n.parents.some(
        (p) =>
          !inSet.has(p) &&
          this.nodes[p]!.status !== 'completed' &&
          !(this.tolerant.size && this.isLost(this.nodes[p]!) && this.tolerates(n, this.nodes[p]!)),
      );
      if (blocked || (n.waiting === 0 && !this.passes(n))) {
        this.setStatus(n, 'skipped');
        this.skipDescendants(i);
      } else if (n.waiting === 0) this.ready.push(i);
    }
  }

  /** Nodes of each trial (the trial node and its per-trial copies), by `group/index`; built on first use. */
  private trialMembers: Map<string, number[]> | undefined;

  private membersOf(n: NodeRt): number[] {
    const t = n.spec.trial;
    if (!t) return [n.index];
    if (!this.trialMembers) {
      this.trialMembers = new Map();
      for (const m of this.nodes) {
        const mt = m.spec.trial;
        if (!mt) continue;
        const key = `${mt.group}/${mt.index}`;
        const list = this.trialMembers.get(key);
        if (list) list.push(m.index);
        else this.trialMembers.set(key, [m.index]);
      }
    }
    return this.trialMembers.get(`${t.group}/${t.index}`) ?? [n.index];
  }

  /**
   * GPUs × seconds a node held: its measured usage; for steps from before usage was measured, its
   * final attempt's span when it produced an output, else the span the workflow saw (started to finished).
   */
  gpuSeconds(n: NodeRt): number {
    const gpus = effectiveGpus(n.spec);
    if (gpus === 0) return 0;
    // Measured by the steps (every attempt and segment, GPUs actually held): see NodeUsage.
    if (n.usage.gpuSeconds > 0) return n.usage.gpuSeconds;
    const meta = n.output?.meta;
    let ms = 0;
    if (meta) ms = Date.parse(meta.finishedAt) - Date.parse(meta.startedAt);
    else if (n.startedAtMs !== undefined && n.completedAtMs !== undefined) ms = n.completedAtMs - n.startedAtMs;
    return Number.isFinite(ms) && ms > 0 ? (gpus * ms) / 1000 : 0;
  }

  /** A select node's candidates: every direct parent with its status, trial params and its trial's GPU time. */
  selectCandidates(i: number): SelectCandidate[] {
    return this.node(i).parents.map((p) => {
      const n = this.nodes[p]!;
      const t = n.spec.trial;
      const gpuSeconds = this.membersOf(n).reduce((k, m) => k + this.gpuSeconds(this.nodes[m]!), 0);
      // A skipped per-trial copy names why: the trial node upstream of it failed.
      const root = t
        ? this.membersOf(n)
            .map((m) => this.nodes[m]!)
            .find((m) => m.error)
        : n;
      const error = (n.error ?? root?.error)?.message.split('\n')[0];
      return {
        nodeId: n.spec.id,
        status: n.status,
        ...(t && { trial: { group: t.group, index: t.index } }),
        params: t?.params ?? {},
        gpuSeconds,
        ...(error !== undefined && n.status !== 'completed' && { error: error.slice(0, 500) }),
      };
    });
  }

  failedNodeIds(): string[] {
    return this.nodes.filter((n) => n.status === 'failed').map((n) => n.spec.id);
  }

  nodeState(n: NodeRt, withOutput = true): NodeState {
    const first = n.firstStartedAtMs;
    // In flight: up to the current execution's start (the status read extends it to now).
    const upTo = IN_FLIGHT_NODE_STATUSES.has(n.status) ? n.startedAtMs : n.lastEndedAtMs;
    return {
      id: n.spec.id,
      type: n.spec.type,
      dependsOn: n.spec.dependsOn,
      ...(n.spec.trial && { trial: n.spec.trial }),
      ...(n.item && { item: { map: this.nodes[n.item.map]!.spec.id, index: n.item.index } }),
      ...(this.maps.has(n.index) && { map: this.mapView(n.index) }),
      status: viewStatus(n),
      taskQueue: n.taskQueue,
      attempts: n.attempts,
      executions: n.executions,
      ...(n.startedAtMs !== undefined && { startedAt: iso(n.startedAtMs) }),
      ...(n.completedAtMs !== undefined && { completedAt: iso(n.completedAtMs) }),
      ...(n.startedAtMs !== undefined &&
        n.completedAtMs !== undefined && { durationMs: n.completedAtMs - n.startedAtMs }),
      ...(first !== undefined && {
        firstStartedAt: iso(first),
        usage: { wallMs: Math.max(0, (upTo ?? first) - first), ...n.usage },
      }),
      ...(withOutput && n.output && { output: n.output }),
      ...(n.error && { error: n.error }),
      ...(n.waitingFor && { waitingFor: n.waitingFor }),
    };
  }

  /**
   * A slice of the nodes (the `nodes` query): those of the given view statuses (all when none), in
   * spec order, from `offset`, at most `limit`, without stacks. As `progress` trims: with outputs when the slice
   * fits `budgetBytes` of JSON, else without any (`trimmed: 'outputs'`); still over, it ends at the
   * last node that fits (at least one). Counts the matches without building their states.
   */
  nodesSlice(q: NodesQueryInput, budgetBytes: number): NodesQueryResult {
    const wanted = q.statuses && new Set<NodeStatus>(q.statuses);
    const picked: NodeRt[] = [];
    let total = 0;
    for (const n of this.nodes) {
      if (wanted && !wanted.has(viewStatus(n))) continue;
      if (total >= q.offset && picked.length < q.limit) picked.push(n);
      total++;
    }
    const withOutputs = picked.map((n) => this.stacklessState(n, true));
    if (JSON.stringify(withOutputs).length <= budgetBytes)
      return { nodes: withOutputs, total, ...this.upstreamOf(picked) };
    const nodes: NodeState[] = [];
    let used = 2;
    for (const n of picked) {
      const state = this.stacklessState(n, false);
      used += JSON.stringify(state).length + 1;
      if (used > budgetBytes && nodes.length > 0) break;
      nodes.push(state);
    }
    return { nodes, total, trimmed: 'outputs', ...this.upstreamOf(picked.slice(0, nodes.length)) };
  }

  /** The unfinished dependencies of the slice's pending nodes that are outside the slice, with their statuses. */
  private upstreamOf(slice: readonly NodeRt[]): { upstream?: Record<string, NodeStatus> } {
    const inSlice = new Set(slice.map((n) => n.spec.id));
    const upstream: Record<string, NodeStatus> = {};
    let count = 0;
    for (const n of slice) {
      if (n.status !== 'pending') continue;
      for (const dep of n.spec.dependsOn) {
        if (inSlice.has(dep) || dep in upstream) continue;
        const i = this.byId.get(dep);
        if (i === undefined) continue;
        const status = viewStatus(this.nodes[i]!);
        if (TERMINAL_NODE_STATUSES.has(status)) continue;
        if (count++ >= NODES_QUERY_MAX_UPSTREAM) return { upstream };
        upstream[dep] = status;
      }
    }
    return count ? { upstream } : {};
  }

  private mapView(m: number): { items: number; done: number; completed: number } {
    const map = this.maps.get(m)!;
    return { items: map.count, done: map.done, completed: map.completed };
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
      currentNodes: this.nodes.filter((n) => IN_FLIGHT_NODE_STATUSES.has(n.status)).map((n) => n.spec.id),
      counts: { ...this.counts },
    };
    if (this.nodes.length > PROGRESS_SUMMARY_ABOVE_NODES)
      return { ...base, nodes: this.summaryStates(), trimmed: 'summary' };
    let nodes = this.nodes.map((n) => this.nodeState(n));
    if (this.nodes.length > 500 && JSON.stringify(nodes).length > PROGRESS_BUDGET_BYTES) {
      nodes = this.nodes.map((n) => this.nodeState(n, false));
      if (JSON.stringify(nodes).length <= PROGRESS_BUDGET_BYTES) return { ...base, nodes, trimmed: 'outputs' };
      // The unfinished nodes, without stacks (the API never shows one): hundreds of failures with a
      // traceback each would otherwise pass Temporal's 2 MiB payload limit, and the job view would
      // fall back to describe. When even those do not fit, the bounded summary answers.
      const unfinished = this.nodes
        .filter((n) => n.status !== 'completed' && n.status !== 'cached')
        .map((n) => this.stacklessState(n, false));
      if (JSON.stringify(unfinished).length <= PROGRESS_BUDGET_BYTES)
        return { ...base, nodes: unfinished, trimmed: 'completedNodes' };
      return { ...base, nodes: this.summaryStates(), trimmed: 'summary' };
    }
    return { ...base, nodes };
  }

  /** A node's state without its error's stack (for answers only the API reads, and it never shows one). */
  private stacklessState(n: NodeRt, withOutput: boolean): NodeState {
    const state = this.nodeState(n, withOutput);
    if (state.error?.stack === undefined) return state;
    const { stack: _stack, ...error } = state.error;
    return { ...state, error };
  }

  /**
   * The node states of a summary: summaryNodes() without outputs or stacks (the API never shows a
   * stack; the worker's log has it), up to PROGRESS_SUMMARY_BUDGET_BYTES of JSON — 2,000 failed
   * nodes with a traceback and a stderr tail each would be megabytes, over Temporal's payload limit.
   */
  private summaryStates(): NodeState[] {
    const out: NodeState[] = [];
    let bytes = 2;
    for (const n of this.summaryNodes()) {
      const state = this.stacklessState(n, false);
      bytes += JSON.stringify(state).length + 1;
      if (bytes > PROGRESS_SUMMARY_BUDGET_BYTES && out.length > 0) break;
      out.push(state);
    }
    return out;
  }

  /**
   * The nodes of a summary, in spec order within each rank: in flight, then failed / stopped /
   * paused / cancelled, then ready, then the other pending ones, then the rest — at most
   * PROGRESS_SUMMARY_NODES. Never serialises the whole list (a query of a 50,000-node job would
   * spend seconds of the workflow's isolate on JSON it then throws away).
   */
  private summaryNodes(): NodeRt[] {
    const ranks: NodeRt[][] = [[], [], [], [], []];
    for (const n of this.nodes) {
      const r = IN_FLIGHT_NODE_STATUSES.has(n.status)
        ? 0
        : n.status === 'failed' || n.status === 'stopped' || n.status === 'paused' || n.status === 'cancelled'
          ? 1
          : n.status === 'pending'
            ? n.waiting === 0
              ? 2
              : 3
            : 4;
      if (ranks[r]!.length < PROGRESS_SUMMARY_NODES) ranks[r]!.push(n);
    }
    return ranks.flat().slice(0, PROGRESS_SUMMARY_NODES);
  }

  // ---- continue-as-new ----

  /**
   * A compact snapshot of node states for continue-as-new (nothing may be running). Times are
   * relative to `baseMs` (the job's start). Outputs are carried while they fit `outputBudgetBytes`;
   * beyond that only outputs a not-yet-completed child still needs are kept.
   */
  carry(baseMs: number, outputBudgetBytes: number): CarriedNodes {
    const rows: NonNullable<CarriedNodes['nodes']> = [];
    const outputs: Record<string, StepOutput> = {};
    const errors: Record<string, NodeError> = {};
    const checkpoints: Record<string, ArtifactRef> = {};
    const usage: NonNullable<CarriedNodes['usage']> = {};
    const columnar = this.nodes.length > COLUMNS_ABOVE_NODES;
    const cols = columnar ? new ColumnsWriter(this.nodes.length) : undefined;
    const rel = (ms: number | undefined) => (ms === undefined ? -1 : ms - baseMs);
    for (const n of this.nodes) {
      // An open map stays open (its items are carried with it); anything else in flight restarts.
      const status = IN_FLIGHT_NODE_STATUSES.has(n.status) && !this.maps.has(n.index) ? 'pending' : n.status;
      const gpuSeconds = Math.round(n.usage.gpuSeconds * 1000) / 1000;
      if (cols) {
        const u = n.usage;
        cols.add(NODE_STATUSES.indexOf(status), n.attempts, n.executions, rel(n.startedAtMs), rel(n.completedAtMs), [
          rel(n.firstStartedAtMs),
          rel(n.lastEndedAtMs),
          u.runningMs,
          u.gpuWaitMs,
          gpuSeconds,
        ]);
      } else {
        rows.push([NODE_STATUSES.indexOf(status), n.attempts, n.executions, rel(n.startedAtMs), rel(n.completedAtMs)]);
        if (n.firstStartedAtMs !== undefined) {
          const u = n.usage;
          usage[n.index] = [rel(n.firstStartedAtMs), rel(n.lastEndedAtMs), u.runningMs, u.gpuWaitMs, gpuSeconds];
        }
      }
      // A large job keeps only the outputs a child still needs (all of them are megabytes).
      if (n.output && (!columnar || this.neededByChild(n))) outputs[n.index] = compactOutput(n.output);
      if (n.error) errors[n.index] = n.error;
      if (n.checkpoint) checkpoints[n.index] = n.checkpoint;
    }
    return {
      ...(cols ? { columns: cols.done() } : { nodes: rows, usage }),
      outputs: this.thinOutputs(outputs, outputBudgetBytes),
      errors,
      checkpoints,
      ...(this.maps.size && { maps: this.carriedMaps() }),
    };
  }

  /** About how many bytes the node states take in a carried state (the rest of the budget is for outputs). */
  carriedNodesBytes(): number {
    // Rows: a status tuple (~24 bytes) and a usage tuple (~40) per node. Columns: ~12 bytes a node when times are small deltas.
    return this.nodes.length * (this.nodes.length > COLUMNS_ABOVE_NODES ? 16 : 64);
  }

  private thinOutputs(outputs: Record<string, StepOutput>, budgetBytes: number): Record<string, StepOutput> {
    if (JSON.stringify(outputs).length <= budgetBytes) return outputs;
    const kept: Record<string, StepOutput> = {};
    for (const [k, out] of Object.entries(outputs)) if (this.neededByChild(this.nodes[Number(k)]!)) kept[k] = out;
    return kept;
  }

  private neededByChild(n: NodeRt): boolean {
    return n.children.some((c) => this.nodes[c]!.status !== 'completed');
  }

  /**
   * Restores carried node states. Maps are rebuilt first, from their carried items, by `itemSpecs`
   * (the same pure expansion the run that expanded them used).
   */
  restore(
    c: CarriedNodes,
    baseMs: number,
    itemSpecs: (map: NodeRt, items: readonly unknown[]) => NodeSpec[] = () => [],
  ): void {
    for (const [m, items] of c.maps ?? []) this.addItems(m, items, itemSpecs(this.node(m), items));
    const rows = c.columns ? readColumns(c.columns) : (c.nodes ?? []);
    if (rows.length !== this.nodes.length)
      throw new Error(`carried state has ${rows.length} nodes, spec has ${this.nodes.length}`);
    rows.forEach(([s, attempts, executions, startedAt, completedAt, columnUsage], i) => {
      const n = this.nodes[i]!;
      this.setStatus(n, NODE_STATUSES[s] ?? 'pending');
      n.attempts = attempts;
      n.executions = executions;
      n.startedAtMs = startedAt >= 0 ? baseMs + startedAt : undefined;
      n.completedAtMs = completedAt >= 0 ? baseMs + completedAt : undefined;
      n.output = c.outputs[i];
      n.error = c.errors[i];
      n.checkpoint = c.checkpoints[i];
      const u = c.columns ? columnUsage : c.usage?.[i];
      if (u && u[0] >= 0) {
        const [first, last, runningMs, gpuWaitMs, gpuSeconds] = u;
        n.firstStartedAtMs = baseMs + first;
        n.lastEndedAtMs = last >= 0 ? baseMs + last : undefined;
        n.usage = { runningMs, gpuWaitMs, gpuSeconds };
      } else if (u) {
        const [, last, runningMs, gpuWaitMs, gpuSeconds] = u;
        n.lastEndedAtMs = last >= 0 ? baseMs + last : undefined;
        n.usage = { runningMs, gpuWaitMs, gpuSeconds };
      }
    });
  }
}

/**
 * Jobs above the old 10,000-node limit carry their node states as columns (CarriedNodes.columns):
 * 50,000 status and usage tuples as JSON rows are ~3 MB, over the 2 MiB payload limit by
 * themselves. No run of a job this large was ever recorded, so no carried state changes shape.
 */
export const COLUMNS_ABOVE_NODES = 10_000;

type Usage5 = [number, number, number, number, number];

/**
 * Columns as text: tokens separated by ",", a run of one value written `v*count`. Times are
 * written as deltas (started: from the node before; completed: from its own start; first start and
 * last end: from started and completed), so a column of a large job is mostly 1–3 digit tokens.
 */
class ColumnsWriter {
  private readonly status: string[] = [];
  private readonly c: number[][] = Array.from({ length: 10 }, () => []);
  private prevStarted = 0;
  constructor(private readonly n: number) {}

  add(status: number, attempts: number, executions: number, started: number, completed: number, u: Usage5): void {
    this.status.push(String.fromCharCode(48 + status));
    const [first, last, runningMs, gpuWaitMs, gpuSeconds] = u;
    const row = [
      attempts,
      executions,
      started - this.prevStarted,
      completed - started,
      first - started,
      last - completed,
    ];
    this.prevStarted = started;
    row.push(runningMs, gpuWaitMs, gpuSeconds);
    row.forEach((v, k) => this.c[k]!.push(v));
  }

  done(): CarriedColumns {
    const [attempts, executions, started, completed, first, last, running, gpuWait, gpuSeconds] = this.c.map(runs);
    return {
      n: this.n,
      status: this.status.join(''),
      attempts: attempts!,
      executions: executions!,
      started: started!,
      completed: completed!,
      first: first!,
      last: last!,
      running: running!,
      gpuWait: gpuWait!,
      gpuSeconds: gpuSeconds!,
    };
  }
}

function runs(values: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    out.push(j - i > 1 ? `${values[i]}*${j - i}` : String(values[i]));
    i = j;
  }
  return out.join(',');
}

function unruns(text: string, n: number, what: string): number[] {
  const out: number[] = [];
  if (text !== '')
    for (const tok of text.split(',')) {
      const star = tok.indexOf('*');
      const v = Number(star < 0 ? tok : tok.slice(0, star));
      const k = star < 0 ? 1 : Number(tok.slice(star + 1));
      if (!Number.isFinite(v) || !Number.isInteger(k) || k < 1)
        throw new Error(`carried column ${what}: bad token ${tok}`);
      for (let r = 0; r < k; r++) out.push(v);
    }
  if (out.length !== n) throw new Error(`carried column ${what} has ${out.length} values, not ${n}`);
  return out;
}

/** The rows of carried columns: [status, attempts, executions, startedAt, completedAt, usage]. */
function readColumns(c: CarriedColumns): [number, number, number, number, number, Usage5][] {
  if (c.status.length !== c.n) throw new Error(`carried column status has ${c.status.length} values, not ${c.n}`);
  const col = (k: Exclude<keyof CarriedColumns, 'n' | 'status'>) => unruns(c[k], c.n, k);
  const [attempts, executions, started, completed, first, last, running, gpuWait, gpuSeconds] = (
    ['attempts', 'executions', 'started', 'completed', 'first', 'last', 'running', 'gpuWait', 'gpuSeconds'] as const
  ).map(col) as number[][];
  const rows: [number, number, number, number, number, Usage5][] = [];
  let prev = 0;
  for (let i = 0; i < c.n; i++) {
    const s = prev + started![i]!;
    prev = s;
    const done = s + completed![i]!;
    rows.push([
      c.status.charCodeAt(i) - 48,
      attempts![i]!,
      executions![i]!,
      s,
      done,
      [s + first![i]!, done + last![i]!, running![i]!, gpuWait![i]!, gpuSeconds![i]!],
    ]);
  }
  return rows;
}

/** The status a view shows: the state says completed; the output came from the step cache → `cached`. */
function viewStatus(n: NodeRt): NodeStatus {
  return n.status === 'completed' && n.output?.cache?.hit ? 'cached' : n.status;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function compactOutput(o: StepOutput): StepOutput {
  const { meta, ...rest } = o;
  return meta
    ? { ...rest, meta: { attempt: meta.attempt, startedAt: meta.startedAt, finishedAt: meta.finishedAt } }
    : rest;
}

// What continue-as-new carries: validated on the way in, like every other edge.
/** Node states of a job over COLUMNS_ABOVE_NODES nodes, as columns (see ColumnsWriter). */
export const CarriedColumns = cachedSchema('workflows/job-state#CarriedColumns', () =>
  z.object({
    n: z.number().int().min(0),
    /** One character per node: '0' + its status index. */
    status: z.string(),
    attempts: z.string(),
    executions: z.string(),
    started: z.string(),
    completed: z.string(),
    first: z.string(),
    last: z.string(),
    running: z.string(),
    gpuWait: z.string(),
    gpuSeconds: z.string(),
  }),
);
export type CarriedColumns = z.infer<typeof CarriedColumns>;

export const CarriedNodes = cachedSchema('workflows/job-state#CarriedNodes', () =>
  z.object({
    /** Per node, in spec order: [status index, attempts, executions, startedAt | -1, completedAt | -1] (ms since the job started). */
    nodes: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number(), z.number()])).optional(),
    /** Instead of `nodes` and `usage`, for jobs over COLUMNS_ABOVE_NODES nodes. */
    columns: CarriedColumns.optional(),
    outputs: z.record(z.string(), StepOutput),
    errors: z.record(z.string(), NodeError),
    checkpoints: z.record(z.string(), ArtifactRef),
    /** Expanded foreach nodes, in expansion order: [map node index, its items]; their item nodes follow the spec's nodes. */
    maps: z.array(z.tuple([z.number().int().min(0), z.array(z.unknown())])).optional(),
    /** Per started node: [firstStartedAt | -1, lastEndedAt | -1, runningMs, gpuWaitMs, gpuSeconds] (runs carried before it have none). */
    usage: z.record(z.string(), z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()])).optional(),
  }),
);
export type CarriedNodes = z.infer<typeof CarriedNodes>;

export const CarriedState = cachedSchema('workflows/job-state#CarriedState', () =>
  z.object({
    v: z.literal(1),
    /** Runs so far, this one included. */
    runs: z.number().int().min(1),
    startedAtMs: z.number(),
    recoveryAttempts: z.number().int().min(0),
    recoveries: z.array(RecoveryRecord),
    pauseMode: PauseMode.optional(),
    failFastTripped: z.boolean(),
    /** A failed job waiting for `recover` keeps its deadline across runs (continue-as-new onto a new build). */
    recoverableUntilMs: z.number().optional(),
    nodes: CarriedNodes,
    /** Early stopping: per sweep group, per trial index, the [epoch, value] pairs its trial reported. */
    trialMetrics: z
      .record(z.string(), z.record(z.string(), z.array(z.tuple([z.number().int(), z.number()]))))
      .optional(),
    /** Notifications already sent (or being sent) and their outcomes. */
    notifications: z.array(NotificationDelivery).optional(),
  }),
);
export type CarriedState = z.infer<typeof CarriedState>;
