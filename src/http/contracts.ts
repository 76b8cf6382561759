// The HTTP contract: every request part and response body of the API as one zod schema with a type
// of the same name. The server parses with these, /openapi.json is generated from them (through the
// route table, routes.ts), and the TypeScript SDK and the CLI read responses with them. No Node or
// server code here: a client can import it as it is.
import { z } from 'zod';
import {
  AccountSummary,
  CostRates,
  CreditEstimate,
  CreditAmount,
  JobCredits,
  LedgerEntry,
  OverrunPolicy,
  Owner,
  RefundRule,
} from '../domain/credits';
import { ErrorDetail } from '../domain/issues';
import { Overrides } from '../domain/overrides';
import { JobSpec, NodeId, SingleJobSpec, type JobSpecInput } from '../domain/job-spec';
import { PauseInput, RecoverInput } from '../domain/messages';
import {
  OverlapPolicy,
  ScheduleBackfill,
  ScheduleCreate,
  ScheduleName,
  ScheduleNote,
  ScheduleTrigger,
  ScheduleUpdate,
} from './schedule-spec';
import { NodeType } from '../domain/node-types';
import { NotificationDelivery } from '../domain/notify';
import { MetricPoint, NodeMetrics } from '../domain/metrics-history';
import { JobPlan } from '../domain/plan';
import { JobFailure, NodeError, NodeState, PauseMode, ProgressTrim, RecoveryRecord } from '../domain/progress';
import { JobLeaderboard } from '../domain/select';
import { JobStatus, NodeStatus } from '../domain/statuses';
import { StepHeartbeat } from '../domain/step-io';
import { Duration } from '../domain/duration';
import { CacheEntryView } from '../domain/step-cache';
import { StepTemplate } from '../domain/step-templates';
import { NodeWait } from '../domain/waiting';

export { ErrorDetail, JobPlan };

// ---- errors ----

/**
 * Every `error.code` an error response can carry: the one list the API's errors are built from and
 * the SDK's errors are parsed with. A new code is added here, nowhere else.
 */
export const ErrorCode = {
  // 400
  BadRequest: 'bad_request',
  InvalidRequest: 'invalid_request',
  ValidationFailed: 'validation_failed',
  MalformedJson: 'malformed_json',
  MissingBody: 'missing_body',
  RequestAborted: 'request_aborted',
  InvalidPath: 'invalid_path',
  InvalidOwner: 'invalid_owner',
  InvalidPageToken: 'invalid_page_token',
  InvalidIdempotencyKey: 'invalid_idempotency_key',
  InvalidJobId: 'invalid_job_id',
  InvalidScheduleName: 'invalid_schedule_name',
  InvalidRange: 'invalid_range',
  TooDeep: 'too_deep',
  ForbiddenKey: 'forbidden_key',
  // 401, 402, 403
  Unauthorized: 'unauthorized',
  SessionExpired: 'session_expired',
  InsufficientCredits: 'insufficient_credits',
  Forbidden: 'forbidden',
  CrossOrigin: 'cross_origin',
  CsrfFailed: 'csrf_failed',
  // 404
  RouteNotFound: 'route_not_found',
  JobNotFound: 'job_not_found',
  NodeNotFound: 'node_not_found',
  ArtifactNotFound: 'artifact_not_found',
  LogNotFound: 'log_not_found',
  AccountNotFound: 'account_not_found',
  ScheduleNotFound: 'schedule_not_found',
  DocsDisabled: 'docs_disabled',
  CreditsDisabled: 'credits_disabled',
  DashboardNotBuilt: 'dashboard_not_built',
  // 409
  IllegalTransition: 'illegal_transition',
  IdempotencyConflict: 'idempotency_conflict',
  ScheduleExists: 'schedule_exists',
  NotATrainyardSchedule: 'not_a_trainyard_schedule',
  InvalidSnapshot: 'invalid_snapshot',
  JobNotFinished: 'job_not_finished',
  NodesUnavailable: 'nodes_unavailable',
  // 413, 415, 416, 426, 429
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  RangeNotSatisfiable: 'range_not_satisfiable',
  UpgradeRequired: 'upgrade_required',
  TooManyAttempts: 'too_many_attempts',
  // 500
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
/** The code a client gives an error response without an ErrorBody (a proxy's page); the API never sends it. */
export const NO_ERROR_BODY = 'http_error';
/** What a client's error carries: a code of the API's, or NO_ERROR_BODY. */
export type ClientErrorCode = ErrorCode | typeof NO_ERROR_BODY;

/** Every error response: `{ error: { code, message, details: [{ path, message }], requestId? } }`. */
export const ErrorBody = z.object({
  error: z.object({
    /** Stable machine-readable code (ErrorCode), e.g. "validation_failed", "job_not_found", "illegal_transition". */
    code: z.enum(ErrorCode),
    message: z.string(),
    details: z.array(ErrorDetail),
    /** Set on 500s: the server log has the details under this id. */
    requestId: z.string().optional(),
    /** 402 insufficient_credits: the owner's balance (reservations of running jobs already taken) and the job's estimate. */
    credits: z.object({ balance: z.number(), reserved: z.number(), estimate: z.number() }).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---- request parts ----

/** Job ids the API accepts: what submission makes (`job-…`), plus other plain workflow ids. */
export const JOB_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;
export const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

export const JobId = z.string().regex(JOB_ID_RE, 'must be a job id (letters, digits, "-", "_", ".", ":")');
export const JobIdParams = z.strictObject({ id: JobId });
export type JobIdParams = z.infer<typeof JobIdParams>;

/** `path` may contain "/" (a file below a node's folder). */
export const ArtifactParams = z.strictObject({ id: JobId, path: z.string().min(1).max(1024) });
export type ArtifactParams = z.infer<typeof ArtifactParams>;

/** GET /v1/jobs/:id/artifacts/*path: `Range: bytes=START-[END]` or `bytes=-SUFFIX` (one range) streams only those bytes. */
export const ArtifactHeaders = z.object({
  range: z
    .string()
    .regex(/^bytes=(\d+-\d*|-\d+)$/, 'must be one byte range: "bytes=START-", "bytes=START-END" or "bytes=-LENGTH"')
    .optional(),
});
export type ArtifactHeaders = z.infer<typeof ArtifactHeaders>;

const BoolString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** An opaque page token (base64url), from a previous page's nextPageToken. */
const PageToken = z
  .string()
  .max(4096)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a token from a previous page');

export const ListJobsQuery = z.strictObject({
  status: JobStatus.optional(),
  /** Jobs with at least one node of this type, or made from this step template. */
  type: NodeId.optional(),
  tag: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
    .optional(),
  /** Failed jobs still open for `recover`. */
  recoverable: BoolString.optional(),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  pageToken: PageToken.optional(),
  /** Admin keys only: list another owner's jobs ("*" = everyone). */
  owner: z
    .string()
    .max(128)
    .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.@-]*)$/)
    .optional(),
  /** Only the runs of the caller's schedule of this name (with owner: that owner's schedule). */
  schedule: ScheduleName.optional(),
});
export type ListJobsQuery = z.input<typeof ListJobsQuery>;

/** GET /v1/jobs/:id/nodes/:node/metrics */
export const NodeMetricsParams = z.strictObject({ id: JobIdParams.shape.id, node: NodeId });
export type NodeMetricsParams = z.input<typeof NodeMetricsParams>;
export { MetricPoint, NodeMetrics };

export const LogsQuery = z.strictObject({
  node: NodeId,
  /** Stream new lines until the node (or the job) finishes. */
  follow: BoolString.default(false),
  /** Only the last N lines (before following). */
  tail: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type LogsQuery = z.input<typeof LogsQuery>;

/** Headers of a submission: the same key and owner name the same job (a retry never starts a second one). */
export const SubmitHeaders = z.object({
  'idempotency-key': z.string().regex(IDEMPOTENCY_KEY_RE, 'must be 1–255 printable ASCII characters').optional(),
});

/**
 * A job spec in the DAG form or the seeds' single-job form. The submission service validates it
 * (every problem at once, with JSON paths), so the route passes the JSON body on as it is.
 */
export const Submission = z.union([JobSpec, SingleJobSpec]);
export const PauseBody = PauseInput;
export const RecoverBody = RecoverInput;
export const EmptyBody = z.strictObject({});
/** POST /v1/jobs/:id/terminate: why (recorded with the termination, shown in Temporal's history). */
export const TerminateBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });
export type TerminateBody = z.infer<typeof TerminateBody>;

// ---- jobs ----

/** Links of a job's resources (relative URLs). */
export const JobLinks = z.object({
  self: z.string(),
  spec: z.string(),
  stream: z.string(),
  events: z.string(),
  /** With a `{node}` placeholder. */
  logs: z.string(),
  artifacts: z.string(),
  pause: z.string(),
  resume: z.string(),
  cancel: z.string(),
  recover: z.string(),
});
export type JobLinks = z.infer<typeof JobLinks>;

export function jobLinks(id: string): JobLinks {
  const base = `/v1/jobs/${encodeURIComponent(id)}`;
  return {
    self: base,
    spec: `${base}/spec`,
    stream: `${base}/stream`,
    events: `${base}/events`,
    logs: `${base}/logs?node={node}`,
    artifacts: `${base}/artifacts`,
    pause: `${base}/pause`,
    resume: `${base}/resume`,
    cancel: `${base}/cancel`,
    recover: `${base}/recover`,
  };
}

/** 201/200 of a submission. */
export const JobCreated = z.object({
  id: z.string(),
  status: JobStatus,
  /** False when an Idempotency-Key named a job that already existed (the same job is returned). */
  created: z.boolean(),
  specHash: z.string(),
  links: JobLinks,
});
export type JobCreated = z.infer<typeof JobCreated>;

/** POST /v1/jobs/:id/rerun: overrides of the old spec (`--set` paths → values) and the node to run again from. */
export const RerunBody = z.strictObject({
  /** `{ "train.config.epochs": 80 }`: the first segment names a node, else a field of the spec (src/domain/overrides.ts). */
  overrides: Overrides.optional(),
  /** Run this node and everything downstream of it again (cache off for them) even where their inputs did not change. */
  fromNode: z.string().min(1).max(64).optional(),
});
export type RerunBody = z.infer<typeof RerunBody>;

/** The new job a rerun started. */
export const RerunCreated = JobCreated.extend({ rerunOf: z.string() });
export type RerunCreated = z.infer<typeof RerunCreated>;

/** Live progress of a running node, from its activity's last heartbeat (checkpoint left out). */
export const LiveProgress = StepHeartbeat.omit({ checkpoint: true, usage: true }).extend({
  lastHeartbeatAt: z.string().optional(),
});
export type LiveProgress = z.infer<typeof LiveProgress>;

/** A node as the API shows it: the workflow's state refined by its pending activity. */
export const NodeView = NodeState.extend({
  live: LiveProgress.optional(),
  /** Current Temporal attempt of the pending activity (1 = first). */
  attempt: z.number().int().optional(),
  /** Message of the previous attempt's failure, while retrying. */
  lastFailure: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  /** Why the node is not running: upstream, paused, quota, queued (behind N tasks in pool P), gpu, retry_backoff. */
  waiting: NodeWait.optional(),
});
export type NodeView = z.infer<typeof NodeView>;

/** Temporal's own view of the job's workflow execution. */
export const WorkflowExecution = z.object({
  runId: z.string(),
  /** RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, CONTINUED_AS_NEW, TIMED_OUT. */
  status: z.string(),
  startTime: z.string(),
  closeTime: z.string().optional(),
  historyLength: z.number().int(),
});
export type WorkflowExecution = z.infer<typeof WorkflowExecution>;

/** GET /v1/jobs/:id — the job's status, progress and every node. */
export const JobView = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.string(),
  status: JobStatus,
  recoverable: z.boolean(),
  /** 0–100: finished (completed + skipped) nodes over all nodes. */
  progress: z.number(),
  currentNodes: z.array(z.string()),
  counts: z.partialRecord(NodeStatus, z.number().int()),
  recoveryAttempts: z.number().int(),
  recoveries: z.array(RecoveryRecord),
  recoverableUntil: z.string().optional(),
  pauseMode: PauseMode.optional(),
  submittedAt: z.string().optional(),
  /** The schedule that started the job (its id), when a schedule did. */
  scheduledBy: z.string().optional(),
  /** The job this one reruns (POST /v1/jobs/:id/rerun), when it is a rerun. */
  rerunOf: z.string().optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  specHash: z.string().optional(),
  /** Continue-as-new runs so far. */
  runs: z.number().int(),
  nodes: z.array(NodeView),
  /** A job with failed nodes: which, and why (the first line of each cause, a command's last stderr lines). */
  failure: JobFailure.optional(),
  /**
   * Very large DAGs: node details left out to fit Temporal's payload limit; 'summary' (jobs over
   * 10,000 nodes, or too many unfinished nodes to list): `counts` cover every node, `nodes` only
   * those that matter now (at most 2,000).
   */
  trimmed: ProgressTrim.optional(),
  /** Credits on when the job was submitted: estimated, reserved, charged and refunded. */
  credits: JobCredits.optional(),
  /** Notifications (spec `notify`, the owner's defaults): each delivery's attempts, last HTTP status and time delivered. */
  notifications: z.array(NotificationDelivery).optional(),
  /** What each completed `select` node chose: its leaderboard (rows capped; the node's leaderboard.json has all). */
  leaderboards: z.array(JobLeaderboard).optional(),
  workflow: WorkflowExecution,
  /** "query": from the workflow's progress query; "describe": the query failed, so only Temporal's status and memo. */
  source: z.enum(['query', 'describe']),
  links: JobLinks,
});
export type JobView = z.infer<typeof JobView>;

/** Most bytes of JSON one page of GET /v1/jobs/:id/nodes may be (the service stops a page short of it). */
export const JOB_NODE_PAGE_MAX_BYTES = 512 * 1024;

/** `failed` or `failed,cancelled`: node statuses (NodeStatus), comma-separated. */
const NodeStatusList = z
  .string()
  .max(256)
  .transform((v) => [...new Set(v.split(',').map((x) => x.trim()))])
  .pipe(z.array(NodeStatus).min(1));

/** GET /v1/jobs/:id/nodes — which nodes, how many per page, from where. */
export const JobNodesQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(1000).default(500),
  /** From a previous page's nextPageToken (with the same `status`). */
  pageToken: PageToken.optional(),
  /** Only nodes of these statuses: one NodeStatus or a comma-separated list (`failed,cancelled`). */
  status: NodeStatusList.optional(),
});
export type JobNodesQuery = z.input<typeof JobNodesQuery>;

/** A page of the job's nodes, in spec order. */
export const JobNodePage = z.object({
  jobId: z.string(),
  /**
   * At most pageSize; fewer when the page would be over 512 KiB, or when `status` names an in-flight
   * status (told apart by the API, not the workflow); nextPageToken continues after the last.
   */
  nodes: z.array(NodeView),
  /** Nodes matching the filter (over the whole job; with source "view", over what the view kept). */
  total: z.number().int(),
  /** Set when there are more: pass it back as `pageToken` (with the same `status`) for the next page. */
  nextPageToken: z.string().optional(),
  /**
   * "query": from the workflow's nodes query; "view": that query could not be answered (a worker
   * without it), so the nodes of the job's view (GET /v1/jobs/:id), which may be trimmed.
   */
  source: z.enum(['query', 'view']),
  /** 'outputs': some nodes of this page come without their output (the page would be too large); the view's trim with source "view". */
  trimmed: ProgressTrim.optional(),
});
export type JobNodePage = z.infer<typeof JobNodePage>;

/** One job in a listing (from Temporal visibility: search attributes and memo). */
export const JobSummary = z.object({
  id: z.string(),
  name: z.string().optional(),
  owner: z.string().optional(),
  status: JobStatus,
  types: z.array(z.string()),
  tags: z.array(z.string()),
  priority: z.number().int().optional(),
  recoverable: z.boolean(),
  /** The schedule that started the job (its id), when a schedule did. */
  scheduledBy: z.string().optional(),
  /** GPUs the job's nodes request, summed (from the memo; absent for jobs started before it was kept). */
  gpus: z.number().int().optional(),
  startTime: z.string(),
  closeTime: z.string().optional(),
  workflowStatus: z.string(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobPage = z.object({
  jobs: z.array(JobSummary),
  /** Opaque token for the next page; absent on the last page. */
  nextPageToken: z.string().optional(),
});
export type JobPage = z.infer<typeof JobPage>;

/** The answer to pause / resume / cancel / recover: the job's status after it. */
export const ControlOutcome = z.object({ id: z.string(), status: JobStatus, message: z.string() });
export type ControlOutcome = z.infer<typeof ControlOutcome>;

/** POST /v1/jobs/validate: a valid spec's plan (an invalid one is a 400 with every problem). */
export const ValidateResult = z.object({
  valid: z.literal(true),
  plan: JobPlan,
  /** What the job would cost (the reservation at submit), under this deployment's cost model; present even with credits off. */
  credits: CreditEstimate.extend({ enforced: z.boolean() }),
});
export type ValidateResult = z.infer<typeof ValidateResult>;

/** The spec as submitted (configPath resolved): a JobSpec in its input form. */
export const SubmittedSpec = z.custom<JobSpecInput>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'must be a job spec object',
);

/** GET /v1/jobs/:id/spec — the snapshot a job runs from, as a client needs it to draw the job. */
export const JobSpecView = z.object({
  id: z.string(),
  owner: z.string(),
  specHash: z.string(),
  submittedAt: z.string(),
  queuePrefix: z.string(),
  /** The job's folder, relative to the artifact root. */
  jobDir: z.string(),
  submitted: SubmittedSpec,
  /** The spec as the workflow parsed it: defaults filled in, durations in milliseconds. */
  spec: JobSpec,
  /** GPU pool of every node routed to a GPU queue. */
  pools: z.record(z.string(), z.string()),
  /** Stages, critical path and every node's dependencies, task queue and pool. */
  plan: JobPlan,
  /** The job this one reruns (POST /v1/jobs/:id/rerun), when it is a rerun. */
  rerunOf: z.string().optional(),
});
export type JobSpecView = z.infer<typeof JobSpecView>;

// ---- files ----

export const Artifact = z.object({
  name: z.string(),
  /** Relative to the job folder: "<node>/<file>". */
  path: z.string(),
  node: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  mediaType: z.string(),
  /** Download URL (relative). */
  url: z.string(),
});
export type Artifact = z.infer<typeof Artifact>;

export const ArtifactList = z.object({
  /** In key order (node, then path). */
  artifacts: z.array(Artifact),
  /** Set when there are more: pass it back as `pageToken` for the next page. */
  nextPageToken: z.string().optional(),
});
export type ArtifactList = z.infer<typeof ArtifactList>;

export const ArtifactListQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(1000).default(1000),
  /** From a previous page's nextPageToken. */
  pageToken: PageToken.optional(),
});
export type ArtifactListQuery = z.input<typeof ArtifactListQuery>;

// ---- live stream (WebSocket /stream and SSE /events: the same messages) ----

const streamBase = { job_id: z.string(), timestamp: z.string() };

export const NodeStatusData = z.object({
  type: NodeType,
  attempts: z.number().int().optional(),
  attempt: z.number().int().optional(),
  lastFailure: z.string().optional(),
  error: NodeError.pick({ message: true, type: true, where: true, stderrTail: true }).optional(),
  durationMs: z.number().optional(),
  /** Completed nodes: the step's summary. */
  summary: z.record(z.string(), z.unknown()).optional(),
  /** True for a `running` the poller did not see but that must have happened (the node finished). */
  inferred: z.boolean().optional(),
  /** Why it is not running (as NodeView.waiting); a node_status comes again when the reason changes. */
  waiting: NodeWait.optional(),
});

export const JobEndData = z.object({
  counts: z.partialRecord(NodeStatus, z.number().int()),
  recoverable: z.boolean(),
  completedAt: z.string().optional(),
  /** job_failed: the failed nodes and why. */
  failure: JobFailure.optional(),
});

export const StreamMessage = z.discriminatedUnion('type', [
  /** A late subscriber's first message: the whole job. */
  z.object({ type: z.literal('snapshot'), ...streamBase, status: JobStatus, progress: z.number(), data: JobView }),
  z.object({
    type: z.literal('job_started'),
    ...streamBase,
    status: JobStatus,
    progress: z.number(),
    data: z.object({ name: z.string(), nodes: z.array(z.object({ id: z.string(), type: NodeType })) }),
  }),
  z.object({
    type: z.literal('node_status'),
    ...streamBase,
    node_id: z.string(),
    status: NodeStatus,
    data: NodeStatusData,
  }),
  z.object({
    type: z.literal('node_progress'),
    ...streamBase,
    node_id: z.string(),
    status: NodeStatus,
    progress: z.number().optional(),
    data: LiveProgress,
  }),
  /** An evaluate node's metrics, once. */
  z.object({ type: z.literal('metrics'), ...streamBase, node_id: z.string(), data: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal('job_completed'),
    ...streamBase,
    status: JobStatus,
    progress: z.number(),
    data: JobEndData,
  }),
  z.object({ type: z.literal('job_failed'), ...streamBase, status: JobStatus, progress: z.number(), data: JobEndData }),
  z.object({
    type: z.literal('job_cancelled'),
    ...streamBase,
    status: JobStatus,
    progress: z.number(),
    data: JobEndData,
  }),
  /** The stream cannot go on (job gone, Temporal unreachable); it closes after this. */
  z.object({ type: z.literal('error'), ...streamBase, data: z.object({ message: z.string() }) }),
]);
export type StreamMessage = z.infer<typeof StreamMessage>;
export type StreamMessageType = StreamMessage['type'];

// ---- dashboard sessions ----

/** POST /v1/session: the API key, in the body (never in a URL). */
export const SignInBody = z.strictObject({ apiKey: z.string().min(1).max(512) });
export type SignInBody = z.infer<typeof SignInBody>;

/** The caller's dashboard session; the cookie itself is HttpOnly and never in a body. */
export const SessionView = z.object({
  owner: z.string(),
  admin: z.boolean(),
  /** Send as `X-CSRF-Token` on every request that changes something. */
  csrfToken: z.string(),
  /** The session ends then unless used (each use pushes it on, up to its absolute limit). */
  expiresAt: z.string(),
  /** Where the Temporal Web UI shows a job's workflow, when the deployment says. */
  temporalUi: z.object({ url: z.string(), namespace: z.string() }).optional(),
});
export type SessionView = z.infer<typeof SessionView>;

export const SignedOut = z.object({ signedOut: z.literal(true) });
export type SignedOut = z.infer<typeof SignedOut>;

/** /ui/*path: any dashboard page (the page's script reads the path). */
export const DashboardParams = z.strictObject({ path: z.string().max(1024) });

// ---- operations ----

export const Health = z.object({ status: z.literal('ok') });
export type Health = z.infer<typeof Health>;

/** GPUs a worker announces in its identity. */
export const AnnouncedGpus = z.object({
  pool: z.string(),
  count: z.number().int(),
  memoryGb: z.array(z.number()),
  simulated: z.boolean(),
});
export type AnnouncedGpus = z.infer<typeof AnnouncedGpus>;

export const Readiness = z.object({
  ready: z.boolean(),
  temporal: z.object({ reachable: z.boolean(), error: z.string().optional() }),
  /** The artifact store (TRAINYARD_ARTIFACT_STORE): usable, or what is wrong (missing bucket, refused credentials, unreachable). */
  store: z.object({ uri: z.string(), reachable: z.boolean(), error: z.string().optional() }),
  queues: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['workflow', 'activity']),
      pollers: z.number().int(),
      ok: z.boolean(),
    }),
  ),
  gpuPools: z.array(
    z.object({
      pool: z.string(),
      ready: z.boolean(),
      gpus: z.number().int(),
      simulated: z.boolean(),
      workers: z.array(z.object({ identity: z.string(), gpus: AnnouncedGpus.nullable() })),
    }),
  ),
  missing: z.array(z.string()),
});
export type Readiness = z.infer<typeof Readiness>;

/** A step template as /v1/config shows it (its env and config file format are the operator's business). */
export const StepTemplateView = StepTemplate.pick({
  description: true,
  aliases: true,
  command: true,
  params: true,
  resources: true,
  retry: true,
  timeout: true,
}).extend({ name: z.string() });
export type StepTemplateView = z.infer<typeof StepTemplateView>;

/** /v1/config `credits`: whether they are enforced, the rates, and what happens at a job's end. */
export const CreditsConfigView = z.object({
  enabled: z.boolean(),
  rates: CostRates,
  refund: RefundRule,
  overrun: OverrunPolicy,
});
export type CreditsConfigView = z.infer<typeof CreditsConfigView>;

export const ServerConfig = z.object({
  version: z.string(),
  namespace: z.string(),
  queuePrefix: z.string(),
  taskQueues: z.object({
    workflows: z.string(),
    cpu: z.string(),
    gpu: z.record(z.string(), z.object({ train: z.string(), export: z.string() })),
  }),
  gpuPools: z.array(z.object({ name: z.string(), gpusPerWorker: z.number().int(), memoryGb: z.number() })),
  allowedCommands: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  maxBody: z.string(),
  nodeTypes: z.array(NodeType),
  /** JSON Schema of each node type's `config`. */
  nodeConfigSchemas: z.record(z.string(), z.record(z.string(), z.unknown())),
  /** Operator-registered step kinds (TRAINYARD_STEP_TEMPLATES). */
  stepTemplates: z.array(StepTemplateView),
  /** The credits cost model and rules (TRAINYARD_CREDITS*). */
  credits: CreditsConfigView,
});
export type ServerConfig = z.infer<typeof ServerConfig>;

// ---- credits ----

export { AccountSummary, JobCredits, LedgerEntry };

/** GET /v1/account and /v1/accounts/:owner. */
export const AccountView = AccountSummary.extend({
  /** False when TRAINYARD_CREDITS is off: nothing is charged, and the figures are whatever the account held. */
  enabled: z.boolean(),
  message: z.string().optional(),
  /** The newest entries (at most 10), newest first. */
  recent: z.array(LedgerEntry),
});
export type AccountView = z.infer<typeof AccountView>;

export const OwnerParams = z.strictObject({ owner: Owner });
export type OwnerParams = z.infer<typeof OwnerParams>;

export const EntriesQuery = z.strictObject({
  pageSize: z.coerce.number().int().min(1).max(500).default(50),
  /** From a previous page's nextPageToken. */
  pageToken: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a token from a previous page')
    .optional(),
});
export type EntriesQuery = z.input<typeof EntriesQuery>;

export const EntryPage = z.object({
  owner: z.string(),
  /** Newest first. */
  entries: z.array(LedgerEntry),
  nextPageToken: z.string().optional(),
});
export type EntryPage = z.infer<typeof EntryPage>;

export const GrantBody = z.strictObject({
  amount: CreditAmount.refine((v) => v > 0, 'must be more than 0'),
  reason: z.string().min(1).max(500),
  /** Dedupe key: a retried grant with the same id is applied once (default: the Idempotency-Key header, else a new id). */
  grantId: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1–128 printable ASCII characters')
    .optional(),
});
export type GrantBody = z.input<typeof GrantBody>;

export const GrantResult = z.object({
  owner: z.string(),
  /** False when the grant id was applied before (nothing changed). */
  applied: z.boolean(),
  entry: LedgerEntry.optional(),
  balance: z.number(),
});
export type GrantResult = z.infer<typeof GrantResult>;

// ---- component names in /openapi.json (a generated client's class names) ----

// ---- schedules ----

export { ScheduleBackfill, ScheduleCreate, ScheduleNote, ScheduleTrigger, ScheduleUpdate };

/** /v1/schedules/:name[/…]; admins may act on another owner's schedule with ?owner=. */
export const ScheduleParams = z.strictObject({ name: ScheduleName });
export type ScheduleParams = z.infer<typeof ScheduleParams>;
export const ScheduleOwnerQuery = z.strictObject({
  owner: z
    .string()
    .max(128)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/)
    .optional(),
});
export type ScheduleOwnerQuery = z.infer<typeof ScheduleOwnerQuery>;
/** GET /v1/schedules: admins see everyone's unless ?owner= narrows it. */
export const ListSchedulesQuery = ScheduleOwnerQuery;
export type ListSchedulesQuery = z.infer<typeof ListSchedulesQuery>;

/** One run a schedule started: a normal job. */
export const ScheduleRun = z.object({
  jobId: z.string(),
  status: JobStatus,
  startedAt: z.string(),
  closedAt: z.string().optional(),
});
export type ScheduleRun = z.infer<typeof ScheduleRun>;

/** A schedule as the API shows it (durations in milliseconds). */
export const ScheduleView = z.object({
  name: z.string(),
  owner: z.string(),
  /** The Temporal schedule id (the Web UI's Schedules page and `temporal schedule` use it). */
  scheduleId: z.string(),
  cron: z.string().optional(),
  everyMs: z.number().optional(),
  timezone: z.string(),
  jitterMs: z.number().optional(),
  overlap: OverlapPolicy,
  catchupWindowMs: z.number().optional(),
  paused: z.boolean(),
  note: z.string().optional(),
  /** What each run runs. */
  job: z.object({
    name: z.string().optional(),
    specHash: z.string(),
    nodes: z.number().int(),
    fromJob: z.string().optional(),
  }),
  /** The next times a run is due (ISO). */
  nextRuns: z.array(z.string()),
  /** Runs so far, newest first (at most 20): each a job with its outcome. */
  recentRuns: z.array(ScheduleRun),
  /** Runs started so far, and runs skipped because one was still running (overlap skip). */
  actionsTaken: z.number().int(),
  skippedOverlap: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
});
export type ScheduleView = z.infer<typeof ScheduleView>;

export const ScheduleSummary = ScheduleView.pick({
  name: true,
  owner: true,
  scheduleId: true,
  cron: true,
  everyMs: true,
  timezone: true,
  overlap: true,
  paused: true,
}).extend({ nextRun: z.string().optional() });
export type ScheduleSummary = z.infer<typeof ScheduleSummary>;

export const SchedulePage = z.object({ schedules: z.array(ScheduleSummary) });
export type SchedulePage = z.infer<typeof SchedulePage>;

/** The answer to pause / unpause / trigger / backfill / delete. */
export const ScheduleOutcome = z.object({ name: z.string(), scheduleId: z.string(), message: z.string() });
export type ScheduleOutcome = z.infer<typeof ScheduleOutcome>;

/** Response-side schemas with a name of their own (converted in their output form). */
export const RESPONSE_COMPONENTS: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([
  [JobStatus, 'JobStatus'],
  [NodeStatus, 'NodeStatus'],
  [NodeType, 'NodeType'],
  [ErrorBody, 'Error'],
  [ErrorDetail, 'ErrorDetail'],
  [JobLinks, 'JobLinks'],
  [JobCreated, 'JobCreated'],
  [RerunCreated, 'RerunCreated'],
  [LiveProgress, 'LiveProgress'],
  [NodeError, 'NodeError'],
  [JobFailure, 'JobFailure'],
  [RecoveryRecord, 'RecoveryRecord'],
  [NodeView, 'NodeView'],
  [WorkflowExecution, 'WorkflowExecution'],
  [JobView, 'JobView'],
  [JobNodePage, 'JobNodePage'],
  [JobSummary, 'JobSummary'],
  [JobPage, 'JobPage'],
  [ControlOutcome, 'ControlOutcome'],
  [JobPlan, 'JobPlan'],
  [ValidateResult, 'ValidateResult'],
  [JobSpec, 'ParsedJobSpec'],
  [JobSpecView, 'JobSpecView'],
  [Artifact, 'Artifact'],
  [ArtifactList, 'ArtifactList'],
  [ArtifactListQuery, 'ArtifactListQuery'],
  [NodeStatusData, 'NodeStatusData'],
  [JobEndData, 'JobEndData'],
  [StreamMessage, 'StreamMessage'],
  [Health, 'Health'],
  [AnnouncedGpus, 'AnnouncedGpus'],
  [Readiness, 'Readiness'],
  [StepTemplateView, 'StepTemplateView'],
  [ServerConfig, 'ServerConfig'],
  [MetricPoint, 'MetricPoint'],
  [JobCredits, 'JobCredits'],
  [CreditEstimate, 'CreditEstimate'],
  [LedgerEntry, 'LedgerEntry'],
  [AccountView, 'AccountView'],
  [EntryPage, 'EntryPage'],
  [GrantResult, 'GrantResult'],
  [CreditsConfigView, 'CreditsConfig'],
  [NodeMetrics, 'NodeMetrics'],
  [ScheduleRun, 'ScheduleRun'],
  [ScheduleView, 'ScheduleView'],
  [ScheduleSummary, 'ScheduleSummary'],
  [SchedulePage, 'SchedulePage'],
  [ScheduleOutcome, 'ScheduleOutcome'],
  [SessionView, 'SessionView'],
  [SignedOut, 'SignedOut'],
  [JobLeaderboard, 'JobLeaderboard'],
]);

/** Request bodies with a name of their own (converted in their input form). */
export const REQUEST_COMPONENTS: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([
  [NodeType, 'NodeType'],
  [JobSpec, 'JobSpec'],
  [SingleJobSpec, 'SingleJobSpec'],
  [Submission, 'Submission'],
  [PauseBody, 'PauseRequest'],
  [RecoverBody, 'RecoverRequest'],
  [RerunBody, 'RerunRequest'],
  [EmptyBody, 'EmptyRequest'],
  [GrantBody, 'GrantRequest'],
  [ScheduleCreate, 'ScheduleCreate'],
  [ScheduleUpdate, 'ScheduleUpdate'],
  [ScheduleBackfill, 'ScheduleBackfill'],
  [SignInBody, 'SignInRequest'],
]);

/** Response-side schemas documented as a request-side component (the spec as submitted is a JobSpec input). */
export const INPUT_REFS: ReadonlyMap<z.ZodType, string> = new Map<z.ZodType, string>([[SubmittedSpec, 'JobSpec']]);

/** DELETE /v1/cache: with `olderThan`, only entries stored longer ago than that (expired ones always). */
export const CachePurgeQuery = z.strictObject({
  olderThan: Duration.optional(),
});
export type CachePurgeQuery = z.input<typeof CachePurgeQuery>;

/** The caller's step cache entries (src/storage/step-cache.ts), oldest first. */
export const CacheList = z.object({
  owner: z.string(),
  entries: z.array(CacheEntryView),
});
export type CacheList = z.infer<typeof CacheList>;

export const CachePurgeResult = z.object({
  owner: z.string(),
  /** Entries removed. */
  entries: z.number().int(),
  /** Content-addressed objects no remaining entry names, removed. */
  objects: z.number().int(),
});
export type CachePurgeResult = z.infer<typeof CachePurgeResult>;
