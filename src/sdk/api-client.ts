// The TypeScript SDK: an HTTP client of the Trainyard API, typed by the route table
// (src/http/routes.ts). Every request is built from a route's declaration and every response is
// parsed with the schema the route declares for its status — a body that does not match is an
// error here, not a surprise later. Errors the API answers with become ApiRequestError (code, message,
// every field path); an API that cannot be reached is an ApiConnectionError. No Node built-ins,
// no server code: it runs wherever `fetch` does.
//
//   const client = new TrainyardClient({ url: 'http://127.0.0.1:8080', apiKey });
//   const job = await client.execute(spec);            // submit, follow the events, the final view
//   for await (const m of client.watch(id)) …          // snapshot, node_status, … job_completed
import { createParser } from 'eventsource-parser';
import type { z } from 'zod';
import {
  ErrorBody,
  NO_ERROR_BODY,
  StreamMessage,
  type ClientErrorCode,
  type AccountView,
  type ArtifactList,
  type ArtifactListQuery,
  type CacheList,
  type CachePurgeResult,
  type ControlOutcome,
  type EntryPage,
  type ErrorDetail,
  type GrantBody,
  type GrantResult,
  type JobCreated,
  type JobNodePage,
  type JobNodesQuery,
  type JobPage,
  type JobSpecView,
  type JobSummary,
  type JobView,
  type LedgerEntry,
  type NodeView,
  type ListJobsQuery,
  type NodeMetrics,
  type RerunBody,
  type RerunCreated,
  type ScheduleBackfill,
  type ScheduleCreate,
  type ScheduleOutcome,
  type SchedulePage,
  type ScheduleUpdate,
  type ScheduleView,
  type ServerConfig,
  type ValidateResult,
} from '../http/contracts';
import { detailsMessage, issueDetails } from '../domain/issues';
import { TERMINAL_JOB_STATUSES, type JobStatus, type NodeStatus } from '../domain/statuses';
import type { PauseMode } from '../domain/progress';
import { ROUTES, fillPath, type BodyIn, type QueryIn, type ResultOf, type RouteName } from '../http/routes';

/** The query of listJobNodes: JobNodesQuery with `status` as one status or a list. */
export type JobNodesOptions = Omit<JobNodesQuery, 'status'> & { status?: NodeStatus | readonly NodeStatus[] };

export interface TrainyardClientOptions {
  /** Base URL of the API, e.g. http://127.0.0.1:8080 (a trailing "/" is fine). */
  url: string;
  /** Sent as X-API-Key. */
  apiKey?: string;
  /** Another fetch (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

/**
 * The API answered with an error: its status, code, message and every field path — the ErrorBody
 * the API's HttpError (src/api/errors.ts) was turned into, parsed back.
 */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    /** One of the API's ErrorCode, or NO_ERROR_BODY when the response had no ErrorBody. */
    readonly code: ClientErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** Set on 500s: the server log has the details under this id. */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** The API could not be reached (refused, unknown host, timeout…). `code` is the system error code when known. */
export class ApiConnectionError extends Error {
  constructor(
    readonly url: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`cannot reach the Trainyard API at ${url}${code ? ` (${code})` : ''}`, { cause });
    this.name = 'ApiConnectionError';
  }
}

/** The API answered with a body its route does not declare (another server version, a proxy's page). */
export class ApiResponseError extends Error {
  constructor(
    readonly route: RouteName,
    readonly status: number,
    message: string,
  ) {
    super(`${route}: unexpected response (HTTP ${status}): ${message}`);
    this.name = 'ApiResponseError';
  }
}

/** The event stream closed before the job's final event (the server went away). */
export class StreamEndedError extends Error {
  constructor(readonly jobId: string) {
    super(`the event stream of job ${jobId} ended before the job finished`);
    this.name = 'StreamEndedError';
  }
}

/** What a request to one route carries. */
export interface CallInput<N extends RouteName> {
  params?: Record<string, string>;
  query?: QueryIn<N>;
  body?: BodyIn<N> | unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface WatchOptions {
  signal?: AbortSignal;
  /** Called once the server has accepted the subscription (its first bytes arrived): events from now on reach this watch. */
  onOpen?: () => void;
}

export interface LogsOptions {
  /** Stream new lines until the node (or the job) finishes. */
  follow?: boolean;
  /** Only the last N lines (before following). */
  tail?: number;
  signal?: AbortSignal;
}

/** After these the server closes the stream ('error': it cannot go on, e.g. the job is gone). */
const FINAL_EVENTS: ReadonlySet<StreamMessage['type']> = new Set([
  'job_completed',
  'job_failed',
  'job_cancelled',
  'error',
]);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const cause = 'cause' in err ? err.cause : undefined;
  if (typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string')
    return cause.code;
  return 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

const issuesText = (error: z.ZodError) => detailsMessage(issueDetails(error.issues), 5);

export class TrainyardClient {
  readonly url: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: TrainyardClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** True when the client sends an API key. */
  get hasApiKey(): boolean {
    return this.apiKey !== undefined;
  }

  // ---- the generic call ----

  /** Sends a request to one route and returns the raw Response (errors already turned into ApiRequestError). */
  async send<N extends RouteName>(name: N, input: CallInput<N> = {}, accept = 'application/json'): Promise<Response> {
    const route = ROUTES[name];
    let target = `${this.url}${fillPath(route.path, input.params ?? {})}`;
    if (input.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(input.query as Record<string, unknown>))
        if (v !== undefined && v !== null) qs.set(k, String(v));
      const s = qs.toString();
      if (s) target += `?${s}`;
    }
    const headers: Record<string, string> = { accept, ...input.headers };
    if (this.apiKey) headers['x-api-key'] = this.apiKey;
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(target, {
        method: route.method.toUpperCase(),
        headers,
        body: input.body === undefined ? undefined : JSON.stringify(input.body),
        signal: input.signal,
      });
    } catch (err) {
      if (input.signal?.aborted) throw err;
      throw new ApiConnectionError(this.url, errorCode(err), err);
    }
    if (!res.ok) throw await this.errorFrom(res);
    return res;
  }

  /** Calls a JSON route; the body is parsed with the schema the route declares for the status it answered with. */
  async call<N extends RouteName>(name: N, input: CallInput<N> = {}): Promise<ResultOf<N>> {
    const res = await this.send(name, input);
    const responses: Record<number, { schema: z.ZodType } | undefined> = ROUTES[name].responses;
    const spec = responses[res.status];
    if (!spec) throw new ApiResponseError(name, res.status, 'a status the route does not declare');
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiResponseError(name, res.status, `not JSON: ${text.slice(0, 80)}`);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) throw new ApiResponseError(name, res.status, issuesText(parsed.error));
    // The status was checked against the route's table and the body against its schema for that status.
    return { status: res.status, body: parsed.data } as ResultOf<N>;
  }

  private async errorFrom(res: Response): Promise<ApiRequestError> {
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const body = ErrorBody.safeParse(json);
    if (!body.success) return new ApiRequestError(res.status, NO_ERROR_BODY, `request failed with HTTP ${res.status}`);
    const e = body.data.error;
    return new ApiRequestError(res.status, e.code, e.message, e.details, e.requestId);
  }

  // ---- submit ----

  /** Submits a job spec (DAG or single-job form); the same idempotency key names the same job. */
  async submit(spec: unknown, options: { idempotencyKey?: string } = {}): Promise<JobCreated> {
    const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined;
    return (await this.call('submitJob', { body: spec, headers })).body;
  }

  /** The plan of a spec, or ApiRequestError (400, validation_failed) with every problem; starts nothing. */
  async validate(spec: unknown): Promise<ValidateResult> {
    return (await this.call('validateJob', { body: spec })).body;
  }

  /** Submits, follows the job to its end and returns its final view (whatever the outcome). */
  async execute(
    spec: unknown,
    options: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<{ created: JobCreated; job: JobView }> {
    const created = await this.submit(spec, options);
    return { created, job: await this.wait(created.id, options) };
  }

  // ---- read ----

  async getJob(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return (await this.call('getJob', { params: { id }, signal: options.signal })).body;
  }

  async getJobSpec(id: string): Promise<JobSpecView> {
    return (await this.call('getJobSpec', { params: { id } })).body;
  }

  /** One page of the caller's jobs, newest first. */
  async listJobs(query: ListJobsQuery = {}): Promise<JobPage> {
    return (await this.call('listJobs', { query })).body;
  }

  /** Every job the query matches, page after page. */
  async *jobs(query: Omit<ListJobsQuery, 'pageToken'> = {}): AsyncGenerator<JobSummary> {
    let pageToken: string | undefined;
    do {
      const page = await this.listJobs({ ...query, pageToken });
      yield* page.jobs;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /**
   * One page of the job's nodes, in spec order (up to 1,000; default 500). `status`: only nodes of
   * this status or these statuses. Pass a page's nextPageToken, with the same `status`, for the next.
   */
  async listJobNodes(id: string, query: JobNodesOptions = {}): Promise<JobNodePage> {
    const { status, ...rest } = query;
    const q: JobNodesQuery = {
      ...rest,
      ...(status !== undefined && { status: typeof status === 'string' ? status : status.join(',') }),
    };
    return (await this.call('listJobNodes', { params: { id }, query: q })).body;
  }

  /** Every node of the job (of the given statuses), page after page. */
  async *jobNodes(id: string, query: Omit<JobNodesOptions, 'pageToken'> = {}): AsyncGenerator<NodeView> {
    let pageToken: string | undefined;
    do {
      const page = await this.listJobNodes(id, { ...query, ...(pageToken !== undefined && { pageToken }) });
      yield* page.nodes;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  async serverConfig(): Promise<ServerConfig> {
    return (await this.call('getConfig')).body;
  }

  /** A node's metrics history: every progress report it made, oldest first. */
  async nodeMetrics(id: string, node: string): Promise<NodeMetrics> {
    return (await this.call('getNodeMetrics', { params: { id, node } })).body;
  }

  // ---- control ----

  async pause(id: string, mode: PauseMode = 'drain'): Promise<ControlOutcome> {
    return (await this.call('pauseJob', { params: { id }, body: { mode } })).body;
  }

  async resume(id: string): Promise<ControlOutcome> {
    return (await this.call('resumeJob', { params: { id }, body: {} })).body;
  }

  async cancel(id: string): Promise<ControlOutcome> {
    return (await this.call('cancelJob', { params: { id }, body: {} })).body;
  }

  /** Re-runs failed and skipped nodes, or `fromNode` and everything downstream. */
  async recover(id: string, options: { fromNode?: string } = {}): Promise<ControlOutcome> {
    const body = options.fromNode ? { fromNode: options.fromNode } : {};
    return (await this.call('recoverJob', { params: { id }, body })).body;
  }

  /**
   * Starts a NEW job from a finished job's snapshot with `overrides` (`{ 'train.config.epochs': 80 }`);
   * nodes the change does not reach are `cached` from the old job, `fromNode` and below run again.
   */
  async rerun(id: string, options: RerunBody = {}): Promise<RerunCreated> {
    return (await this.call('rerunJob', { params: { id }, body: options })).body;
  }

  /** Sends a control action by its route path segment (pause / resume / cancel / recover) with its body. */
  async control(id: string, action: 'pause' | 'resume' | 'cancel' | 'recover', body: unknown): Promise<ControlOutcome> {
    const route = ({ pause: 'pauseJob', resume: 'resumeJob', cancel: 'cancelJob', recover: 'recoverJob' } as const)[
      action
    ];
    return (await this.call(route, { params: { id }, body })).body;
  }

  // ---- follow ----

  /**
   * The job's events as they happen (Server-Sent Events): a late watcher first gets a snapshot,
   * then node_status, node_progress, metrics …; ends after the final event (job_completed /
   * job_failed / job_cancelled, or an `error` message when the stream cannot go on). Breaking out
   * of the loop closes the connection; a stream that closes before a final event is a StreamEndedError.
   */
  async *watch(id: string, options: WatchOptions = {}): AsyncGenerator<StreamMessage> {
    const res = await this.send('jobEvents', { params: { id }, signal: options.signal }, 'text/event-stream');
    if (!res.body) throw new ApiResponseError('jobEvents', res.status, 'no body');
    const queue: StreamMessage[] = [];
    let bad: Error | undefined;
    const parser = createParser({
      onEvent: (event) => {
        if (!event.data) return;
        let json: unknown;
        try {
          json = JSON.parse(event.data);
        } catch {
          bad ??= new ApiResponseError(
            'jobEvents',
            res.status,
            `an event that is not JSON: ${event.data.slice(0, 80)}`,
          );
          return;
        }
        const m = StreamMessage.safeParse(json);
        if (m.success) queue.push(m.data);
        else bad ??= new ApiResponseError('jobEvents', res.status, issuesText(m.error));
      },
    });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let opened = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!opened) {
          opened = true;
          options.onOpen?.();
        }
        parser.feed(decoder.decode(value, { stream: true }));
        if (bad) throw bad;
        while (queue.length) {
          const m = queue.shift()!;
          yield m;
          if (FINAL_EVENTS.has(m.type)) return;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    throw new StreamEndedError(id);
  }

  /** Follows the job until it ends; resolves with its final view. */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    const job = await this.getJob(id, options);
    if (!TERMINAL_JOB_STATUSES.has(job.status)) for await (const _ of this.watch(id, options));
    return this.getJob(id, options);
  }

  /** A node's stdout/stderr as text chunks, as they arrive; `follow` keeps streaming until the node is done. */
  async *logChunks(id: string, node: string, options: LogsOptions = {}): AsyncGenerator<string> {
    const query: QueryIn<'getLogs'> = { node, ...(options.follow && { follow: 'true' }) };
    if (options.tail !== undefined) query.tail = options.tail;
    const res = await this.send('getLogs', { params: { id }, query, signal: options.signal }, 'text/plain');
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        if (text) yield text;
      }
      const rest = decoder.decode();
      if (rest) yield rest;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** A node's stdout/stderr line by line (without the newline); `follow` keeps streaming until the node is done. */
  async *logs(id: string, node: string, options: LogsOptions = {}): AsyncGenerator<string> {
    let buf = '';
    for await (const chunk of this.logChunks(id, node, options)) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
    if (buf) yield buf;
  }

  // ---- files ----

  /** Every artifact of the job, page after page (a page holds up to 1,000). */
  async listArtifacts(id: string): Promise<ArtifactList['artifacts']> {
    const out: ArtifactList['artifacts'] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.listArtifactsPage(id, pageToken === undefined ? {} : { pageToken });
      out.push(...page.artifacts);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  /** One page of the job's artifacts, in key order. */
  async listArtifactsPage(id: string, query: ArtifactListQuery = {}): Promise<ArtifactList> {
    return (await this.call('listArtifacts', { params: { id }, query })).body;
  }

  /** One artifact's bytes (path relative to the job folder, "<node>/<file>"). */
  async download(id: string, path: string): Promise<Uint8Array> {
    const res = await this.send('getArtifact', { params: { id, path } }, '*/*');
    return new Uint8Array(await res.arrayBuffer());
  }

  // ---- schedules (each run is a normal job; `owner` lets admin keys act on another owner's) ----

  async createSchedule(schedule: z.input<typeof ScheduleCreate>): Promise<ScheduleView> {
    return (await this.call('createSchedule', { body: schedule })).body;
  }

  async listSchedules(options: { owner?: string } = {}): Promise<SchedulePage['schedules']> {
    return (await this.call('listSchedules', { query: options })).body.schedules;
  }

  async getSchedule(name: string, options: { owner?: string } = {}): Promise<ScheduleView> {
    return (await this.call('getSchedule', { params: { name }, query: options })).body;
  }

  async updateSchedule(
    name: string,
    change: z.input<typeof ScheduleUpdate>,
    options: { owner?: string } = {},
  ): Promise<ScheduleView> {
    return (await this.call('updateSchedule', { params: { name }, query: options, body: change })).body;
  }

  async pauseSchedule(name: string, options: { note?: string; owner?: string } = {}): Promise<ScheduleOutcome> {
    const { owner, ...body } = options;
    return (await this.call('pauseSchedule', { params: { name }, query: owner ? { owner } : {}, body })).body;
  }

  async unpauseSchedule(name: string, options: { note?: string; owner?: string } = {}): Promise<ScheduleOutcome> {
    const { owner, ...body } = options;
    return (await this.call('unpauseSchedule', { params: { name }, query: owner ? { owner } : {}, body })).body;
  }

  /** Starts one run now (subject to the overlap policy, or the one given). */
  async triggerSchedule(
    name: string,
    options: { overlap?: ScheduleView['overlap']; owner?: string } = {},
  ): Promise<ScheduleOutcome> {
    const { owner, ...body } = options;
    return (await this.call('triggerSchedule', { params: { name }, query: owner ? { owner } : {}, body })).body;
  }

  /** Starts the runs the schedule would have started in [start, end). */
  async backfillSchedule(
    name: string,
    range: z.input<typeof ScheduleBackfill>,
    options: { owner?: string } = {},
  ): Promise<ScheduleOutcome> {
    return (await this.call('backfillSchedule', { params: { name }, query: options, body: range })).body;
  }

  /** Deletes the schedule; runs already started continue as jobs. */
  async deleteSchedule(name: string, options: { owner?: string } = {}): Promise<ScheduleOutcome> {
    return (await this.call('deleteSchedule', { params: { name }, query: options })).body;
  }

  // ---- credits (`owner`: admin keys read any owner's account; a non-admin key only its own) ----

  /** The caller's account (or, with `owner`, that owner's): balance, reserved, totals, newest entries. */
  async account(options: { owner?: string } = {}): Promise<AccountView> {
    if (options.owner !== undefined)
      return (await this.call('getOwnerAccount', { params: { owner: options.owner } })).body;
    return (await this.call('getAccount')).body;
  }

  /** One page of ledger entries, newest first. */
  async accountEntries(options: { owner?: string; pageSize?: number; pageToken?: string } = {}): Promise<EntryPage> {
    const query = {
      ...(options.pageSize !== undefined && { pageSize: options.pageSize }),
      ...(options.pageToken !== undefined && { pageToken: options.pageToken }),
    };
    if (options.owner !== undefined)
      return (await this.call('listOwnerEntries', { params: { owner: options.owner }, query })).body;
    return (await this.call('listAccountEntries', { query })).body;
  }

  /** Every ledger entry, newest first, page after page. */
  async *entries(options: { owner?: string; pageSize?: number } = {}): AsyncGenerator<LedgerEntry> {
    let pageToken: string | undefined;
    do {
      const page = await this.accountEntries({ ...options, ...(pageToken !== undefined && { pageToken }) });
      yield* page.entries;
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  /** Admin: adds credits to an owner; the same `grantId` (or idempotency key) is applied once. */
  async grantCredits(owner: string, grant: GrantBody, options: { idempotencyKey?: string } = {}): Promise<GrantResult> {
    const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined;
    return (await this.call('grantCredits', { params: { owner }, body: grant, headers })).body;
  }

  // ---- step cache (the caller's own entries) ----

  /** The caller's step cache entries, oldest first. */
  async cacheEntries(): Promise<CacheList> {
    return (await this.call('listCache')).body;
  }

  /** Removes the caller's cache entries (all, or with `olderThan` — "7d", ms — those stored longer ago). */
  async purgeCache(options: { olderThan?: string | number } = {}): Promise<CachePurgeResult> {
    return (await this.call('purgeCache', { query: options })).body;
  }

  /** Whether a job status is final (no more events will come). */
  static isFinal(status: JobStatus): boolean {
    return TERMINAL_JOB_STATUSES.has(status);
  }
}
