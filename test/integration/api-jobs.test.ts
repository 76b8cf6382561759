// The API against a real stack: submit → live WebSocket and SSE streams in order, status with live
// progress, artifacts and logs, listing, control through updates, owner isolation, idempotency.
import WebSocket from 'ws';
import { startApiServer } from '../../src/api/server';
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

interface Msg {
  type: string;
  job_id: string;
  node_id?: string;
  status?: string;
  progress?: number;
  data?: Record<string, unknown>;
  timestamp: string;
}

async function call(
  method: string,
  path: string,
  key: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${s.api.url}${path}`, {
    method,
    headers: {
      ...(key && { 'x-api-key': key }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

function wsMessages(jobId: string, key: string, url = s.api.url): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/jobs/${jobId}/stream`, {
      headers: { 'x-api-key': key },
    });
    const got: Msg[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as Msg));
    ws.on('close', () => resolve(got));
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

async function sseMessages(jobId: string, key: string): Promise<Msg[]> {
  const res = await fetch(`${s.api.url}/v1/jobs/${jobId}/events`, { headers: { 'x-api-key': key } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text(); // the server ends the stream after the terminal message
  return text
    .split('\n\n')
    .map((e) => e.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => !!l)
    .map((l) => JSON.parse(l.slice(6)) as Msg);
}

function checkOrder(msgs: Msg[], nodes: string[]) {
  const types = msgs.map((m) => m.type);
  expect(types[0]).toBe('job_started');
  expect(types[types.length - 1]).toBe('job_completed');
  const iStarted = 0;
  const iDone = types.length - 1;
  for (const n of nodes) {
    const seq = msgs.filter((m) => m.type === 'node_status' && m.node_id === n).map((m) => m.status);
    // Each node: ... running ... completed, in that order, nothing after completed.
    expect(seq).toContain('running');
    expect(seq[seq.length - 1]).toBe('completed');
    expect(seq.indexOf('running')).toBeLessThan(seq.lastIndexOf('completed'));
    const idx = msgs.findIndex((m) => m.type === 'node_status' && m.node_id === n);
    expect(idx).toBeGreaterThan(iStarted);
    expect(idx).toBeLessThan(iDone);
  }
  // DAG order: a node's first status after its parent completed.
  const completedAt = (n: string) =>
    msgs.findIndex((m) => m.type === 'node_status' && m.node_id === n && m.status === 'completed');
  const runningAt = (n: string) =>
    msgs.findIndex((m) => m.type === 'node_status' && m.node_id === n && m.status === 'running');
  for (let i = 1; i < nodes.length; i++) expect(runningAt(nodes[i]!)).toBeGreaterThan(completedAt(nodes[i - 1]!));
  const metricsIdx = types.indexOf('metrics');
  expect(metricsIdx).toBeGreaterThan(completedAt('train'));
  expect(metricsIdx).toBeLessThan(iDone);
  for (const m of msgs) {
    expect(m.job_id).toBeDefined();
    expect(Number.isNaN(Date.parse(m.timestamp))).toBe(false);
  }
}

describe('jobs over HTTP', () => {
  let jobId: string;

  test('when a pipeline is submitted, then WebSocket and SSE subscribers see job_started, each node in order, metrics and job_completed', async () => {
    const created = await call('POST', '/v1/jobs', KEYS.alice, irisPipeline());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'queued', created: true });
    expect(created.body.links.stream).toBe(`/v1/jobs/${created.body.id}/stream`);
    jobId = created.body.id;
    const [ws, sse] = await Promise.all([wsMessages(jobId, KEYS.alice), sseMessages(jobId, KEYS.alice)]);
    const nodes = ['data', 'split', 'prep', 'train', 'eval'];
    checkOrder(ws, nodes);
    checkOrder(sse, nodes);
    const metrics = ws.find((m) => m.type === 'metrics')!;
    expect(metrics.node_id).toBe('eval');
    expect(typeof metrics.data!.accuracy).toBe('number');
    expect(ws.some((m) => m.type === 'node_progress' && m.node_id === 'train')).toBe(true);
  }, 120_000);

  test('when a client connects after the job finished, then it gets a snapshot, then job_completed, then the stream closes', async () => {
    // Subscribers within the catch-up window of the start get the caught-up story instead: a second
    // API on the same Temporal, with no catch-up window, makes every subscriber a late one.
    const late = await startApiServer({
      client: s.t.client,
      config: s.config,
      port: 0,
      host: '127.0.0.1',
      store: s.store,
      streamCatchUpMs: 0,
      observeResponse: s.responses.observe,
      logger: { info: () => undefined, warn: () => undefined, error: (o, m) => console.error(m, o) },
    });
    try {
      const ws = await wsMessages(jobId, KEYS.alice, late.url);
      expect(ws.map((m) => m.type)).toEqual(['snapshot', 'job_completed']);
      expect((ws[0]!.data as any).nodes).toHaveLength(5);
    } finally {
      await late.close();
    }
  });

  test('when a finished job is read, then status, node outputs, artifacts and logs come back', async () => {
    const job = await call('GET', `/v1/jobs/${jobId}`, KEYS.alice);
    expect(job.status).toBe(200);
    expect(job.body).toMatchObject({ id: jobId, owner: 'alice', status: 'completed', progress: 100, source: 'query' });
    expect(job.body.nodes.map((n: any) => n.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    const arts = await call('GET', `/v1/jobs/${jobId}/artifacts`, KEYS.alice);
    expect(arts.status).toBe(200);
    expect(arts.body.artifacts.length).toBeGreaterThan(0);
    const one = arts.body.artifacts.find((a: any) => a.node === 'eval') ?? arts.body.artifacts[0];
    const dl = await fetch(`${s.api.url}${one.url}`, { headers: { 'x-api-key': KEYS.alice } });
    expect(dl.status).toBe(200);
    expect((await dl.arrayBuffer()).byteLength).toBe(one.size);
    // Pages of 2 in key order, followed to the end, are the whole listing; a bad token or size is a 400 naming it.
    expect(arts.body.artifacts.length).toBeGreaterThan(2);
    expect(arts.body.nextPageToken).toBeUndefined();
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await call(
        'GET',
        `/v1/jobs/${jobId}/artifacts?pageSize=2${token ? `&pageToken=${token}` : ''}`,
        KEYS.alice,
      );
      expect(page.status).toBe(200);
      expect(page.body.artifacts.length).toBeLessThanOrEqual(2);
      paged.push(...page.body.artifacts.map((a: any) => a.path));
      token = page.body.nextPageToken;
    } while (token);
    expect(paged).toEqual(arts.body.artifacts.map((a: any) => a.path));
    for (const q of ['pageSize=0', 'pageSize=1001', 'pageToken=not%2Fa%2Ftoken', 'pageToken=Li4vLi4vZXRj'])
      expect(await call('GET', `/v1/jobs/${jobId}/artifacts?${q}`, KEYS.alice)).toMatchObject({
        status: 400,
        body: { error: { details: [{ path: `query.${q.split('=')[0]}` }] } },
      });
    const escape = await call('GET', `/v1/jobs/${jobId}/artifacts/..%2F..%2Fetc%2Fpasswd`, KEYS.alice);
    expect([400, 404]).toContain(escape.status);
    const logs = await call('GET', `/v1/jobs/${jobId}/logs?node=train`, KEYS.alice);
    expect([200, 404]).toContain(logs.status);
    const badNode = await call('GET', `/v1/jobs/${jobId}/logs?node=nope`, KEYS.alice);
    expect(badNode.status).toBe(404);
    expect(badNode.body.error.code).toBe('node_not_found');
  });

  test("when a client draws the job, then nodes carry dependsOn and /spec gives the snapshot, its hash and every node's queue and pool", async () => {
    const job = await call('GET', `/v1/jobs/${jobId}`, KEYS.alice);
    expect(job.body.nodes.map((n: any) => [n.id, n.dependsOn])).toEqual([
      ['data', []],
      ['split', ['data']],
      ['prep', ['split']],
      ['train', ['prep']],
      ['eval', ['train']],
    ]);
    const r = await call('GET', `/v1/jobs/${jobId}/spec`, KEYS.alice);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: jobId,
      owner: 'alice',
      specHash: job.body.specHash,
      jobDir: `alice/runs/${jobId}`,
    });
    expect(r.body.submitted).toEqual(irisPipeline());
    // As parsed: defaults filled in (durations in ms).
    expect(r.body.spec.nodes[3]).toMatchObject({ id: 'train', retry: { maxAttempts: 3, initialInterval: 1000 } });
    expect(r.body.pools).toEqual({ train: 'default' });
    const planned = Object.fromEntries(r.body.plan.nodes.map((n: any) => [n.id, n]));
    expect(planned.train).toMatchObject({ taskQueue: `${s.prefix}-gpu-train-default`, pool: 'default', gpus: 1 });
    expect(planned.eval).toMatchObject({ taskQueue: `${s.prefix}-workflows`, dependsOn: ['train'] });
    expect(planned.eval.pool).toBeUndefined();
    // The job folder and submission time are in the memo (no history read needed).
    const desc = await s.t.client.workflow.getHandle(jobId).describe();
    expect(desc.memo).toMatchObject({ jobDir: `alice/runs/${jobId}`, submittedAt: job.body.submittedAt });
    expect((await call('GET', `/v1/jobs/${jobId}/spec`, KEYS.bob)).status).toBe(404);
    expect((await call('GET', `/v1/jobs/${jobId}/spec`, KEYS.admin)).status).toBe(200);
  });

  test('when jobs are listed, then the caller sees its own jobs, filtered by status, type and tag', async () => {
    const page = await waitFor(
      async () => {
        const r = await call('GET', '/v1/jobs?status=completed&type=train&tag=api-test', KEYS.alice);
        return r.body.jobs?.some((j: any) => j.id === jobId) ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'listing' },
    );
    expect(page.body.jobs.every((j: any) => j.owner === 'alice' && j.status === 'completed')).toBe(true);
    const bobs = await call('GET', '/v1/jobs', KEYS.bob);
    expect(bobs.body.jobs.some((j: any) => j.id === jobId)).toBe(false);
    const admins = await call('GET', '/v1/jobs', KEYS.admin);
    expect(admins.body.jobs.some((j: any) => j.id === jobId)).toBe(true);
  });

  test('when another owner touches the job, then it is 404 everywhere; an admin key can read it', async () => {
    for (const [m, p] of [
      ['GET', `/v1/jobs/${jobId}`],
      ['GET', `/v1/jobs/${jobId}/events`],
      ['GET', `/v1/jobs/${jobId}/spec`],
      ['GET', `/v1/jobs/${jobId}/artifacts`],
      ['GET', `/v1/jobs/${jobId}/logs?node=train`],
      ['POST', `/v1/jobs/${jobId}/pause`],
      ['POST', `/v1/jobs/${jobId}/cancel`],
      ['POST', `/v1/jobs/${jobId}/resume`],
      ['POST', `/v1/jobs/${jobId}/recover`],
    ] as const) {
      const r = await call(m, p, KEYS.bob);
      expect([m, p, r.status, r.body.error?.code]).toEqual([m, p, 404, 'job_not_found']);
    }
    await expect(wsMessages(jobId, KEYS.bob)).rejects.toThrow('HTTP 404');
    const admin = await call('GET', `/v1/jobs/${jobId}`, KEYS.admin);
    expect(admin.status).toBe(200);
  });

  test('when a finished job is paused or cancelled, then 409 with the reason', async () => {
    const r = await call('POST', `/v1/jobs/${jobId}/pause`, KEYS.alice, {});
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('illegal_transition');
    const c = await call('POST', `/v1/jobs/${jobId}/cancel`, KEYS.alice);
    expect(c.status).toBe(409);
  });

  test('when a running job is paused, resumed and cancelled, then each answers with the new state; illegal ones 409', async () => {
    const spec = irisPipeline('control', {
      nodes: [
        { id: 'data', type: 'dataset', config: { name: 'iris' } },
        { id: 'split', type: 'split', dependsOn: ['data'] },
        { id: 'prep', type: 'preprocess', dependsOn: ['split'] },
        {
          id: 'train',
          type: 'train',
          dependsOn: ['prep'],
          config: { epochs: 400, epochDelayMs: 50, hiddenLayers: [4] },
        },
      ],
    });
    const created = await call('POST', '/v1/jobs', KEYS.alice, spec);
    expect(created.status).toBe(201);
    const id = created.body.id;
    const resumeEarly = await call('POST', `/v1/jobs/${id}/resume`, KEYS.alice);
    expect(resumeEarly.status).toBe(409);
    expect(resumeEarly.body.error.message).toMatch(/paus/i);
    await waitFor(
      async () =>
        (await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.nodes?.find((n: any) => n.id === 'train')?.status ===
        'running',
      { timeoutMs: 60_000, what: 'train running' },
    );
    const live = await waitFor(
      async () => (await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.nodes.find((n: any) => n.id === 'train').live,
      { timeoutMs: 20_000, what: 'live progress' },
    );
    expect(typeof live.epoch).toBe('number');
    const paused = await call('POST', `/v1/jobs/${id}/pause`, KEYS.bob, {});
    expect(paused.status).toBe(404);
    const p = await call('POST', `/v1/jobs/${id}/pause`, KEYS.admin, { mode: 'drain' });
    expect(p.status).toBe(200);
    expect(p.body.status).toBe('paused');
    const r = await call('POST', `/v1/jobs/${id}/resume`, KEYS.alice);
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('running');
    const recoverRunning = await call('POST', `/v1/jobs/${id}/recover`, KEYS.alice, {});
    expect(recoverRunning.status).toBe(409);
    const c = await call('POST', `/v1/jobs/${id}/cancel`, KEYS.alice);
    expect(c.status).toBe(200);
    const done = await waitFor(
      async () => {
        const j = await call('GET', `/v1/jobs/${id}`, KEYS.alice);
        return j.body.status === 'cancelled' ? j : undefined;
      },
      { timeoutMs: 30_000, what: 'cancelled' },
    );
    expect(done.body.status).toBe('cancelled');
  }, 120_000);

  test('when 20 requests with one Idempotency-Key arrive at once, then one workflow is created and all get its id', async () => {
    const spec = irisPipeline('idem', { nodes: [{ id: 'data', type: 'dataset', config: { name: 'iris' } }] });
    const rs = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('POST', '/v1/jobs', KEYS.alice, spec, { 'idempotency-key': 'nightly-2026-11-23' }),
      ),
    );
    const ids = new Set(rs.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(rs.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(rs.filter((r) => r.body.created === true)).toHaveLength(1);
    const [id] = [...ids];
    const count = await waitFor(async () => {
      const c = await s.t.client.workflow.count(`WorkflowId = '${id}'`);
      return c.count >= 1 ? c.count : undefined;
    });
    expect(count).toBe(1);
    // Same key, other owner: another job. Same key, other spec: 409.
    const bob = await call('POST', '/v1/jobs', KEYS.bob, spec, { 'idempotency-key': 'nightly-2026-11-23' });
    expect(bob.status).toBe(201);
    expect(bob.body.id).not.toBe(id);
    const other = await call(
      'POST',
      '/v1/jobs',
      KEYS.alice,
      { ...spec, name: 'other' },
      { 'idempotency-key': 'nightly-2026-11-23' },
    );
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
    // After the job finished, the key still names it (no second run).
    await waitFor(async () => (await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.status === 'completed', {
      timeoutMs: 30_000,
    });
    const again = await call('POST', '/v1/jobs', KEYS.alice, spec, { 'idempotency-key': 'nightly-2026-11-23' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    const runs = await s.t.client.workflow.count(`WorkflowId = '${id}'`);
    expect(runs.count).toBe(1);
  }, 90_000);

  test('when /readyz and /metrics are asked, then pollers are reported and request metrics exist', async () => {
    const ready = await call('GET', '/readyz', undefined);
    expect(ready.body.temporal.reachable).toBe(true);
    expect(ready.body.queues.find((q: any) => q.name === `${s.prefix}-workflows`).ok).toBe(true);
    expect(ready.body.queues.find((q: any) => q.name === `${s.prefix}-workflows` && q.kind === 'activity').ok).toBe(
      true,
    );
    expect(ready.status).toBe(ready.body.missing.length ? 503 : 200);
    const m = await fetch(`${s.api.url}/metrics`).then((r) => r.text());
    expect(m).toMatch(/trainyard_http_requests_total\{method="POST",route="\/v1\/jobs",status="201"\}/);
    expect(m).toMatch(/trainyard_job_submissions_total\{result="created"\}/);
    expect(m).toMatch(/trainyard_jobs\{status="completed"\} [1-9]/);
    expect(m).toMatch(/trainyard_http_request_duration_seconds_bucket/);
  });
});
