// The route table: every HTTP route of the API, declared once — method, path, auth, the schemas of
// its params / query / headers / body and of every response. The server registers its handlers
// from it (src/api/route-table.ts, which also authenticates the WebSocket upgrade with the same
// code), /openapi.json is generated from it (src/api/openapi.ts), and the TypeScript SDK's client
// is typed by it (src/sdk/api-client.ts). No server code here.
import { z } from 'zod';
import {
  AccountView,
  CacheList,
  CachePurgeQuery,
  CachePurgeResult,
  ArtifactList,
  ArtifactListQuery,
  ArtifactHeaders,
  ArtifactParams,
  ControlOutcome,
  DashboardParams,
  EmptyBody,
  EntriesQuery,
  EntryPage,
  GrantBody,
  GrantResult,
  Health,
  JobCreated,
  JobIdParams,
  JobNodePage,
  JobNodesQuery,
  JobPage,
  JobSpecView,
  JobView,
  ListJobsQuery,
  LogsQuery,
  NodeMetrics,
  NodeMetricsParams,
  OwnerParams,
  ListSchedulesQuery,
  PauseBody,
  Readiness,
  RecoverBody,
  RerunBody,
  RerunCreated,
  ScheduleBackfill,
  ScheduleCreate,
  ScheduleNote,
  ScheduleOutcome,
  ScheduleOwnerQuery,
  SchedulePage,
  ScheduleParams,
  ScheduleTrigger,
  ScheduleUpdate,
  ScheduleView,
  TerminateBody,
  ServerConfig,
  SessionView,
  SignedOut,
  SignInBody,
  StreamMessage,
  Submission,
  SubmitHeaders,
  ValidateResult,
  type ErrorCode,
} from './contracts';

/**
 * How a route authenticates; a route lists the modes it accepts (any one will do). The server maps
 * each mode to an authenticator (src/api/auth.ts `AUTHENTICATORS`); a new mode (e.g. a cookie
 * session) is a name here plus an authenticator there.
 */
export const AUTH_MODES = {
  /** No credentials. */
  none: 'none',
  /** `X-API-Key` header → the key's owner. */
  apiKey: 'apiKey',
  /**
   * `X-API-Key` header, or `?api_key=`: only for the SSE route, because a browser's EventSource cannot
   * set headers. Every other route that takes a key refuses `?api_key=` (401): a query string ends up
   * in access logs, proxies and browser history. A WebSocket client sends the header (Node) or uses
   * the dashboard's session cookie (browsers).
   */
  apiKeyQuery: 'apiKeyQuery',
  /**
   * The dashboard's session cookie (`ty_session`, from POST /v1/session); a request that changes
   * anything must also send the session's CSRF token in `X-CSRF-Token`.
   */
  session: 'session',
  /** HTTP basic auth for the docs page (TRAINYARD_DOCS_USER / TRAINYARD_DOCS_PASSWORD). */
  docs: 'docs',
} as const;
export type AuthMode = (typeof AUTH_MODES)[keyof typeof AUTH_MODES];

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  description: string;
  schema: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec {
  method: HttpMethod;
  /** Express syntax: `:id` for a segment, `*path` for the rest of the path. */
  path: string;
  summary: string;
  /** Accepted auth modes, any one of them; `[]` is not allowed (use `none`). */
  auth: readonly [AuthMode, ...AuthMode[]];
  params?: z.ZodType;
  query?: z.ZodType;
  headers?: z.ZodType;
  body?: {
    schema: z.ZodType;
    /** A missing body is a 400; otherwise it reads as `{}`. */
    required: boolean;
    /** The handler gets the JSON as it came (shape-checked only) because a service validates it more thoroughly. */
    raw?: boolean;
  };
  /** Success responses (and documented non-error ones, like /readyz's 503). */
  responses: Record<number, ResponseSpec>;
  /** Error responses (all in the ErrorBody shape) beyond the ones every route may give (400, 401, 500). */
  errors?: Record<number, string>;
  /** Error codes for a part that fails its schema (default "invalid_request"). */
  invalidCodes?: Partial<Record<'params' | 'query' | 'headers' | 'body', ErrorCode>>;
  /** A WebSocket endpoint: the upgrade is authenticated like any other route, then each message is one of these. */
  websocket?: { message: z.ZodType };
}

const CSRF = 'session auth: the X-CSRF-Token header is missing or wrong, or the request came from another site';
const jobErrors = { 404: "unknown job (or another owner's)" } as const;
const JOB_ID = { params: 'invalid_job_id' } as const;
const text = (description: string, contentType = 'text/plain; charset=utf-8'): ResponseSpec => ({
  description,
  contentType,
  schema: z.string(),
});

/** pause / resume / cancel / recover: POST /v1/jobs/:id/<action> with an optional body, answered by the workflow. */
function control<A extends string, B extends z.ZodType>(action: A, body: B, summary: string) {
  return {
    method: 'post',
    path: `/v1/jobs/:id/${action}`,
    summary,
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    body: { schema: body, required: false },
    responses: { 200: { description: 'the job status after the operation', schema: ControlOutcome } },
    errors: { ...jobErrors, 403: CSRF, 409: 'illegal transition, with the reason', 415: 'not JSON' },
    invalidCodes: JOB_ID,
  } as const;
}

const scheduleErrors = { 404: "unknown schedule (or another owner's)" } as const;
const SCHEDULE_NAME = { params: 'invalid_schedule_name' } as const;

/** pause / unpause / trigger / backfill: POST /v1/schedules/:name/<action>. */
function scheduleControl<A extends string, B extends z.ZodType>(action: A, body: B, summary: string) {
  return {
    method: 'post',
    path: `/v1/schedules/:name/${action}`,
    summary,
    auth: ['apiKey'],
    params: ScheduleParams,
    query: ScheduleOwnerQuery,
    body: { schema: body, required: false },
    responses: { 200: { description: 'done', schema: ScheduleOutcome } },
    errors: { ...scheduleErrors, 415: 'not JSON' },
    invalidCodes: SCHEDULE_NAME,
  } as const;
}

export const ROUTES = {
  submitJob: {
    method: 'post',
    path: '/v1/jobs',
    summary: 'Submit a job (DAG or single-job form)',
    auth: ['apiKey', 'session'],
    headers: SubmitHeaders,
    body: { schema: Submission, required: true, raw: true },
    responses: {
      201: { description: 'job started', schema: JobCreated },
      200: { description: 'the Idempotency-Key named an existing job (the same spec)', schema: JobCreated },
    },
    errors: {
      402: "insufficient_credits: the owner's balance does not cover the job's estimate (credits on); nothing started",
      403: CSRF,
      409: 'Idempotency-Key reused with a different spec',
      413: 'body too large',
      415: 'Content-Type is not application/json',
    },
    invalidCodes: { headers: 'invalid_idempotency_key' },
  },
  validateJob: {
    method: 'post',
    path: '/v1/jobs/validate',
    summary: 'Dry run: the plan (stages, queues, pools, critical path, GPU time) or every error; starts nothing',
    auth: ['apiKey', 'session'],
    body: { schema: Submission, required: true, raw: true },
    responses: { 200: { description: 'valid; the plan', schema: ValidateResult } },
    errors: { 403: CSRF, 413: 'body too large', 415: 'Content-Type is not application/json' },
  },
  listJobs: {
    method: 'get',
    path: '/v1/jobs',
    summary: "The caller's jobs (admin: everyone's), newest first, paginated",
    auth: ['apiKey', 'session'],
    query: ListJobsQuery,
    responses: { 200: { description: 'a page of jobs', schema: JobPage } },
    errors: { 403: 'owner filter needs an admin key' },
  },
  getJob: {
    method: 'get',
    path: '/v1/jobs/:id',
    summary: 'Status, progress and every node, with live progress of running ones (finished jobs too)',
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    responses: { 200: { description: 'the job', schema: JobView } },
    errors: jobErrors,
    invalidCodes: JOB_ID,
  },
  listJobNodes: {
    method: 'get',
    path: '/v1/jobs/:id/nodes',
    summary:
      'Every node of the job, a page at a time (spec order, up to 1,000 per page, under 512 KiB), optionally only some statuses',
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    query: JobNodesQuery,
    responses: { 200: { description: 'a page of nodes', schema: JobNodePage } },
    errors: {
      ...jobErrors,
      409: "nodes_unavailable: the job's workflow did not answer and no worker could replay it (GET /v1/jobs/:id has its status)",
    },
    invalidCodes: JOB_ID,
  },
  getJobSpec: {
    method: 'get',
    path: '/v1/jobs/:id/spec',
    summary: "The snapshot the job runs from: spec as submitted and as parsed, its hash, every node's queue and pool",
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    responses: { 200: { description: 'the job spec', schema: JobSpecView } },
    errors: jobErrors,
    invalidCodes: JOB_ID,
  },
  pauseJob: control('pause', PauseBody, 'Pause: drain (default) or now (running nodes checkpoint and stop)'),
  resumeJob: control('resume', EmptyBody, 'Resume a paused job (paused nodes continue from their checkpoints)'),
  cancelJob: control('cancel', EmptyBody, 'Cancel the job (running steps stop, with their subprocesses)'),
  recoverJob: control('recover', RecoverBody, 'Re-run failed and skipped nodes, or fromNode and everything downstream'),
  rerunJob: {
    method: 'post',
    path: '/v1/jobs/:id/rerun',
    summary:
      "Start a NEW job from a finished job's snapshot, with overrides; nodes the change does not reach are `cached` from the old job's step-cache entries, fromNode and below run again",
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    body: { schema: RerunBody, required: false },
    responses: { 201: { description: 'the new job started (rerunOf: the old job)', schema: RerunCreated } },
    errors: {
      ...jobErrors,
      402: "insufficient_credits: the owner's balance does not cover the new job's estimate (credits on)",
      403: CSRF,
      409: 'job_not_finished: the job is still queued, running or paused',
      413: 'the new job is over the payload limit',
      415: 'not JSON',
    },
    invalidCodes: JOB_ID,
  },
  terminateJob: control(
    'terminate',
    TerminateBody,
    'Terminate the job at once (Temporal terminate): for a job that does not stop on cancel; its status becomes terminated',
  ),
  jobEvents: {
    method: 'get',
    path: '/v1/jobs/:id/events',
    summary: 'Server-Sent Events: the same messages as the WebSocket stream; ends after the job ends',
    auth: ['apiKeyQuery', 'session'],
    params: JobIdParams,
    responses: {
      200: {
        description: 'text/event-stream of StreamMessage',
        contentType: 'text/event-stream',
        schema: StreamMessage,
      },
    },
    errors: jobErrors,
    invalidCodes: JOB_ID,
  },
  jobStream: {
    method: 'get',
    path: '/v1/jobs/:id/stream',
    summary:
      'WebSocket: live job events (job_started, node_status, node_progress, metrics, job_completed|job_failed|job_cancelled); a late client first gets a snapshot',
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    responses: { 101: { description: 'switching protocols; each message is a StreamMessage', schema: StreamMessage } },
    errors: { ...jobErrors, 426: 'not a WebSocket upgrade' },
    invalidCodes: JOB_ID,
    websocket: { message: StreamMessage },
  },
  getLogs: {
    method: 'get',
    path: '/v1/jobs/:id/logs',
    summary: "A node's persisted stdout/stderr; follow=true streams new lines until the node finishes",
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    query: LogsQuery,
    responses: { 200: text('log text') },
    errors: { 404: 'unknown job, node, or no log yet' },
    invalidCodes: JOB_ID,
  },
  getNodeMetrics: {
    method: 'get',
    path: '/v1/jobs/:id/nodes/:node/metrics',
    summary: "A node's metrics history: every progress report it made (epoch, loss, any numeric metric), oldest first",
    auth: ['apiKey', 'session'],
    params: NodeMetricsParams,
    responses: { 200: { description: 'metrics history', schema: NodeMetrics } },
    errors: { 404: 'unknown job or node' },
    invalidCodes: JOB_ID,
  },
  listArtifacts: {
    method: 'get',
    path: '/v1/jobs/:id/artifacts',
    summary: "The job's artifacts (models, metrics, plots, logs), a page at a time (up to 1,000)",
    auth: ['apiKey', 'session'],
    params: JobIdParams,
    query: ArtifactListQuery,
    responses: { 200: { description: 'artifacts', schema: ArtifactList } },
    errors: jobErrors,
    invalidCodes: JOB_ID,
  },
  getArtifact: {
    method: 'get',
    path: '/v1/jobs/:id/artifacts/*path',
    summary: 'Download one artifact (path relative to the job folder; may contain "/")',
    auth: ['apiKey', 'session'],
    params: ArtifactParams,
    headers: ArtifactHeaders,
    responses: {
      200: { description: 'the file', contentType: 'application/octet-stream', schema: z.string() },
      206: {
        description: 'the bytes the Range header asked for',
        contentType: 'application/octet-stream',
        schema: z.string(),
      },
    },
    errors: { 404: 'unknown job or artifact', 416: 'the range starts past the end of the file' },
    invalidCodes: { params: 'invalid_path', headers: 'invalid_range' },
  },
  getAccount: {
    method: 'get',
    path: '/v1/account',
    summary:
      "The caller's credit account: balance, reserved, totals and the newest entries (says so when credits are off)",
    auth: ['apiKey', 'session'],
    responses: { 200: { description: 'the account', schema: AccountView } },
  },
  listAccountEntries: {
    method: 'get',
    path: '/v1/account/entries',
    summary: "The caller's ledger entries, newest first, paginated",
    auth: ['apiKey', 'session'],
    query: EntriesQuery,
    responses: { 200: { description: 'a page of entries', schema: EntryPage } },
  },
  getOwnerAccount: {
    method: 'get',
    path: '/v1/accounts/:owner',
    summary: "An owner's credit account (admin keys; any key for its own owner)",
    auth: ['apiKey', 'session'],
    params: OwnerParams,
    responses: { 200: { description: 'the account', schema: AccountView } },
    errors: { 404: "another owner's account (non-admin keys)" },
    invalidCodes: { params: 'invalid_owner' },
  },
  listOwnerEntries: {
    method: 'get',
    path: '/v1/accounts/:owner/entries',
    summary: "An owner's ledger entries, newest first, paginated (admin keys; any key for its own owner)",
    auth: ['apiKey', 'session'],
    params: OwnerParams,
    query: EntriesQuery,
    responses: { 200: { description: 'a page of entries', schema: EntryPage } },
    errors: { 404: "another owner's account (non-admin keys)" },
    invalidCodes: { params: 'invalid_owner' },
  },
  grantCredits: {
    method: 'post',
    path: '/v1/accounts/:owner/grants',
    summary: 'Admin: add credits to an owner (the same grantId / Idempotency-Key is applied once)',
    auth: ['apiKey', 'session'],
    params: OwnerParams,
    headers: SubmitHeaders,
    body: { schema: GrantBody, required: true },
    responses: {
      201: { description: 'granted', schema: GrantResult },
      200: { description: 'the grant id was applied before; nothing changed', schema: GrantResult },
    },
    errors: {
      403: `not an admin key (own account); or ${CSRF}`,
      404: "another owner's account (non-admin keys)",
      409: 'credits are off (TRAINYARD_CREDITS)',
      415: 'not JSON',
    },
    invalidCodes: { params: 'invalid_owner', headers: 'invalid_idempotency_key' },
  },
  listCache: {
    method: 'get',
    path: '/v1/cache',
    summary: "The caller's step cache entries (key, step type, the job and node that stored it, size), oldest first",
    auth: ['apiKey', 'session'],
    responses: { 200: { description: 'the entries', schema: CacheList } },
  },
  purgeCache: {
    method: 'delete',
    path: '/v1/cache',
    summary:
      "Removes the caller's step cache entries (all, or with olderThan those stored longer ago) and the objects no entry names",
    auth: ['apiKey', 'session'],
    query: CachePurgeQuery,
    responses: { 200: { description: 'what was removed', schema: CachePurgeResult } },
  },
  listSchedules: {
    method: 'get',
    path: '/v1/schedules',
    summary: "The caller's schedules (admin: everyone's, or ?owner=)",
    auth: ['apiKey'],
    query: ListSchedulesQuery,
    responses: { 200: { description: 'schedules', schema: SchedulePage } },
  },
  createSchedule: {
    method: 'post',
    path: '/v1/schedules',
    summary: 'Create a schedule: a job (inline or fromJob) started on a cron expression or an interval',
    auth: ['apiKey'],
    body: { schema: ScheduleCreate, required: true },
    responses: { 201: { description: 'created', schema: ScheduleView } },
    errors: { 409: 'the caller has a schedule of that name', 413: 'body too large', 415: 'not JSON' },
  },
  getSchedule: {
    method: 'get',
    path: '/v1/schedules/:name',
    summary: 'A schedule: its timing, policies, next runs and recent runs (jobs, with their outcome)',
    auth: ['apiKey'],
    params: ScheduleParams,
    query: ScheduleOwnerQuery,
    responses: { 200: { description: 'the schedule', schema: ScheduleView } },
    errors: scheduleErrors,
    invalidCodes: SCHEDULE_NAME,
  },
  updateSchedule: {
    method: 'put',
    path: '/v1/schedules/:name',
    summary: 'Change what or when a schedule runs (fields not given stay)',
    auth: ['apiKey'],
    params: ScheduleParams,
    query: ScheduleOwnerQuery,
    body: { schema: ScheduleUpdate, required: true },
    responses: { 200: { description: 'the schedule after the change', schema: ScheduleView } },
    errors: { ...scheduleErrors, 413: 'body too large', 415: 'not JSON' },
    invalidCodes: SCHEDULE_NAME,
  },
  deleteSchedule: {
    method: 'delete',
    path: '/v1/schedules/:name',
    summary: 'Delete a schedule (runs already started continue as jobs)',
    auth: ['apiKey'],
    params: ScheduleParams,
    query: ScheduleOwnerQuery,
    responses: { 200: { description: 'deleted', schema: ScheduleOutcome } },
    errors: scheduleErrors,
    invalidCodes: SCHEDULE_NAME,
  },
  pauseSchedule: scheduleControl('pause', ScheduleNote, 'Pause a schedule: no run starts until unpaused'),
  unpauseSchedule: scheduleControl('unpause', ScheduleNote, 'Unpause a schedule'),
  triggerSchedule: scheduleControl('trigger', ScheduleTrigger, 'Start one run now (subject to the overlap policy)'),
  backfillSchedule: scheduleControl(
    'backfill',
    ScheduleBackfill,
    'Start the runs the schedule would have started in [start, end)',
  ),
  getConfig: {
    method: 'get',
    path: '/v1/config',
    summary: 'Non-secret settings, node types and their config schemas',
    auth: ['apiKey', 'session'],
    responses: { 200: { description: 'settings', schema: ServerConfig } },
  },
  signIn: {
    method: 'post',
    path: '/v1/session',
    summary: 'Dashboard sign-in: an API key for a short-lived HttpOnly, SameSite=Strict session cookie',
    auth: ['none'],
    body: { schema: SignInBody, required: true },
    responses: { 201: { description: 'signed in; Set-Cookie carries the session', schema: SessionView } },
    errors: { 401: 'unknown API key', 415: 'not JSON', 429: 'too many failed sign-ins from this address' },
  },
  getSession: {
    method: 'get',
    path: '/v1/session',
    summary: "The dashboard session's owner, CSRF token and expiry",
    auth: ['session'],
    responses: { 200: { description: 'the session', schema: SessionView } },
  },
  signOut: {
    method: 'delete',
    path: '/v1/session',
    summary: 'Sign out: the session ends now and its cookie is cleared',
    auth: ['session'],
    responses: { 200: { description: 'signed out', schema: SignedOut } },
    errors: { 403: CSRF },
  },
  dashboard: {
    method: 'get',
    path: '/ui',
    summary: 'The dashboard (static page; it signs in with POST /v1/session)',
    auth: ['none'],
    responses: { 200: text('HTML page', 'text/html; charset=utf-8') },
    errors: { 503: 'the dashboard was not built (npm run build:ui)' },
  },
  dashboardPage: {
    method: 'get',
    path: '/ui/*path',
    summary: 'A dashboard page (the same static page; its script routes by path)',
    auth: ['none'],
    params: DashboardParams,
    responses: { 200: text('HTML page', 'text/html; charset=utf-8') },
    errors: { 503: 'the dashboard was not built (npm run build:ui)' },
  },
  healthz: {
    method: 'get',
    path: '/healthz',
    summary: 'The process is alive',
    auth: ['none'],
    responses: { 200: { description: 'ok', schema: Health } },
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    summary: 'Temporal reachable and pollers on every task queue and GPU pool',
    auth: ['none'],
    responses: {
      200: { description: 'ready', schema: Readiness },
      503: { description: 'not ready: what is missing', schema: Readiness },
    },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: ['none'],
    responses: { 200: text('text exposition format', 'text/plain; version=0.0.4') },
  },
  openapi: {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    auth: ['none'],
    responses: { 200: { description: 'OpenAPI 3.0 document', schema: z.record(z.string(), z.unknown()) } },
  },
  docs: {
    method: 'get',
    path: '/docs',
    summary: 'API docs (Swagger UI, served locally) behind basic auth',
    auth: ['docs'],
    responses: { 200: text('HTML page', 'text/html; charset=utf-8') },
    errors: { 404: 'docs disabled (no TRAINYARD_DOCS_PASSWORD)' },
  },
  docsScript: {
    method: 'get',
    path: '/docs/init.js',
    summary: "The docs page's start-up script",
    auth: ['docs'],
    responses: { 200: text('JavaScript', 'application/javascript; charset=utf-8') },
    errors: { 404: 'docs disabled (no TRAINYARD_DOCS_PASSWORD)' },
  },
} as const satisfies Record<string, RouteSpec>;

export type Routes = typeof ROUTES;
export type RouteName = keyof Routes;

type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;
type In<S> = S extends z.ZodType ? z.input<S> : Record<string, never>;

/** What a handler receives, parsed. */
export type ParamsOf<N extends RouteName> = Out<Routes[N] extends { params: infer S } ? S : undefined>;
export type QueryOf<N extends RouteName> = Out<Routes[N] extends { query: infer S } ? S : undefined>;
export type HeadersOf<N extends RouteName> = Out<Routes[N] extends { headers: infer S } ? S : undefined>;
export type BodyOf<N extends RouteName> = Routes[N] extends { body: { raw: true } }
  ? unknown
  : Out<Routes[N] extends { body: { schema: infer S } } ? S : undefined>;

/** What a client sends. */
export type ParamsIn<N extends RouteName> = In<Routes[N] extends { params: infer S } ? S : undefined>;
export type QueryIn<N extends RouteName> = In<Routes[N] extends { query: infer S } ? S : undefined>;
export type BodyIn<N extends RouteName> = In<Routes[N] extends { body: { schema: infer S } } ? S : undefined>;

type Responses<N extends RouteName> = Routes[N]['responses'];
/** A status a route answers with (besides errors) and its body. */
export type ResponseOf<N extends RouteName, S extends keyof Responses<N>> = Responses<N>[S] extends {
  schema: infer Z extends z.ZodType;
}
  ? z.output<Z>
  : never;
/** Any of a route's non-error responses, tagged with its status. */
export type ResultOf<N extends RouteName> = {
  [S in keyof Responses<N> & number]: { status: S; body: ResponseOf<N, S> };
}[keyof Responses<N> & number];

/** Express path → OpenAPI path: `:id` → `{id}`, `*path` → `{path}`. */
export function openApiPath(path: string): string {
  return path.replace(/[:*](\w+)/g, '{$1}');
}

/** A route's path with its params filled in (URL-encoded; a `*` param keeps its "/"). */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/([:*])(\w+)/g, (_, kind: string, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter "${name}" for ${path}`);
    return kind === '*' ? v.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(v);
  });
}
