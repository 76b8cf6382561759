// `trainyard`: submit, validate, watch and control jobs through the HTTP API.
import fs from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { Command, CommanderError } from 'commander';
import type { JobLeaderboard } from '../domain/select';
import { JOB_STATUSES, JobStatus, NODE_STATUSES, NodeStatus } from '../domain/statuses';
import type { Overrides } from '../domain/overrides';
import type { JobNodePage, JobView, ListJobsQuery, NodeView } from '../http/contracts';
import { resolveConfigPaths } from '../sdk/config-path';
import { formatOf, parseConfigText } from '../sdk/config-parse';
import { SetValueError, applySets, parseSets } from './set-values';
import { TrainyardError } from '../sdk/errors';
import { clientOptionsFromEnv } from '../sdk/env';
import { addCreditsCommands } from './credits';
import { addCacheCommands } from './cache';
import { CliError, api, type CliEnv } from './http';
import { addScheduleCommands } from './schedule';
import { exitCodeFor, watchJob } from './watch';
import { failureLines } from './failure';
import { firstLine } from '../domain/failure-view';

const collect = (v: string, prev: string[]) => [...prev, v];

async function readJobFile(file: string, sets: string[] = []): Promise<unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = parseConfigText(text, formatOf(file));
  } catch (err) {
    throw new CliError(`cannot parse ${file}: ${(err as Error).message}`);
  }
  try {
    spec = applySets(spec, sets);
  } catch (err) {
    if (err instanceof SetValueError) throw new CliError(err.message);
    throw err;
  }
  try {
    return await resolveConfigPaths(spec, path.dirname(path.resolve(file)));
  } catch (err) {
    if (err instanceof TrainyardError)
      throw new CliError([err.message, ...err.details.map((d) => `  ${d.path}: ${d.message}`)].join('\n'));
    throw err;
  }
}

function printJob(j: JobView, out: (s: string) => void): void {
  out(`job ${j.id}  ${j.name}  owner ${j.owner}${j.rerunOf !== undefined ? `  rerun of ${j.rerunOf}` : ''}`);
  out(
    `status ${j.status}${j.recoverable ? ' (recoverable)' : ''}  progress ${Math.round(j.progress)}%${j.startedAt ? `  started ${j.startedAt}` : ''}${j.completedAt ? `  finished ${j.completedAt}` : ''}`,
  );
  const t = new Table({
    head: ['node', 'type', 'status', 'attempts', 'running', 'GPU wait', 'detail'],
    style: { head: [], border: [] },
  });
  const secs = (ms: number | undefined) => (ms !== undefined ? `${(ms / 1000).toFixed(1)}s` : '');
  for (const n of j.nodes) {
    const live =
      n.live?.epoch !== undefined
        ? `epoch ${n.live.epoch}/${n.live.epochs ?? '?'} loss ${n.live.loss?.toFixed(4) ?? '?'}`
        : n.live?.percent !== undefined
          ? `${Math.round(n.live.percent)}%`
          : '';
    // The whole first line of an error (the failure block below has the rest).
    const from = n.status === 'cached' ? n.output?.cache?.from : undefined;
    const detail = n.error
      ? firstLine(n.error.message)
      : n.lastFailure
        ? firstLine(n.lastFailure)
        : from
          ? `from ${from.jobId} ${from.nodeId}`
          : live;
    t.push([
      n.id,
      n.type,
      n.status,
      String(n.attempts ?? ''),
      secs(n.usage?.runningMs ?? n.durationMs),
      n.usage?.gpuWaitMs ? secs(n.usage.gpuWaitMs) : '',
      detail,
    ]);
  }
  out(t.toString());
  if (j.failure) for (const l of failureLines(j.failure)) out(l);
  const c = j.credits;
  if (c)
    out(
      `credits: estimated ${c.estimated}, reserved ${c.reserved}${c.settled ? `, charged ${c.charged}, refunded ${c.refunded}` : ' (settled when the job ends)'}`,
    );
  for (const b of j.leaderboards ?? []) printLeaderboard(b, out);
}

/** A select node's leaderboard: rank, trial, params, metric, status, GPU time. */
export function printLeaderboard(b: JobLeaderboard, out: (s: string) => void): void {
  out(
    `leaderboard of ${b.node}: ${b.metric} (${b.mode}), winner ${b.winner}; ${b.ranked} of ${b.candidates} ranked${b.truncated ? ` (first ${b.rows.length} shown)` : ''}`,
  );
  const t = new Table({
    head: ['rank', 'node', 'params', b.metric, 'status', 'GPU s', 'note'],
    style: { head: [], border: [] },
  });
  for (const r of b.rows)
    t.push([
      r.rank === undefined ? '' : String(r.rank),
      r.nodeId,
      Object.entries(r.params)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')
        .slice(0, 60),
      r.metric === null ? '' : String(Number(r.metric.toPrecision(6))),
      r.status,
      r.gpuSeconds.toFixed(1),
      (r.note ?? '').split('\n')[0]!.slice(0, 60),
    ]);
  out(t.toString());
}

export function buildProgram(env: CliEnv, io: { out: (s: string) => void; setExit: (code: number) => void }): Command {
  const program = new Command('trainyard')
    .description('Durable ML jobs on Temporal: submit, watch and control them through the Trainyard API')
    .exitOverride();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  program
    .command('submit')
    .argument('<file>', 'job spec (YAML or JSON; DAG or single-job form)')
    .option('-w, --watch', 'follow the job until it finishes; exit code = outcome (0 completed, 1 failed, 2 cancelled)')
    .option('--idempotency-key <key>', 'same key → same job')
    .option('--set <path=value>', 'override a field before sending, e.g. train.params.lr=0.1 (repeatable)', collect, [])
    .description('submit a job')
    .action(async (file: string, o: { watch?: boolean; idempotencyKey?: string; set: string[] }) => {
      const spec = await readJobFile(file, o.set);
      const r = await api(env, (c) => c.submit(spec, { idempotencyKey: o.idempotencyKey }));
      io.out(r.created ? `submitted job ${r.id}` : `job ${r.id} already exists (same idempotency key)`);
      if (o.watch) io.setExit(exitCodeFor(await watchJob(env, r.id)));
    });

  program
    .command('rerun')
    .argument('<id>', 'a finished job (completed, failed, cancelled, …)')
    .option(
      '--set <path=value>',
      "override a field of the job's spec, e.g. train.config.epochs=80 (repeatable)",
      collect,
      [],
    )
    .option('--from <node>', 'run this node and everything downstream of it again (no cache for them)')
    .option('-w, --watch', 'follow the new job until it finishes; exit code = outcome')
    .description(
      'start a new job from a finished job, with overrides; nodes the change does not reach are cached from it',
    )
    .action(async (jobId: string, o: { set: string[]; from?: string; watch?: boolean }) => {
      let overrides: Overrides;
      try {
        overrides = parseSets(o.set);
      } catch (err) {
        if (err instanceof SetValueError) throw new CliError(err.message);
        throw err;
      }
      const r = await api(env, (c) =>
        c.rerun(jobId, {
          ...(o.set.length > 0 && { overrides }),
          ...(o.from !== undefined && { fromNode: o.from }),
        }),
      );
      io.out(r.id);
      if (o.watch) io.setExit(exitCodeFor(await watchJob(env, r.id)));
    });

  program
    .command('validate')
    .argument('<file>')
    .option('--set <path=value>', 'override a field before sending, e.g. train.params.lr=0.1 (repeatable)', collect, [])
    .description('validate a job spec and show its plan (starts nothing)')
    .action(async (file: string, o: { set: string[] }) => {
      const spec = await readJobFile(file, o.set);
      const r = await api(env, (c) => c.validate(spec));
      io.out('valid');
      r.plan.stages.forEach((s, i) => io.out(`  stage ${i}: ${s.join(', ')}`));
      io.out(
        `  critical path: ${r.plan.criticalPath.nodes.join(' -> ')}${r.plan.criticalPath.estimatedMs ? ` (~${Math.round(r.plan.criticalPath.estimatedMs / 1000)}s)` : ''}`,
      );
      const hours = (ms: number) => `${(ms / 3_600_000).toFixed(2)} h`;
      const cached = r.plan.cacheHits !== undefined;
      const t = new Table({
        head: [
          'node',
          'type',
          'task queue',
          'pool',
          'gpus',
          'est. duration',
          'est. GPU time',
          ...(cached ? ['cache'] : []),
        ],
        style: { head: [], border: [] },
      });
      const cacheCell = (c: (typeof r.plan.nodes)[number]['cache']) =>
        !c ? '' : c.prediction === 'hit' && c.from ? `hit (${c.from.jobId} ${c.from.nodeId})` : c.prediction;
      for (const n of r.plan.nodes)
        t.push([
          n.id,
          n.type,
          n.taskQueue,
          n.pool ?? '',
          String(n.gpus),
          n.estimatedMs !== undefined ? `${Math.round(n.estimatedMs / 1000)}s` : '',
          n.estimatedMs !== undefined && n.gpus > 0 ? hours(n.gpus * n.estimatedMs) : '',
          ...(cached ? [cacheCell(n.cache)] : []),
        ]);
      io.out(t.toString());
      if (cached) io.out(`  step cache: ${r.plan.cacheHits} of ${r.plan.nodeCount} nodes predicted to hit`);
      io.out(
        r.plan.estimatedGpuMs !== undefined
          ? `  estimated GPU time: ${hours(r.plan.estimatedGpuMs)} (estimatedDuration × GPUs, over the nodes that give one)`
          : '  estimated GPU time: unknown (give GPU nodes an estimatedDuration, e.g. estimatedDuration: 2h)',
      );
      const cost = r.credits.cost;
      io.out(
        `  estimated cost: ${cost.total} credits (base ${cost.base}, data ${cost.data}, model ${cost.model}, preprocess ${cost.preprocess}, visualizations ${cost.visualizations}, GPU ${cost.gpu})${r.credits.enforced ? '' : ' — credits are off here'}`,
      );
    });

  program
    .command('status')
    .argument('<id>')
    .description("a job's status and nodes")
    .action(async (jobId: string) => {
      printJob(await api(env, (c) => c.getJob(jobId)), io.out);
    });

  program
    .command('list')
    .option('--status <status>', JOB_STATUSES.join('|'))
    .option('--type <type>', 'node type')
    .option('--tag <tag>')
    .option('--recoverable', 'only failed jobs open for recover')
    .option('--schedule <name>', 'only the runs of this schedule of yours')
    .option('--page-size <n>', 'jobs per page', '50')
    .option('--page-token <token>')
    .description('your jobs, newest first')
    .action(
      async (o: {
        status?: string;
        type?: string;
        tag?: string;
        recoverable?: boolean;
        schedule?: string;
        pageSize: string;
        pageToken?: string;
      }) => {
        const query: ListJobsQuery = { pageSize: o.pageSize };
        if (o.status) {
          const status = JobStatus.safeParse(o.status);
          if (!status.success) throw new CliError(`--status ${o.status}: expected one of ${JOB_STATUSES.join('|')}`);
          query.status = status.data;
        }
        if (o.type) query.type = o.type;
        if (o.tag) query.tag = o.tag;
        if (o.recoverable) query.recoverable = 'true';
        if (o.schedule) query.schedule = o.schedule;
        if (o.pageToken) query.pageToken = o.pageToken;
        const page = await api(env, (c) => c.listJobs(query));
        const t = new Table({
          head: ['id', 'name', 'status', 'types', 'tags', 'started'],
          style: { head: [], border: [] },
        });
        for (const j of page.jobs)
          t.push([j.id, j.name ?? '', j.status, j.types.join(','), j.tags.join(','), j.startTime]);
        io.out(page.jobs.length ? t.toString() : 'no jobs');
        if (page.nextPageToken) io.out(`more: trainyard list --page-token ${page.nextPageToken}`);
      },
    );

  program
    .command('nodes')
    .argument('<id>')
    .option('--status <statuses>', `only nodes of these statuses, comma-separated: ${NODE_STATUSES.join('|')}`)
    .option('--page-size <n>', 'nodes per page (1-1000)', '500')
    .option('--page-token <token>')
    .option('--all', 'every page, one after another')
    .option('--json', 'print each node as a JSON line (its NodeView)')
    .description("a job's nodes, a page at a time, in spec order (every node of big jobs, whose status is a summary)")
    .action(
      async (
        jobId: string,
        o: { status?: string; pageSize: string; pageToken?: string; all?: boolean; json?: boolean },
      ) => {
        const status = o.status?.split(',').map((v) => {
          const r = NodeStatus.safeParse(v.trim());
          if (!r.success)
            throw new CliError(`--status ${o.status}: expected one or more of ${NODE_STATUSES.join('|')}`);
          return r.data;
        });
        const pageSize = Number(o.pageSize);
        if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
          throw new CliError(`--page-size ${o.pageSize}: expected a number of nodes from 1 to 1000`);
        const print = (nodes: NodeView[]) => {
          if (o.json) return nodes.forEach((n) => io.out(JSON.stringify(n)));
          if (!nodes.length) return;
          const t = new Table({
            head: ['id', 'type', 'status', 'attempts', 'duration', 'detail'],
            style: { head: [], border: [] },
          });
          for (const n of nodes)
            t.push([
              n.id,
              n.type,
              n.status,
              String(n.attempts),
              n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(1)}s` : '',
              n.error ? firstLine(n.error.message) : (n.waiting?.message ?? ''),
            ]);
          io.out(t.toString());
        };
        let pageToken = o.pageToken;
        let shown = 0;
        let page: JobNodePage;
        do {
          page = await api(env, (c) =>
            c.listJobNodes(jobId, { pageSize, ...(status && { status }), ...(pageToken && { pageToken }) }),
          );
          print(page.nodes);
          shown += page.nodes.length;
          pageToken = page.nextPageToken;
        } while (o.all && pageToken);
        if (o.json) return;
        io.out(
          `${shown} of ${page.total} node${page.total === 1 ? '' : 's'}${status ? ` (${status.join(',')})` : ''}` +
            (page.source === 'view' ? " — from the job's view (its workflow did not answer the nodes query)" : ''),
        );
        if (pageToken)
          io.out(
            `more: trainyard nodes ${jobId}${o.status ? ` --status ${o.status}` : ''} --page-size ${pageSize} --page-token ${pageToken}`,
          );
      },
    );

  program
    .command('watch')
    .argument('<id>')
    .description('live per-node progress; exit code = outcome (0 completed, 1 failed, 2 cancelled)')
    .action(async (jobId: string) => {
      io.setExit(exitCodeFor(await watchJob(env, jobId)));
    });

  const control = (
    name: 'pause' | 'resume' | 'cancel' | 'recover',
    describe: string,
    body: (o: Record<string, unknown>) => unknown,
    opts: [string, string][] = [],
  ) => {
    const c = program.command(name).argument('<id>').description(describe);
    for (const [flags, d] of opts) c.option(flags, d);
    c.action(async (jobId: string, o: Record<string, unknown>) => {
      const r = await api(env, (c) => c.control(jobId, name, body(o)));
      io.out(`${jobId}: ${r.status}${r.message ? ` — ${r.message}` : ''}`);
    });
  };
  control(
    'pause',
    'pause: no new node starts (--now: running nodes checkpoint and stop)',
    (o) => ({ mode: o.now ? 'now' : 'drain' }),
    [['--now', 'stop running nodes at their checkpoint']],
  );
  control('resume', 'resume a paused job', () => ({}));
  control('cancel', 'cancel a job', () => ({}));
  control(
    'recover',
    'recover a failed job (re-run failed/skipped nodes, or --from NODE and downstream); nodes resume from their last checkpoint unless --from-scratch',
    (o) => ({
      ...(typeof o.from === 'string' && { fromNode: o.from }),
      ...(o.fromScratch === true && { fromScratch: true }),
    }),
    [
      ['--from <node>', 're-run this node and everything downstream'],
      ['--from-scratch', 'start the reset nodes from scratch (ignore their checkpoints)'],
    ],
  );

  program
    .command('logs')
    .argument('<id>')
    .requiredOption('--node <node>', 'node id')
    .option('-f, --follow', 'stream new lines until the node finishes')
    .option('--tail <n>', 'only the last N lines')
    .description("a node's stdout/stderr")
    .action(async (jobId: string, o: { node: string; follow?: boolean; tail?: string }) => {
      const tail = o.tail === undefined ? undefined : Number(o.tail);
      if (tail !== undefined && !Number.isInteger(tail))
        throw new CliError(`--tail ${o.tail}: expected a number of lines`);
      await api(env, async (c) => {
        for await (const chunk of c.logChunks(jobId, o.node, { follow: o.follow, tail })) process.stdout.write(chunk);
      });
    });

  program
    .command('artifacts')
    .argument('<id>')
    .description("a job's artifacts")
    .action(async (jobId: string) => {
      const artifacts = await api(env, (c) => c.listArtifacts(jobId));
      if (!artifacts.length) return io.out('no artifacts');
      const t = new Table({ head: ['path', 'size', 'type'], style: { head: [], border: [] } });
      for (const a of artifacts) t.push([a.path, String(a.size), a.mediaType]);
      io.out(t.toString());
      io.out(`download: curl -H "X-API-Key: $TRAINYARD_API_KEY" ${env.url}${artifacts[0]!.url}`);
    });

  program
    .command('metrics')
    .argument('<id>')
    .requiredOption('--node <node>', 'node id')
    .option('--json', 'print the points as JSON lines')
    .description("a node's metrics history: every progress report it made")
    .action(async (jobId: string, o: { node: string; json?: boolean }) => {
      const r = await api(env, (c) => c.nodeMetrics(jobId, o.node));
      if (o.json) return r.points.forEach((p) => io.out(JSON.stringify(p)));
      if (!r.points.length) return io.out(`no progress reports from ${o.node}`);
      const fixed = (['epoch', 'loss', 'valMetric'] as const).filter((k) => r.points.some((p) => p[k] !== undefined));
      const t = new Table({ head: ['attempt', ...fixed, ...r.keys], style: { head: [], border: [] } });
      const fmt = (v: number | undefined) =>
        v === undefined ? '' : Number.isInteger(v) ? String(v) : v.toPrecision(5);
      for (const p of r.points)
        t.push([String(p.attempt), ...fixed.map((k) => fmt(p[k])), ...r.keys.map((k) => fmt(p.metrics[k]))]);
      io.out(t.toString());
      if (r.truncated) io.out('(truncated: the step reported more points than are kept)');
    });

  addScheduleCommands(program, env, io, readJobFile);
  addCreditsCommands(program, env, io);
  addCacheCommands(program, env, io);

  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], env?: Record<string, string | undefined>): Promise<number> {
  let code = 0;
  const program = buildProgram(clientOptionsFromEnv(env), {
    out: (s) => process.stdout.write(`${s}\n`),
    setExit: (c) => (code = c),
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 64;
    if (err instanceof CliError) {
      process.stderr.write(`trainyard: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
