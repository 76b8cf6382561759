// `trainyard`: submit, validate, watch and control jobs through the HTTP API.
import fs from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { Command, CommanderError } from 'commander';
import YAML from 'yaml';
import { resolveConfigPaths } from '../sdk/config-path';
import { TrainyardError } from '../sdk/errors';
import { CliError, api, formatApiError, request, type CliEnv } from './http';
import { exitCodeFor, watchJob } from './watch';

interface JobNode {
  id: string;
  type: string;
  status: string;
  attempts?: number;
  durationMs?: number;
  live?: { percent?: number; epoch?: number; epochs?: number; loss?: number };
  lastFailure?: string;
  error?: { message: string };
}
interface JobViewLite {
  id: string;
  name: string;
  owner: string;
  status: string;
  progress: number;
  recoverable: boolean;
  startedAt?: string;
  completedAt?: string;
  nodes: JobNode[];
}

/** The CLI's environment (this entry point is its config edge: TRAINYARD_URL, TRAINYARD_API_KEY). */
export function cliEnv(env: Record<string, string | undefined>): CliEnv {
  return { url: env.TRAINYARD_URL || 'http://127.0.0.1:8080', apiKey: env.TRAINYARD_API_KEY || undefined };
}

async function readJobFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new CliError(`cannot parse ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return await resolveConfigPaths(spec, path.dirname(path.resolve(file)));
  } catch (err) {
    if (err instanceof TrainyardError) throw new CliError([err.message, ...err.details.map((d) => `  ${d.path}: ${d.message}`)].join('\n'));
    throw err;
  }
}

const id = (s: string) => encodeURIComponent(s);

function printJob(j: JobViewLite, out: (s: string) => void): void {
  out(`job ${j.id}  ${j.name}  owner ${j.owner}`);
  out(`status ${j.status}${j.recoverable ? ' (recoverable)' : ''}  progress ${Math.round(j.progress)}%${j.startedAt ? `  started ${j.startedAt}` : ''}${j.completedAt ? `  finished ${j.completedAt}` : ''}`);
  const t = new Table({ head: ['node', 'type', 'status', 'attempts', 'duration', 'detail'], style: { head: [], border: [] } });
  for (const n of j.nodes) {
    const live = n.live?.epoch !== undefined ? `epoch ${n.live.epoch}/${n.live.epochs ?? '?'} loss ${n.live.loss?.toFixed(4) ?? '?'}` : n.live?.percent !== undefined ? `${Math.round(n.live.percent)}%` : '';
    const detail = n.error?.message.split('\n')[0] ?? n.lastFailure?.split('\n')[0] ?? live;
    t.push([n.id, n.type, n.status, String(n.attempts ?? ''), n.durationMs !== undefined ? `${(n.durationMs / 1000).toFixed(1)}s` : '', detail.slice(0, 80)]);
  }
  out(t.toString());
}

export function buildProgram(env: CliEnv, io: { out: (s: string) => void; setExit: (code: number) => void }): Command {
  const program = new Command('trainyard').description('Durable ML jobs on Temporal: submit, watch and control them through the Trainyard API').exitOverride();
  program.configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  program
    .command('submit')
    .argument('<file>', 'job spec (YAML or JSON; DAG or single-job form)')
    .option('-w, --watch', 'follow the job until it finishes; exit code = outcome (0 completed, 1 failed, 2 cancelled)')
    .option('--idempotency-key <key>', 'same key → same job')
    .description('submit a job')
    .action(async (file: string, o: { watch?: boolean; idempotencyKey?: string }) => {
      const spec = await readJobFile(file);
      const r = await api<{ id: string; created: boolean }>(env, 'POST', '/v1/jobs', spec, o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {});
      io.out(r.created ? `submitted job ${r.id}` : `job ${r.id} already exists (same idempotency key)`);
      if (o.watch) io.setExit(exitCodeFor(await watchJob(env, r.id)));
    });

  program
    .command('validate')
    .argument('<file>')
    .description('validate a job spec and show its plan (starts nothing)')
    .action(async (file: string) => {
      const spec = await readJobFile(file);
      const r = await api<{ plan: { stages: string[][]; criticalPath: { nodes: string[]; estimatedMs?: number }; nodes: { id: string; type: string; taskQueue: string; pool?: string; gpus: number }[]; estimatedGpuMs?: number } }>(env, 'POST', '/v1/jobs/validate', spec);
      io.out('valid');
      r.plan.stages.forEach((s, i) => io.out(`  stage ${i}: ${s.join(', ')}`));
      io.out(`  critical path: ${r.plan.criticalPath.nodes.join(' -> ')}${r.plan.criticalPath.estimatedMs ? ` (~${Math.round(r.plan.criticalPath.estimatedMs / 1000)}s)` : ''}`);
      const t = new Table({ head: ['node', 'type', 'task queue', 'gpus'], style: { head: [], border: [] } });
      for (const n of r.plan.nodes) t.push([n.id, n.type, n.taskQueue, String(n.gpus)]);
      io.out(t.toString());
      if (r.plan.estimatedGpuMs !== undefined) io.out(`  estimated GPU time: ${(r.plan.estimatedGpuMs / 3_600_000).toFixed(2)} h`);
    });

  program
    .command('status')
    .argument('<id>')
    .description("a job's status and nodes")
    .action(async (jobId: string) => {
      printJob(await api<JobViewLite>(env, 'GET', `/v1/jobs/${id(jobId)}`), io.out);
    });

  program
    .command('list')
    .option('--status <status>', 'queued|running|paused|completed|failed|cancelled')
    .option('--type <type>', 'node type')
    .option('--tag <tag>')
    .option('--recoverable', 'only failed jobs open for recover')
    .option('--page-size <n>', 'jobs per page', '50')
    .option('--page-token <token>')
    .description('your jobs, newest first')
    .action(async (o: { status?: string; type?: string; tag?: string; recoverable?: boolean; pageSize: string; pageToken?: string }) => {
      const qs = new URLSearchParams();
      if (o.status) qs.set('status', o.status);
      if (o.type) qs.set('type', o.type);
      if (o.tag) qs.set('tag', o.tag);
      if (o.recoverable) qs.set('recoverable', 'true');
      qs.set('pageSize', o.pageSize);
      if (o.pageToken) qs.set('pageToken', o.pageToken);
      const page = await api<{ jobs: { id: string; name?: string; owner?: string; status: string; types: string[]; tags: string[]; startTime: string }[]; nextPageToken?: string }>(env, 'GET', `/v1/jobs?${qs}`);
      const t = new Table({ head: ['id', 'name', 'status', 'types', 'tags', 'started'], style: { head: [], border: [] } });
      for (const j of page.jobs) t.push([j.id, j.name ?? '', j.status, j.types.join(','), j.tags.join(','), j.startTime]);
      io.out(page.jobs.length ? t.toString() : 'no jobs');
      if (page.nextPageToken) io.out(`more: trainyard list --page-token ${page.nextPageToken}`);
    });

  program
    .command('watch')
    .argument('<id>')
    .description('live per-node progress; exit code = outcome (0 completed, 1 failed, 2 cancelled)')
    .action(async (jobId: string) => {
      io.setExit(exitCodeFor(await watchJob(env, jobId)));
    });

  const control = (name: string, describe: string, body: (o: Record<string, unknown>) => unknown, opts: [string, string][] = []) => {
    const c = program.command(name).argument('<id>').description(describe);
    for (const [flags, d] of opts) c.option(flags, d);
    c.action(async (jobId: string, o: Record<string, unknown>) => {
      const r = await api<{ status: string; message: string }>(env, 'POST', `/v1/jobs/${id(jobId)}/${name}`, body(o));
      io.out(`${jobId}: ${r.status}${r.message ? ` — ${r.message}` : ''}`);
    });
  };
  control('pause', 'pause: no new node starts (--now: running nodes checkpoint and stop)', (o) => ({ mode: o.now ? 'now' : 'drain' }), [['--now', 'stop running nodes at their checkpoint']]);
  control('resume', 'resume a paused job', () => ({}));
  control('cancel', 'cancel a job', () => ({}));
  control('recover', 'recover a failed job (re-run failed/skipped nodes, or --from NODE and downstream)', (o) => (typeof o.from === 'string' ? { fromNode: o.from } : {}), [['--from <node>', 're-run this node and everything downstream']]);

  program
    .command('logs')
    .argument('<id>')
    .requiredOption('--node <node>', 'node id')
    .option('-f, --follow', 'stream new lines until the node finishes')
    .option('--tail <n>', 'only the last N lines')
    .description("a node's stdout/stderr")
    .action(async (jobId: string, o: { node: string; follow?: boolean; tail?: string }) => {
      const qs = new URLSearchParams({ node: o.node, ...(o.follow && { follow: 'true' }), ...(o.tail && { tail: o.tail }) });
      const res = await request(env, 'GET', `/v1/jobs/${id(jobId)}/logs?${qs}`, undefined, { accept: 'text/plain' });
      if (!res.ok || !res.body) throw new CliError(formatApiError(res.status, (await res.json().catch(() => undefined)) as never));
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
    });

  program
    .command('artifacts')
    .argument('<id>')
    .description("a job's artifacts")
    .action(async (jobId: string) => {
      const r = await api<{ artifacts: { path: string; size: number; mediaType: string; url: string }[] }>(env, 'GET', `/v1/jobs/${id(jobId)}/artifacts`);
      if (!r.artifacts.length) return io.out('no artifacts');
      const t = new Table({ head: ['path', 'size', 'type'], style: { head: [], border: [] } });
      for (const a of r.artifacts) t.push([a.path, String(a.size), a.mediaType]);
      io.out(t.toString());
      io.out(`download: curl -H "X-API-Key: $TRAINYARD_API_KEY" ${env.url}${r.artifacts[0]!.url}`);
    });

  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let code = 0;
  const program = buildProgram(cliEnv(env), { out: (s) => process.stdout.write(`${s}\n`), setExit: (c) => (code = c) });
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
