// Schedules on Temporal's own Schedules: one Temporal schedule per (owner, name), whose action starts
// a launcher (workflows/scheduled-run-workflow.ts) that runs the job as a child workflow. The job's
// snapshot is prepared once, when the schedule is created or updated (validation, templates,
// sweeps, configPath, pools), so every run starts the same spec; each run gets a fresh job id and
// folder. The definition as the user gave it (cron string, durations) travels in the action's memo,
// because Temporal keeps a cron expression only as compiled calendars.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleSpec,
} from '@temporalio/client';
import { OVERLAP_POLICIES, type OverlapPolicy, type ScheduleCreate, type ScheduleUpdate } from '../http/schedule-spec';
import { SCHEDULED_RUN_WORKFLOW_TYPE, scheduleIdOf, type ScheduledRunInput } from '../domain/scheduled-run';
import { queueNames } from '../domain/task-queues';
import type { ScheduleOutcome, SchedulePage, ScheduleRun, ScheduleSummary, ScheduleView } from '../http/contracts';
import type { ScheduleBackfill } from '../http/schedule-spec';
import { resolveConfigPaths } from '../sdk/config-path';
import type { JobService } from './job-service';
import { TrainyardError, type ErrorDetail } from '../sdk/errors';

/** What the action's memo keeps of the definition (the user's spelling). */
interface Definition {
  cron?: string;
  everyMs?: number;
  timezone: string;
  jitterMs?: number;
  overlap: OverlapPolicy;
  catchupWindowMs?: number;
  fromJob?: string;
  /** The spec as given (before template/sweep expansion), so an update can change timing alone. */
  job: Record<string, unknown>;
}

const DEFINITION_MEMO = 'trainyardSchedule';
const RECENT_RUNS = 20;

export class ScheduleNotFound extends TrainyardError {
  constructor(name: string) {
    super(404, 'schedule_not_found', `schedule ${JSON.stringify(name)} not found`);
  }
}

export interface ScheduleServiceOptions {
  /** Folder `configPath` in a schedule's job resolves against (the API's configBaseDir). */
  configBaseDir: string;
}

export class ScheduleService {
  constructor(
    private readonly client: Client,
    private readonly trainyard: JobService,
    private readonly opts: ScheduleServiceOptions,
  ) {}

  private get prefix(): string {
    return this.trainyard.config.queuePrefix;
  }

  private idOf(owner: string, name: string): string {
    return scheduleIdOf(this.prefix, owner, name);
  }

  /** Creates a schedule; 409 when the owner has one of that name; 400 (nothing created) for a bad job. */
  async create(owner: string, body: ScheduleCreate): Promise<ScheduleView> {
    const job = await this.jobOf(owner, body.job, body.fromJob);
    const definition: Definition = {
      ...(body.cron !== undefined && { cron: body.cron }),
      ...(body.every !== undefined && { everyMs: body.every }),
      timezone: body.timezone ?? 'UTC',
      ...(body.jitter !== undefined && { jitterMs: body.jitter }),
      overlap: body.overlap ?? 'skip',
      ...(body.catchupWindow !== undefined && { catchupWindowMs: body.catchupWindow }),
      ...(body.fromJob !== undefined && { fromJob: body.fromJob }),
      job,
    };
    const scheduleId = this.idOf(owner, body.name);
    const options: ScheduleOptions = {
      scheduleId,
      ...(await this.compiled(owner, scheduleId, definition)),
      memo: { owner, name: body.name },
      state: { paused: body.paused ?? false, ...(body.note !== undefined && { note: body.note }) },
    };
    try {
      await this.client.schedule.create(options);
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning)
        throw new TrainyardError(409, 'schedule_exists', `a schedule named ${JSON.stringify(body.name)} exists`, [
          { path: 'name', message: 'already used' },
        ]);
      throw err;
    }
    return this.get(owner, body.name);
  }

  /** Changes what or when a schedule runs; the rest stays. */
  async update(owner: string, name: string, body: ScheduleUpdate): Promise<ScheduleView> {
    const handle = this.client.schedule.getHandle(this.idOf(owner, name));
    const current = definitionOf(await this.describe(handle, name));
    const timingGiven = body.cron !== undefined || body.every !== undefined;
    const next: Definition = {
      ...current,
      ...(timingGiven && { cron: body.cron, everyMs: body.every }),
      ...(body.timezone !== undefined && { timezone: body.timezone }),
      ...(body.jitter !== undefined && { jitterMs: body.jitter }),
      ...(body.overlap !== undefined && { overlap: body.overlap }),
      ...(body.catchupWindow !== undefined && { catchupWindowMs: body.catchupWindow }),
    };
    if (body.job !== undefined || body.fromJob !== undefined) {
      next.job = await this.jobOf(owner, body.job, body.fromJob);
      next.fromJob = body.fromJob;
    }
    if (next.everyMs !== undefined && next.cron === undefined && body.timezone !== undefined)
      throw new TrainyardError(400, 'invalid_request', 'timezone applies to cron, not to every', [
        { path: 'timezone', message: 'timezone applies to cron, not to every' },
      ]);
    const compiled = await this.compiled(owner, handle.scheduleId, next);
    await handle.update((prev) => ({ ...prev, ...compiled }));
    return this.get(owner, name);
  }

  async get(owner: string, name: string): Promise<ScheduleView> {
    const scheduleId = this.idOf(owner, name);
    const desc = await this.describe(this.client.schedule.getHandle(scheduleId), name);
    const def = definitionOf(desc);
    const input = desc.action.args?.[0] as ScheduledRunInput | undefined;
    const runs = await this.recentRuns(scheduleId);
    return {
      name,
      owner,
      scheduleId,
      ...(def.cron !== undefined && { cron: def.cron }),
      ...(def.everyMs !== undefined && { everyMs: def.everyMs }),
      timezone: def.timezone,
      ...(def.jitterMs !== undefined && { jitterMs: def.jitterMs }),
      overlap: def.overlap,
      ...(def.catchupWindowMs !== undefined && { catchupWindowMs: def.catchupWindowMs }),
      paused: desc.state.paused,
      ...(desc.state.note && { note: desc.state.note }),
      job: {
        ...(typeof input?.snapshot.spec.name === 'string' && { name: input.snapshot.spec.name }),
        specHash: input?.snapshot.specHash ?? '',
        nodes: Array.isArray(input?.snapshot.spec.nodes) ? input.snapshot.spec.nodes.length : 0,
        ...(def.fromJob !== undefined && { fromJob: def.fromJob }),
      },
      nextRuns: desc.info.nextActionTimes.slice(0, 5).map((d) => d.toISOString()),
      recentRuns: runs,
      actionsTaken: desc.info.numActionsTaken,
      skippedOverlap: desc.info.numActionsSkippedOverlap,
      createdAt: desc.info.createdAt.toISOString(),
      ...(desc.info.lastUpdatedAt && { updatedAt: desc.info.lastUpdatedAt.toISOString() }),
    };
  }

  /** The owner's schedules (undefined owner: everyone's, for admins). */
  async list(owner: string | undefined): Promise<SchedulePage> {
    const idPrefix = owner === undefined ? `${this.prefix}-schedule:` : this.idOf(owner, '');
    const ids: string[] = [];
    for await (const s of this.client.schedule.list()) if (s.scheduleId.startsWith(idPrefix)) ids.push(s.scheduleId);
    // A listing does not carry the action's memo (where the definition lives): describe each.
    const described = await Promise.all(
      ids.map(async (id) => {
        try {
          return await this.client.schedule.getHandle(id).describe();
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) return undefined; // deleted since the listing
          throw err;
        }
      }),
    );
    const schedules: ScheduleSummary[] = [];
    for (const desc of described) {
      if (!desc) continue;
      const memo = (desc.memo ?? {}) as Record<string, unknown>;
      const d = (desc.action.memo ?? {})[DEFINITION_MEMO] as Definition | undefined;
      if (!d || typeof memo.owner !== 'string' || typeof memo.name !== 'string') continue;
      schedules.push({
        name: memo.name,
        owner: memo.owner,
        scheduleId: desc.scheduleId,
        ...(d.cron !== undefined && { cron: d.cron }),
        ...(d.everyMs !== undefined && { everyMs: d.everyMs }),
        timezone: d.timezone,
        overlap: d.overlap,
        paused: desc.state.paused,
        ...(desc.info.nextActionTimes[0] && { nextRun: desc.info.nextActionTimes[0].toISOString() }),
      });
    }
    schedules.sort((a, b) => (a.owner + a.name).localeCompare(b.owner + b.name));
    return { schedules };
  }

  async pause(owner: string, name: string, note?: string): Promise<ScheduleOutcome> {
    const handle = await this.existing(owner, name);
    await handle.pause(note ?? 'paused through the Trainyard API');
    return { name, scheduleId: handle.scheduleId, message: 'paused: no runs start until unpaused' };
  }

  async unpause(owner: string, name: string, note?: string): Promise<ScheduleOutcome> {
    const handle = await this.existing(owner, name);
    await handle.unpause(note ?? 'unpaused through the Trainyard API');
    return { name, scheduleId: handle.scheduleId, message: 'unpaused' };
  }

  async trigger(owner: string, name: string, overlap?: OverlapPolicy): Promise<ScheduleOutcome> {
    const handle = await this.existing(owner, name);
    await handle.trigger(overlap && OVERLAP_POLICIES[overlap]);
    return {
      name,
      scheduleId: handle.scheduleId,
      message: 'triggered: a run starts now (subject to the overlap policy)',
    };
  }

  async backfill(owner: string, name: string, body: ScheduleBackfill): Promise<ScheduleOutcome> {
    const handle = await this.existing(owner, name);
    await handle.backfill({
      start: new Date(body.start),
      end: new Date(body.end),
      ...(body.overlap && { overlap: OVERLAP_POLICIES[body.overlap] }),
    });
    return {
      name,
      scheduleId: handle.scheduleId,
      message: `backfill: the runs due between ${body.start} and ${body.end} start now`,
    };
  }

  /** Deletes the schedule; runs already started keep running (they are jobs of their own). */
  async delete(owner: string, name: string): Promise<ScheduleOutcome> {
    const handle = await this.existing(owner, name);
    try {
      await handle.delete();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new ScheduleNotFound(name);
      throw err;
    }
    return { name, scheduleId: handle.scheduleId, message: 'deleted; runs already started continue as jobs' };
  }

  // ---- internals ----

  private async existing(owner: string, name: string): Promise<ScheduleHandle> {
    const handle = this.client.schedule.getHandle(this.idOf(owner, name));
    await this.describe(handle, name);
    return handle;
  }

  private async describe(handle: ScheduleHandle, name: string): Promise<ScheduleDescription> {
    try {
      return await handle.describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new ScheduleNotFound(name);
      throw err;
    }
  }

  /** The job spec a schedule runs: given inline, or the spec an existing job of the owner was submitted with. */
  private async jobOf(
    owner: string,
    job: Record<string, unknown> | undefined,
    fromJob: string | undefined,
  ): Promise<Record<string, unknown>> {
    if (job !== undefined) return job;
    let snapshot;
    try {
      snapshot = await this.trainyard.getSnapshot(fromJob!, { owner });
    } catch (err) {
      if (err instanceof TrainyardError && err.status === 404)
        throw new TrainyardError(400, 'invalid_request', `fromJob: no job ${JSON.stringify(fromJob)} of yours`, [
          { path: 'fromJob', message: 'unknown job' },
        ]);
      throw err;
    }
    if (!snapshot)
      throw new TrainyardError(400, 'invalid_request', `fromJob: job ${fromJob} has no readable snapshot`, [
        { path: 'fromJob', message: 'no snapshot' },
      ]);
    return snapshot.spec as Record<string, unknown>;
  }

  /** The Temporal spec, action and policies of a definition; validates the job (400 at `job.…`). */
  private async compiled(
    owner: string,
    scheduleId: string,
    def: Definition,
  ): Promise<Pick<ScheduleOptions, 'spec' | 'action' | 'policies'>> {
    let prepared;
    try {
      prepared = this.trainyard.prepare(await resolveConfigPaths(def.job, this.opts.configBaseDir, { owner }), owner);
    } catch (err) {
      if (err instanceof TrainyardError && err.status === 400) {
        const base = def.fromJob !== undefined ? 'fromJob' : 'job';
        const details: ErrorDetail[] = err.details.map((d) => ({ path: `${base}.${d.path}`, message: d.message }));
        throw new TrainyardError(400, err.code, `the schedule's job is invalid: ${err.message}`, details);
      }
      throw err;
    }
    // jobId and submittedAt are each run's own; the rest is decided once, here.
    const {
      jobId: _jobId,
      submittedAt: _at,
      ...snapshot
    } = this.trainyard.buildSnapshot('job-schedule-template', owner, prepared.submitted, prepared.spec);
    const input: ScheduledRunInput = { scheduleId, snapshot };
    const spec: ScheduleSpec =
      def.cron !== undefined
        ? { cronExpressions: [def.cron], timezone: def.timezone }
        : { intervals: [{ every: def.everyMs! }] };
    if (def.jitterMs !== undefined) spec.jitter = def.jitterMs;
    return {
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_RUN_WORKFLOW_TYPE,
        taskQueue: queueNames(this.prefix).workflows,
        args: [input],
        memo: { [DEFINITION_MEMO]: def },
        staticSummary: `Trainyard schedule ${scheduleId.split(':').slice(1).join('/')}`,
      },
      policies: {
        overlap: OVERLAP_POLICIES[def.overlap],
        ...(def.catchupWindowMs !== undefined && { catchupWindow: def.catchupWindowMs }),
      },
    };
  }

  /** The jobs this schedule started, newest first (from visibility: JobScheduledBy). */
  private async recentRuns(scheduleId: string): Promise<ScheduleRun[]> {
    const page = await this.trainyard.listJobs({ scheduledBy: scheduleId, pageSize: RECENT_RUNS });
    return page.jobs.map((j) => ({
      jobId: j.id,
      status: j.status,
      startedAt: j.startTime,
      ...(j.closeTime && { closedAt: j.closeTime }),
    }));
  }
}

function definitionOf(desc: ScheduleDescription): Definition {
  const d = (desc.action.memo ?? {})[DEFINITION_MEMO] as Definition | undefined;
  if (!d)
    throw new TrainyardError(409, 'not_a_trainyard_schedule', `schedule ${desc.scheduleId} was not made by Trainyard`);
  return d;
}
