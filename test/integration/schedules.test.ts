// Schedules on Temporal Schedules, through the API and the CLI against a real dev server: every run
// is a normal job (fresh id and folder, the owner, scheduledBy); pause / trigger / backfill / update /
// delete; overlap skip; owners see only their own; bad input is a 400 naming the field and creates nothing.
import { buildProgram } from '../../src/cli/main';
import { scheduleIdOf } from '../../src/domain/scheduled-run';
import { isTerminalJobStatus } from '../../src/domain/status-sets';
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';

let stack: ApiStack;
beforeAll(async () => {
  stack = await startApiStack();
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

type Json = Record<string, any>;

async function call(
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${stack.api.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/** Polls until `check` returns a value (explicit condition, never a fixed sleep). */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const quickJob = (name = 'tick') => ({
  name,
  tags: ['nightly'],
  nodes: [{ id: 'run', type: 'command', config: { command: ['node', '-e', ''] } }],
});
const slowJob = {
  name: 'slow',
  nodes: [{ id: 'run', type: 'command', config: { command: ['node', '-e', 'setTimeout(()=>{},8000)'] } }],
};

test('a schedule every 2 s starts distinct jobs, each a normal job of its owner with scheduledBy', async () => {
  const created = await call('POST', '/v1/schedules', KEYS.alice, { name: 'tick', job: quickJob(), every: '2s' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name: 'tick', owner: 'alice', everyMs: 2000, overlap: 'skip', paused: false });
  expect(created.body.scheduleId).toBe(scheduleIdOf(stack.prefix, 'alice', 'tick'));
  expect(created.body.nextRuns.length).toBeGreaterThan(0);

  const runs = await until('two completed runs', async () => {
    const s = await call('GET', '/v1/schedules/tick', KEYS.alice);
    const done = (s.body.recentRuns as Json[]).filter((r) => r.status === 'completed');
    return done.length >= 2 ? done : undefined;
  });
  expect(new Set(runs.map((r) => r.jobId)).size).toBe(runs.length);
  const folders = new Set<string>();
  for (const r of runs.slice(0, 2)) {
    const job = await call('GET', `/v1/jobs/${r.jobId}`, KEYS.alice);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ owner: 'alice', name: 'tick', status: 'completed' });
    expect(job.body.scheduledBy).toBe(created.body.scheduleId);
    const spec = await call('GET', `/v1/jobs/${r.jobId}/spec`, KEYS.alice);
    folders.add(spec.body.jobDir);
  }
  expect(folders.size).toBe(2);
  // The job list filters by schedule; another owner sees neither the schedule nor its runs.
  const listed = await call('GET', '/v1/jobs?schedule=tick', KEYS.alice);
  expect(listed.body.jobs.length).toBeGreaterThanOrEqual(2);
  expect(listed.body.jobs.every((j: Json) => j.scheduledBy === created.body.scheduleId)).toBe(true);
  expect((await call('GET', '/v1/schedules/tick', KEYS.bob)).status).toBe(404);
  expect((await call('POST', '/v1/schedules/tick/pause', KEYS.bob, {})).status).toBe(404);
  expect((await call('GET', `/v1/jobs/${runs[0]!.jobId}`, KEYS.bob)).status).toBe(404);
  expect((await call('GET', '/v1/schedules', KEYS.bob)).body.schedules).toEqual([]);
  const all = await call('GET', '/v1/schedules', KEYS.admin);
  expect(all.body.schedules.map((s: Json) => `${s.owner}/${s.name}`)).toContain('alice/tick');
  expect((await call('GET', '/v1/schedules/tick?owner=alice', KEYS.admin)).status).toBe(200);

  // Paused: no run is due; trigger starts exactly one; delete leaves the runs as jobs.
  const paused = await call('POST', '/v1/schedules/tick/pause', KEYS.alice, { note: 'maintenance' });
  expect(paused.status).toBe(200);
  // A run started just before the pause may still be going; on a loaded machine a quick job can
  // outlast the 2 s interval. Let it finish, so the trigger below is the only action left.
  const before = await until('no active run while paused', async () => {
    const s = await call('GET', '/v1/schedules/tick', KEYS.alice);
    return (s.body.recentRuns as Json[]).every((r) => isTerminalJobStatus(r.status)) ? s : undefined;
  });
  expect(before.body).toMatchObject({ paused: true, note: 'maintenance' });
  const taken = before.body.actionsTaken as number;
  // allowAll: a manual trigger must not be skipped by the schedule's own overlap policy.
  expect((await call('POST', '/v1/schedules/tick/trigger', KEYS.alice, { overlap: 'allowAll' })).status).toBe(200);
  const after = await until('the triggered run', async () => {
    const s = await call('GET', '/v1/schedules/tick', KEYS.alice);
    return s.body.actionsTaken > taken ? s : undefined;
  });
  expect(after.body.actionsTaken).toBe(taken + 1);
  expect((await call('POST', '/v1/schedules/tick/unpause', KEYS.alice, {})).body.message).toMatch(/unpaused/);
  expect((await call('DELETE', '/v1/schedules/tick', KEYS.alice)).status).toBe(200);
  expect((await call('GET', '/v1/schedules/tick', KEYS.alice)).status).toBe(404);
  expect((await call('GET', `/v1/jobs/${runs[0]!.jobId}`, KEYS.alice)).status).toBe(200);
});

test('overlap skip: while a run is active, due runs are skipped, not queued', async () => {
  const r = await call('POST', '/v1/schedules', KEYS.alice, { name: 'slow', job: slowJob, every: '1s' });
  expect(r.status).toBe(201);
  const s = await until('a skipped run', async () => {
    const v = await call('GET', '/v1/schedules/slow', KEYS.alice);
    return v.body.skippedOverlap >= 2 && v.body.recentRuns.length === 1 ? v.body : undefined;
  });
  // One job at a time: everything it started is one job, still running or just finished.
  expect(s.actionsTaken).toBe(1);
  expect(['queued', 'running']).toContain(s.recentRuns[0].status);
  await call('DELETE', '/v1/schedules/slow', KEYS.alice);
});

test('backfill starts the runs a range would have had; update changes the timing; fromJob reuses a spec', async () => {
  const r = await call('POST', '/v1/schedules', KEYS.alice, {
    name: 'hourly',
    job: quickJob('hourly'),
    cron: '0 * * * *',
    timezone: 'Europe/Berlin',
    overlap: 'allowAll',
    paused: true,
  });
  expect(r.status).toBe(201);
  expect(r.body).toMatchObject({ cron: '0 * * * *', timezone: 'Europe/Berlin', paused: true, overlap: 'allowAll' });
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1000);
  const start = new Date(end.getTime() - 3 * 3_600_000);
  const b = await call('POST', '/v1/schedules/hourly/backfill', KEYS.alice, {
    start: start.toISOString(),
    end: end.toISOString(),
  });
  expect(b.status).toBe(200);
  const runs = await until('three backfilled runs', async () => {
    const v = await call('GET', '/v1/jobs?schedule=hourly', KEYS.alice);
    return v.body.jobs.length >= 3 ? v.body.jobs : undefined;
  });
  expect(runs).toHaveLength(3);

  const u = await call('PUT', '/v1/schedules/hourly', KEYS.alice, { every: '1h' });
  expect(u.status).toBe(200);
  expect(u.body.everyMs).toBe(3_600_000);
  expect(u.body.cron).toBeUndefined();

  // A schedule from an existing job runs that job's spec.
  const f = await call('POST', '/v1/schedules', KEYS.alice, {
    name: 'again',
    fromJob: runs[0].id,
    every: '1h',
    paused: true,
  });
  expect(f.status).toBe(201);
  expect(f.body.job).toMatchObject({ name: 'hourly', nodes: 1, fromJob: runs[0].id });
  expect(
    (await call('POST', '/v1/schedules', KEYS.bob, { name: 'steal', fromJob: runs[0].id, every: '1h' })).body.error
      .details,
  ).toEqual([{ path: 'fromJob', message: 'unknown job' }]);
  await call('DELETE', '/v1/schedules/hourly', KEYS.alice);
  await call('DELETE', '/v1/schedules/again', KEYS.alice);
});

test('bad input: a 400 naming the field, and nothing is created', async () => {
  const cases: [Json, string][] = [
    [{ name: 'bad', job: quickJob(), cron: '61 * * * *' }, 'cron'],
    [{ name: 'bad', job: quickJob(), cron: '* * *' }, 'cron'],
    [{ name: 'bad', job: quickJob(), cron: '0 3 * * *', timezone: 'Mars/Olympus' }, 'timezone'],
    [{ name: 'bad', job: quickJob(), every: 'often' }, 'every'],
    [{ name: 'bad', job: quickJob() }, 'cron'],
    [{ name: 'bad', every: '1h' }, 'job'],
    [{ name: 'Bad Name', job: quickJob(), every: '1h' }, 'name'],
    [{ name: 'bad', job: { nodes: [{ id: 'x', type: 'nope' }] }, every: '1h' }, 'job.nodes[0].type'],
    [{ name: 'bad', job: quickJob(), every: '1h', overlap: 'sometimes' }, 'overlap'],
  ];
  for (const [body, field] of cases) {
    const r = await call('POST', '/v1/schedules', KEYS.alice, body);
    expect({ body, status: r.status }).toEqual({ body, status: 400 });
    const paths = (r.body.error.details as Json[]).map((d) => d.path.replace(/^body\./, ''));
    expect({ body, paths }).toEqual({ body, paths: expect.arrayContaining([field]) });
  }
  expect((await call('GET', '/v1/schedules', KEYS.alice)).body.schedules.map((s: Json) => s.name)).not.toContain('bad');
  expect(
    (
      await call('POST', '/v1/schedules/none/backfill', KEYS.alice, {
        start: '2026-01-02T00:00:00Z',
        end: '2026-01-01T00:00:00Z',
      })
    ).body.error.details,
  ).toEqual([expect.objectContaining({ path: expect.stringMatching(/end$/) })]);
});

test('the CLI creates, lists, shows and deletes a schedule', async () => {
  const lines: string[] = [];
  const run = async (...args: string[]) => {
    lines.length = 0;
    const program = buildProgram(
      { url: stack.api.url, apiKey: KEYS.alice },
      { out: (s) => lines.push(s), setExit: () => undefined },
    );
    await program.parseAsync(['node', 'trainyard', ...args]);
    return lines.join('\n');
  };
  const fs = await import('node:fs');
  const path = await import('node:path');
  const file = path.join(stack.t.tmpDir, 'nightly.json');
  fs.writeFileSync(file, JSON.stringify(quickJob('nightly')));
  expect(await run('schedule', 'create', 'nightly', file, '--cron', '0 3 * * *', '--paused')).toMatch(
    /created schedule nightly: cron "0 3 \* \* \*" \(UTC\)/,
  );
  expect(await run('schedule', 'list')).toMatch(/nightly.*cron 0 3 \* \* \*.*paused/s);
  expect(await run('schedule', 'show', 'nightly')).toMatch(/schedule nightly {2}owner alice {2}PAUSED/);
  await run('schedule', 'trigger', 'nightly');
  const jobs = await until('the triggered run in the job list', async () => {
    const out = await run('list', '--schedule', 'nightly');
    return /job-/.test(out) ? out : undefined;
  });
  expect(jobs).toMatch(/nightly/);
  expect(await run('schedule', 'delete', 'nightly')).toMatch(/deleted/);
});
