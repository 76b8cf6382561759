// `trainyard schedule …`: create, list, show, update, pause/unpause, trigger, backfill, delete.
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ScheduleCreate, ScheduleView } from '../http/contracts';
import { api, CliError, type CliEnv } from './http';

interface Io {
  out: (s: string) => void;
}

interface TimingOptions {
  cron?: string;
  every?: string;
  timezone?: string;
  jitter?: string;
  overlap?: string;
  catchupWindow?: string;
}

type Timing = Partial<Pick<ScheduleCreate, 'cron' | 'timezone' | 'overlap'>> & {
  every?: string;
  jitter?: string;
  catchupWindow?: string;
};

function timing(o: TimingOptions): Timing {
  return {
    ...(o.cron !== undefined && { cron: o.cron }),
    ...(o.every !== undefined && { every: o.every }),
    ...(o.timezone !== undefined && { timezone: o.timezone }),
    ...(o.jitter !== undefined && { jitter: o.jitter }),
    ...(o.overlap !== undefined && { overlap: o.overlap as ScheduleView['overlap'] }),
    ...(o.catchupWindow !== undefined && { catchupWindow: o.catchupWindow }),
  };
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
const when = (s: ScheduleView) =>
  s.cron !== undefined ? `cron "${s.cron}" (${s.timezone})` : `every ${seconds(s.everyMs ?? 0)}`;

function printSchedule(s: ScheduleView, io: Io): void {
  io.out(`schedule ${s.name}  owner ${s.owner}  ${s.paused ? 'PAUSED' : 'active'}${s.note ? `  (${s.note})` : ''}`);
  io.out(`runs ${when(s)}, overlap ${s.overlap}${s.jitterMs ? `, jitter ${seconds(s.jitterMs)}` : ''}`);
  io.out(
    `job ${s.job.name ?? '(unnamed)'}: ${s.job.nodes} node(s), spec ${s.job.specHash.slice(0, 12)}${s.job.fromJob ? ` (from ${s.job.fromJob})` : ''}`,
  );
  io.out(`started ${s.actionsTaken} run(s), skipped ${s.skippedOverlap} (overlap)`);
  if (s.nextRuns.length) io.out(`next: ${s.nextRuns.join(', ')}`);
  if (s.recentRuns.length) {
    const t = new Table({ head: ['job', 'status', 'started', 'finished'], style: { head: [], border: [] } });
    for (const r of s.recentRuns) t.push([r.jobId, r.status, r.startedAt, r.closedAt ?? '']);
    io.out(t.toString());
  }
  io.out(`Temporal: temporal schedule describe --schedule-id '${s.scheduleId}'`);
}

export function addScheduleCommands(
  program: Command,
  env: CliEnv,
  io: Io,
  readJobFile: (file: string, sets: string[]) => Promise<unknown>,
): void {
  const schedule = program.command('schedule').description('run a job on a cron expression or an interval');
  const collect = (v: string, prev: string[]) => [...prev, v];
  const withTiming = (c: Command) =>
    c
      .option('--cron <expr>', 'cron expression, 5 fields (minute hour day month weekday) or @daily/@hourly')
      .option('--every <duration>', 'fixed interval, e.g. 30s, 1h')
      .option('--timezone <tz>', 'IANA time zone of the cron expression (default UTC)')
      .option('--jitter <duration>', 'start each run up to this much later, at random')
      .option('--overlap <policy>', 'skip | bufferOne | bufferAll | cancelOther | allowAll (default skip)')
      .option('--catchup-window <duration>', 'after an outage, start runs missed within this window');

  withTiming(
    schedule
      .command('create')
      .argument('<name>', 'schedule name (lowercase letters, digits, -, _, .)')
      .argument('[file]', 'job spec (YAML or JSON); or --from-job')
      .option('--from-job <id>', 'run the spec of one of your jobs (as it was submitted)')
      .option('--set <path=value>', 'override a field of the job file (repeatable)', collect, [])
      .option('--paused', 'create it paused')
      .option('--note <text>', 'a note kept with the schedule'),
  )
    .description('create a schedule')
    .action(
      async (
        name: string,
        file: string | undefined,
        o: TimingOptions & { fromJob?: string; set: string[]; paused?: boolean; note?: string },
      ) => {
        if ((file === undefined) === (o.fromJob === undefined))
          throw new CliError('give a job file or --from-job (one of them)');
        const body = {
          name,
          ...(file !== undefined && { job: (await readJobFile(file, o.set)) as Record<string, unknown> }),
          ...(o.fromJob !== undefined && { fromJob: o.fromJob }),
          ...timing(o),
          ...(o.paused && { paused: true }),
          ...(o.note !== undefined && { note: o.note }),
        };
        const s = await api(env, (c) => c.createSchedule(body));
        io.out(`created schedule ${s.name}: ${when(s)}${s.nextRuns[0] ? `, next run ${s.nextRuns[0]}` : ''}`);
      },
    );

  schedule
    .command('list')
    .option('--owner <owner>', "admin keys: another owner's schedules")
    .option('--json', 'print JSON')
    .description('list your schedules')
    .action(async (o: { owner?: string; json?: boolean }) => {
      const schedules = await api(env, (c) => c.listSchedules(o.owner ? { owner: o.owner } : {}));
      if (o.json) return io.out(JSON.stringify(schedules, null, 2));
      if (schedules.length === 0) return io.out('no schedules');
      const t = new Table({
        head: ['name', 'owner', 'when', 'overlap', 'state', 'next run'],
        style: { head: [], border: [] },
      });
      for (const s of schedules)
        t.push([
          s.name,
          s.owner,
          s.cron !== undefined ? `cron ${s.cron} (${s.timezone})` : `every ${seconds(s.everyMs ?? 0)}`,
          s.overlap,
          s.paused ? 'paused' : 'active',
          s.nextRun ?? '',
        ]);
      io.out(t.toString());
    });

  schedule
    .command('show')
    .argument('<name>')
    .option('--owner <owner>', "admin keys: another owner's schedule")
    .option('--json', 'print JSON')
    .description('timing, next runs and recent runs of a schedule')
    .action(async (name: string, o: { owner?: string; json?: boolean }) => {
      const s = await api(env, (c) => c.getSchedule(name, o.owner ? { owner: o.owner } : {}));
      if (o.json) io.out(JSON.stringify(s, null, 2));
      else printSchedule(s, io);
    });

  withTiming(
    schedule
      .command('update')
      .argument('<name>')
      .argument('[file]', 'a new job spec')
      .option('--from-job <id>', 'run the spec of one of your jobs from now on')
      .option('--set <path=value>', 'override a field of the job file (repeatable)', collect, [])
      .option('--owner <owner>', "admin keys: another owner's schedule"),
  )
    .description('change what or when a schedule runs')
    .action(
      async (
        name: string,
        file: string | undefined,
        o: TimingOptions & { fromJob?: string; set: string[]; owner?: string },
      ) => {
        const body = {
          ...(file !== undefined && { job: (await readJobFile(file, o.set)) as Record<string, unknown> }),
          ...(o.fromJob !== undefined && { fromJob: o.fromJob }),
          ...timing(o),
        };
        const s = await api(env, (c) => c.updateSchedule(name, body, o.owner ? { owner: o.owner } : {}));
        io.out(`updated schedule ${s.name}: ${when(s)}, overlap ${s.overlap}`);
      },
    );

  const control = (action: 'pause' | 'unpause' | 'trigger' | 'delete', description: string) =>
    schedule
      .command(action)
      .argument('<name>')
      .option('--owner <owner>', "admin keys: another owner's schedule")
      .description(description);

  for (const [action, description] of [
    ['pause', 'pause a schedule (no runs start)'],
    ['unpause', 'unpause a schedule'],
  ] as const)
    control(action, description)
      .option('--note <text>', 'why')
      .action(async (name: string, o: { owner?: string; note?: string }) => {
        const opts = { ...(o.owner && { owner: o.owner }), ...(o.note !== undefined && { note: o.note }) };
        const r = await api(env, (c) =>
          action === 'pause' ? c.pauseSchedule(name, opts) : c.unpauseSchedule(name, opts),
        );
        io.out(`${r.name}: ${r.message}`);
      });

  control('trigger', 'start one run now')
    .option('--overlap <policy>', 'overlap policy for this run')
    .action(async (name: string, o: { owner?: string; overlap?: string }) => {
      const r = await api(env, (c) =>
        c.triggerSchedule(name, {
          ...(o.owner && { owner: o.owner }),
          ...(o.overlap && { overlap: o.overlap as ScheduleView['overlap'] }),
        }),
      );
      io.out(`${r.name}: ${r.message}`);
    });

  schedule
    .command('backfill')
    .argument('<name>')
    .requiredOption('--start <time>', 'ISO time, e.g. 2026-12-01T00:00:00Z')
    .requiredOption('--end <time>', 'ISO time (exclusive)')
    .option('--overlap <policy>', 'overlap policy for the backfilled runs')
    .option('--owner <owner>', "admin keys: another owner's schedule")
    .description('start the runs the schedule would have started in [start, end)')
    .action(async (name: string, o: { start: string; end: string; overlap?: string; owner?: string }) => {
      const r = await api(env, (c) =>
        c.backfillSchedule(
          name,
          { start: o.start, end: o.end, ...(o.overlap && { overlap: o.overlap as ScheduleView['overlap'] }) },
          o.owner ? { owner: o.owner } : {},
        ),
      );
      io.out(`${r.name}: ${r.message}`);
    });

  control('delete', 'delete a schedule (runs already started continue)').action(
    async (name: string, o: { owner?: string }) => {
      const r = await api(env, (c) => c.deleteSchedule(name, o.owner ? { owner: o.owner } : {}));
      io.out(`${r.name}: ${r.message}`);
    },
  );
}
