// The status read model: a job's view (describe + the progress query, projected by job-view.ts),
// shared between concurrent and recent readers of the same job, and the two things a reader needs
// besides: the job's folder and the snapshot it runs from.
import { isGrpcDeadlineError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { defaultPayloadConverter, fromPayloadsAtIndex } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { LRUCache } from 'lru-cache';
import { JobSpec } from '../domain/job-spec';
import type { NodeState } from '../domain/progress';
import { NODES_QUERY_MAX_LIMIT, nodesQuery, progressQuery, type NodesQueryInput } from '../domain/messages';
import { IN_FLIGHT_NODE_STATUSES, WORKFLOW_IN_FLIGHT_NODE_STATUSES, type NodeStatus } from '../domain/statuses';
import { planJob } from '../domain/plan';
import { JobSnapshot, SnapshotRef, jobDirOf, jobFolder } from '../domain/snapshot';
import {
  JOB_NODE_PAGE_MAX_BYTES,
  type JobNodePage,
  type JobSpecView,
  type JobView,
  type NodeView,
} from '../http/contracts';
import { JobNotFoundError, TrainyardError } from '../sdk/errors';
import { loadSnapshot } from '../snapshots/snapshot-store';
import type { ObjectStore } from '../storage/object-store';
import type { JobServiceConfig } from './config';
import { buildJobView, nodeIdOfActivity, refineNodes } from './job-view';
import { describeJob, jobStatusOf, ownerOf } from './lookup';
import { decodeOffsetToken, encodeOffsetToken } from './page-token';
import type { OwnerScope } from './types';

export interface StatusRead {
  desc: WorkflowExecutionDescription;
  view: JobView;
}

/** A status read and when its answer arrived. */
interface TimedRead {
  read: StatusRead;
  at: number;
}

/** Most jobs whose last status read is kept for reuse (a sub-second cache of Temporal's answer; nothing in it matters across restarts). */
const REUSED_READS = 2000;
/** How long a task queue's backlog count is reused (it answers "queued behind N tasks"; approximate anyway). */
const BACKLOG_TTL_MS = 1000;
const { PendingActivityState } = temporal.api.enums.v1;

/** Most job folders kept (they never change; only jobs started before the memo carried jobDir need the lookup). */
const KNOWN_JOB_DIRS = 10_000;

export class JobStatusReads {
  /**
   * One read in flight per job, shared by everyone who asks meanwhile; its answer is reused by
   * readers whose window it is still within. A failed read is shared only while in flight.
   * Invalidating a job drops its read for later readers (those already waiting still get it).
   */
  private readonly reads = new LRUCache<string, TimedRead>({
    max: REUSED_READS,
    ignoreFetchAbort: true,
    fetchMethod: async (jobId) => ({ read: await this.readJobStatus(jobId), at: Date.now() }),
  });
  private readonly jobDirs = new LRUCache<string, string>({ max: KNOWN_JOB_DIRS });
  /** Snapshots read from the store by sha256 (immutable; a few large ones). */
  private readonly storedSnapshots = new LRUCache<string, JobSnapshot>({ max: 8 });
  /** Approximate backlog per activity task queue, from DescribeTaskQueue's stats (-1: unknown). */
  private readonly backlogs = new LRUCache<string, { n: number }>({
    max: 1000,
    ttl: BACKLOG_TTL_MS,
    fetchMethod: async (queue) => ({ n: await this.readBacklog(queue) }),
  });

  constructor(
    private readonly client: Client,
    private readonly config: JobServiceConfig,
    /** Where snapshots passed by reference are (the artifact store). */
    private readonly snapshots?: ObjectStore,
  ) {}

  /**
   * The job's state: the progress query (works on closed workflows too) refined by describe's
   * pending activities. With `maxAgeMs`, concurrent and recent reads of the same job share one
   * describe + query; without it every call reads Temporal afresh.
   */
  async getJobStatus(jobId: string, scope: OwnerScope = {}, opts: { maxAgeMs?: number } = {}): Promise<JobView> {
    const read =
      !opts.maxAgeMs || opts.maxAgeMs <= 0
        ? await this.readJobStatus(jobId)
        : await this.sharedRead(jobId, opts.maxAgeMs);
    if (scope.owner !== undefined && ownerOf(read.desc) !== scope.owner) throw new JobNotFoundError(jobId);
    return read.view;
  }

  /** Forgets any shared status read of the job (after a control action, so no reader sees the state before it). */
  invalidate(jobId: string): void {
    this.reads.delete(jobId);
  }

  private async sharedRead(jobId: string, maxAgeMs: number): Promise<StatusRead> {
    let r = await this.reads.fetch(jobId);
    if (r && Date.now() - r.at >= maxAgeMs) r = await this.reads.fetch(jobId, { forceRefresh: true });
    if (!r) throw new Error(`no status read of ${jobId}`); // fetchMethod always answers or throws
    return r.read;
  }

  /** One describe + progress query, unscoped (callers check the owner). */
  async readJobStatus(jobId: string): Promise<StatusRead> {
    const handle = this.client.workflow.getHandle(jobId);
    // Both at once: the query is the slow half (the job's worker answers it). Describe still decides
    // existence, type and owner: its error wins, and the query's answer is dropped with it.
    const query = this.client
      .withDeadline(Date.now() + (this.config.queryTimeoutMs ?? 5000), () => handle.query(progressQuery))
      .catch(() => undefined);
    const desc = await describeJob(this.client, jobId);
    const progress = await query;
    const backlogs = await this.backlogsOf(desc, progress?.nodes ?? []);
    return { desc, view: buildJobView(jobId, desc, progress, { serverPaths: this.config.serverPaths, backlogs }) };
  }

  /**
   * A page of the job's nodes in spec order (GET /v1/jobs/:id/nodes): the workflow's `nodes` query
   * (a slice, never the whole list) refined like the job view. When that query gets no answer (a
   * worker without it, or none at all), the nodes of the job's view, paged the same way
   * (`source: 'view'`); when that view has no nodes either (closed and nobody to ask), 409.
   */
  async listJobNodes(
    jobId: string,
    scope: OwnerScope,
    q: { pageSize: number; pageToken?: string; status?: NodeStatus[]; maxAgeMs?: number },
  ): Promise<JobNodePage> {
    const statuses = q.status && [...new Set(q.status)].sort();
    const filter = statuses?.join(',') ?? '';
    const offset = q.pageToken === undefined ? 0 : decodeOffsetToken(q.pageToken, filter);
    const wanted = statuses && new Set<NodeStatus>(statuses);
    // An in-flight status (queued, running, retrying, waiting_for_gpu) is told apart here, from the
    // pending activity (refineNodes); the workflow knows only `running` or `queued` (GPU quota). Such
    // a filter asks the workflow for all its in-flight nodes besides the other statuses, keeps what
    // refines to a wanted status (a page may hold fewer than pageSize, the token goes on from there),
    // and counts the total from every in-flight node (at most the job's parallelism).
    const refined = statuses?.some((s) => IN_FLIGHT_NODE_STATUSES.has(s)) ?? false;
    const askStatuses = refined
      ? [
          ...new Set([
            ...statuses!.filter((s) => !IN_FLIGHT_NODE_STATUSES.has(s)),
            ...WORKFLOW_IN_FLIGHT_NODE_STATUSES,
          ]),
        ].sort()
      : statuses;
    const handle = this.client.workflow.getHandle(jobId);
    // Both at once, as readJobStatus does; describe decides existence and owner, and when it refuses
    // the queries are cancelled (they must not outlive the request: nobody waits for them any more).
    const abort = new AbortController();
    let timedOut = false;
    const ask = (input: NodesQueryInput) =>
      this.client
        .withAbortSignal(abort.signal, () =>
          this.client.withDeadline(Date.now() + (this.config.queryTimeoutMs ?? 5000), () =>
            handle.query(nodesQuery, input),
          ),
        )
        .catch((err: unknown) => {
          if (isGrpcDeadlineError(err)) timedOut = true;
          return undefined;
        });
    const query = ask({ offset, limit: q.pageSize, ...(askStatuses && { statuses: askStatuses }) });
    const inFlight = refined
      ? ask({ offset: 0, limit: NODES_QUERY_MAX_LIMIT, statuses: [...WORKFLOW_IN_FLIGHT_NODE_STATUSES] })
      : undefined;
    let desc: WorkflowExecutionDescription;
    try {
      desc = await describeJob(this.client, jobId, scope);
    } catch (err) {
      abort.abort();
      throw err;
    }
    const [slice, flying] = await Promise.all([query, inFlight]);
    if (slice && (!refined || flying)) {
      const refine = async (nodes: NodeState[], upstream?: Record<string, NodeStatus>) =>
        refineNodes(nodes, desc, {
          serverPaths: this.config.serverPaths,
          backlogs: await this.backlogsOf(desc, nodes),
          jobPaused: jobStatusOf(desc) === 'paused',
          ...(upstream && { upstream }),
        });
      const nodes = await refine(slice.nodes, slice.upstream);
      if (!refined)
        return nodePage(jobId, nodes, { offset, total: slice.total, filter, source: 'query' }, slice.trimmed);
      // total: the other statuses' nodes, and the in-flight ones that refine to a wanted status
      // (past NODES_QUERY_MAX_LIMIT in flight, the rest count as the workflow says). Only their
      // statuses count here, which need no queue backlogs (those only say why a node waits).
      const flyingViews = refineNodes(flying!.nodes, desc, { jobPaused: jobStatusOf(desc) === 'paused' });
      const flyingTotal = flyingViews.filter((n) => wanted!.has(n.status)).length;
      const unseen = flying!.total - flying!.nodes.length;
      const total = slice.total - flying!.total + flyingTotal + (unseen > 0 && wanted!.has('running') ? unseen : 0);
      return nodePage(
        jobId,
        nodes,
        { offset, total, scanned: slice.total, keep: (n) => wanted!.has(n.status), filter, source: 'query' },
        slice.trimmed,
      );
    }
    // Nobody answered in time: the view's progress query would wait as long again for the same
    // silence, so answer now. (A worker without the nodes query refuses it at once: the view then.)
    const view = timedOut && !slice ? undefined : await this.getJobStatus(jobId, scope, { maxAgeMs: q.maxAgeMs });
    if (!view || view.source === 'describe')
      throw new TrainyardError(
        409,
        'nodes_unavailable',
        `job ${jobId}'s nodes are unavailable: its workflow (${desc.status.name}) did not answer and no worker could replay it; GET /v1/jobs/${jobId} has its status`,
      );
    const matching = wanted ? view.nodes.filter((n) => wanted.has(n.status)) : view.nodes;
    return nodePage(
      jobId,
      matching.slice(offset, offset + q.pageSize),
      { offset, total: matching.length, filter, source: 'view' },
      view.trimmed,
    );
  }

  /** The backlogs of the queues the job's scheduled (not yet taken) steps wait in. */
  private async backlogsOf(
    desc: WorkflowExecutionDescription,
    nodes: readonly { id: string; taskQueue: string }[],
  ): Promise<Map<string, number>> {
    const queueOf = new Map(nodes.map((n) => [n.id, n.taskQueue]));
    const queues = new Set<string>();
    for (const pa of desc.raw.pendingActivities ?? []) {
      if (pa.state !== PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED || !pa.activityId) continue;
      const q = queueOf.get(nodeIdOfActivity(pa.activityId));
      if (q) queues.add(q);
    }
    const out = new Map<string, number>();
    await Promise.all(
      [...queues].map(async (q) => {
        const b = await this.backlogs.fetch(q).catch(() => undefined);
        if (b && b.n >= 0) out.set(q, b.n);
      }),
    );
    return out;
  }

  /** Temporal's approximate backlog of an activity task queue; -1 when the server does not say. */
  private async readBacklog(queue: string): Promise<number> {
    const res = await this.client.workflowService.describeTaskQueue({
      namespace: this.client.options.namespace,
      taskQueue: { name: queue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportStats: true,
    });
    const n = res.stats?.approximateBacklogCount;
    return n === undefined || n === null ? -1 : Number(n);
  }

  /** The job folder, relative to the artifact root (`<outputDir>/<jobId>`): the memo's jobDir, set at start. */
  async jobDir(jobId: string, scope: OwnerScope = {}): Promise<string> {
    const desc = await describeJob(this.client, jobId, scope);
    if (typeof desc.memo?.jobDir === 'string') return desc.memo.jobDir;
    // Jobs started before the memo carried jobDir: from their snapshot (immutable, so kept).
    const cached = this.jobDirs.get(jobId);
    if (cached) return cached;
    const snapshot = await this.getSnapshot(jobId, {}, desc);
    const outputDir = typeof snapshot?.spec.outputDir === 'string' ? snapshot.spec.outputDir : 'runs';
    const dir = snapshot ? jobDirOf(snapshot, outputDir) : jobFolder(outputDir, jobId);
    this.jobDirs.set(jobId, dir);
    return dir;
  }

  /**
   * The snapshot the job runs from: the input of the first history event of its first run (every
   * continue-as-new run carries the same snapshot). Undefined when the history holds none.
   */
  async getSnapshot(
    jobId: string,
    scope: OwnerScope = {},
    described?: WorkflowExecutionDescription,
  ): Promise<JobSnapshot | undefined> {
    const desc = described ?? (await describeJob(this.client, jobId, scope));
    const firstRunId = desc.raw.workflowExecutionInfo?.firstRunId || undefined;
    const res = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace: this.client.options.namespace,
      execution: { workflowId: jobId, ...(firstRunId && { runId: firstRunId }) },
      maximumPageSize: 1,
    });
    const payloads = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? undefined;
    const input = fromPayloadsAtIndex<unknown>(defaultPayloadConverter, 0, payloads);
    const ref = SnapshotRef.safeParse((input as { snapshotRef?: unknown } | undefined)?.snapshotRef);
    if (ref.success) {
      if (!this.snapshots) throw new Error(`job ${jobId} runs from a stored snapshot, and this service has no store`);
      const cached = this.storedSnapshots.get(ref.data.sha256);
      if (cached) return cached;
      const snapshot = await loadSnapshot(this.snapshots, ref.data);
      this.storedSnapshots.set(ref.data.sha256, snapshot);
      return snapshot;
    }
    const parsed = JobSnapshot.safeParse((input as { snapshot?: unknown } | undefined)?.snapshot);
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * What a client needs to draw and explain a job: the spec as submitted and as parsed, its hash,
   * and the plan (stages, every node's dependencies, task queue and GPU pool) from the snapshot.
   */
  async getJobSpec(jobId: string, scope: OwnerScope = {}): Promise<JobSpecView> {
    const desc = await describeJob(this.client, jobId, scope);
    const snapshot = await this.getSnapshot(jobId, scope, desc);
    if (!snapshot) throw new JobNotFoundError(jobId);
    const parsed = JobSpec.safeParse(snapshot.spec);
    if (!parsed.success)
      throw new TrainyardError(409, 'invalid_snapshot', `job ${jobId} was started from an invalid spec`);
    const spec = parsed.data;
    return {
      id: jobId,
      owner: snapshot.owner,
      specHash: snapshot.specHash,
      submittedAt: snapshot.submittedAt,
      queuePrefix: snapshot.queuePrefix,
      jobDir: jobDirOf(snapshot, spec.outputDir),
      submitted: snapshot.spec,
      spec,
      pools: snapshot.pools,
      plan: planJob(spec, { queuePrefix: snapshot.queuePrefix, pools: snapshot.pools }),
      ...(snapshot.rerunOf !== undefined && { rerunOf: snapshot.rerunOf }),
    };
  }
}

/**
 * A page from `offset` with a token for the next one, stopped short of JOB_NODE_PAGE_MAX_BYTES (the
 * workflow's budget keeps a slice well under it; this holds it for the view's nodes and refinements).
 * With `keep`, the candidates are a slice of `scanned` nodes (the token's offsets count those) of
 * which only the kept ones are listed; `total` counts the listed kind over the whole job.
 */
function nodePage(
  jobId: string,
  candidates: NodeView[],
  o: {
    offset: number;
    total: number;
    scanned?: number;
    keep?: (n: NodeView) => boolean;
    filter: string;
    source: JobNodePage['source'];
  },
  trimmed: JobNodePage['trimmed'],
): JobNodePage {
  const scanned = o.scanned ?? o.total;
  // The page without nodes, a token, and a comma per node: what the nodes' own JSON adds to.
  let bytes = JSON.stringify({
    jobId,
    nodes: [],
    total: o.total,
    nextPageToken: encodeOffsetToken(scanned, o.filter),
    source: o.source,
    trimmed,
  }).length;
  const kept: NodeView[] = [];
  let passed = 0;
  for (const n of candidates) {
    if (o.keep && !o.keep(n)) {
      passed++;
      continue;
    }
    const next = bytes + JSON.stringify(n).length + 1;
    if (next > JOB_NODE_PAGE_MAX_BYTES && kept.length > 0) break;
    bytes = next;
    kept.push(n);
    passed++;
  }
  const nextOffset = o.offset + passed;
  return {
    jobId,
    nodes: kept,
    total: o.total,
    ...(nextOffset < scanned && { nextPageToken: encodeOffsetToken(nextOffset, o.filter) }),
    source: o.source,
    ...(trimmed && { trimmed }),
  };
}
