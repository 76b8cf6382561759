// A schedule: a job spec (or a reference to an existing job's spec) started on a cron expression or
// an interval, as Temporal Schedules do it: the request bodies of /v1/schedules. Not in src/domain:
// nothing here runs in a workflow (the launcher's input is src/domain/scheduled-run.ts), so the cron
// check may use cron-parser.
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { Duration } from '../domain/duration';

/** Schedule names: part of the schedule id and of URLs. */
export const SCHEDULE_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const ScheduleName = z
  .string()
  .regex(
    SCHEDULE_NAME_RE,
    'must be 1–63 characters: lowercase letters, digits, "-", "_", "." (starting with a letter or digit)',
  );
export type ScheduleName = z.infer<typeof ScheduleName>;

/** Overlap policies (Temporal's ScheduleOverlapPolicy), in the API's spelling. */
export const OVERLAP_POLICIES = {
  skip: 'SKIP',
  bufferOne: 'BUFFER_ONE',
  bufferAll: 'BUFFER_ALL',
  cancelOther: 'CANCEL_OTHER',
  allowAll: 'ALLOW_ALL',
} as const;
export const OverlapPolicy = z.enum(Object.keys(OVERLAP_POLICIES) as [keyof typeof OVERLAP_POLICIES]);
export type OverlapPolicy = z.infer<typeof OverlapPolicy>;

/** A 5-field cron expression (minute hour day-of-month month day-of-week) or @daily/@hourly/… */
export const CronExpression = z
  .string()
  .min(1)
  .max(256)
  .superRefine((v, ctx) => {
    const fields = v.trim().split(/\s+/);
    if (!v.trim().startsWith('@') && fields.length !== 5) {
      ctx.addIssue({
        code: 'custom',
        message: `a cron expression has 5 fields (minute hour day-of-month month day-of-week); got ${fields.length}`,
      });
      return;
    }
    try {
      CronExpressionParser.parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${(err as Error).message}` });
    }
  });

/** An IANA time zone name the runtime knows (the Temporal server uses the same database). */
export const TimeZone = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'unknown time zone: use an IANA name such as "UTC" or "Europe/Berlin"');

const JobSource = {
  /** The job spec (DAG or single-job form), as POST /v1/jobs takes it. */
  job: z.record(z.string(), z.unknown()).optional(),
  /** Or: run the spec of one of the caller's existing jobs (as it was submitted). */
  fromJob: z.string().min(1).max(200).optional(),
};

const Timing = {
  /** When to run: a cron expression … */
  cron: CronExpression.optional(),
  /** … or a fixed interval ("10s", "1h"), at least 1 s. */
  every: Duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
  /** Time zone of the cron expression (default UTC). */
  timezone: TimeZone.optional(),
  /** Each run starts up to this much later, at random (spreads load). */
  jitter: Duration.optional(),
};

const Policies = {
  /** What happens when a run is due while the previous one is still running (default skip). */
  overlap: OverlapPolicy.optional(),
  /** After an outage, runs missed within this window are still started (Temporal's default: 1 year; at least 10 s). */
  catchupWindow: Duration.refine((ms) => ms >= 10_000, 'must be at least 10s').optional(),
  /** Created paused. */
  paused: z.boolean().optional(),
  /** A note kept with the schedule (shown in the Temporal Web UI). */
  note: z.string().max(256).optional(),
};

function exactlyOne(
  v: Record<string, unknown>,
  keys: [string, string],
  ctx: z.RefinementCtx,
  what: string,
  required = true,
): void {
  const given = keys.filter((k) => v[k] !== undefined);
  if (given.length > 1)
    ctx.addIssue({ code: 'custom', path: [keys[1]], message: `give either ${keys[0]} or ${keys[1]}, not both` });
  else if (required && given.length === 0)
    ctx.addIssue({ code: 'custom', path: [keys[0]], message: `${what}: give ${keys[0]} or ${keys[1]}` });
}

/** POST /v1/schedules. */
export const ScheduleCreate = z
  .strictObject({ name: ScheduleName, ...JobSource, ...Timing, ...Policies })
  .superRefine((v, ctx) => {
    exactlyOne(v, ['job', 'fromJob'], ctx, 'what to run');
    exactlyOne(v, ['cron', 'every'], ctx, 'when to run');
    if (v.timezone !== undefined && v.every !== undefined)
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'timezone applies to cron, not to every' });
  });
export type ScheduleCreate = z.infer<typeof ScheduleCreate>;

/** PUT /v1/schedules/:name — the fields to change; what is not given stays as it is. */
export const ScheduleUpdate = z
  .strictObject({ ...JobSource, ...Timing, overlap: Policies.overlap, catchupWindow: Policies.catchupWindow })
  .superRefine((v, ctx) => {
    exactlyOne(v, ['job', 'fromJob'], ctx, 'what to run', false);
    exactlyOne(v, ['cron', 'every'], ctx, 'when to run', false);
  });
export type ScheduleUpdate = z.infer<typeof ScheduleUpdate>;

/** POST /v1/schedules/:name/backfill: start the runs the schedule would have started in [start, end). */
export const ScheduleBackfill = z
  .strictObject({
    start: z.iso.datetime({ offset: true }),
    end: z.iso.datetime({ offset: true }),
    overlap: OverlapPolicy.optional(),
  })
  .refine((v) => Date.parse(v.end) > Date.parse(v.start), { path: ['end'], message: 'must be after start' });
export type ScheduleBackfill = z.infer<typeof ScheduleBackfill>;

/** POST /v1/schedules/:name/trigger: start one run now. */
export const ScheduleTrigger = z.strictObject({ overlap: OverlapPolicy.optional() });
export type ScheduleTrigger = z.infer<typeof ScheduleTrigger>;

/** POST /v1/schedules/:name/pause|unpause. */
export const ScheduleNote = z.strictObject({ note: z.string().max(256).optional() });
export type ScheduleNote = z.infer<typeof ScheduleNote>;
