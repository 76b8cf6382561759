// GET /v1/jobs/:id under concurrent readers, against a real stack: readers of one job share one
// describe + progress query; a control action through the API is visible to the very next read;
// the shared read never crosses owners.
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  // A reuse window far longer than any test here: reads share by design, not by timing.
  s = await startApiStack({ statusReuseMs: 60_000 });
}, 180_000);
afterAll(async () => s?.stop());

async function call(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.api.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A job whose first node runs for a minute (then two more nodes wait behind it). */
async function runningJob(): Promise<string> {
  const hold = { type: 'command', config: { command: ['node', '-e', 'setTimeout(()=>{},60000)'] } };
  const created = await call('POST', '/v1/jobs', KEYS.alice, {
    name: 'reads',
    nodes: [
      { id: 'a', ...hold },
      { id: 'b', dependsOn: ['a'], ...hold },
    ],
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // Waits through the service without a reuse window, so no read of this job is left to reuse.
  await waitFor(async () => (await s.api.deps.trainyard.getJobStatus(id)).nodes[0]?.status === 'running', {
    what: 'node a running',
  });
  return id;
}

test('when 30 readers ask for one job at once, then they share one Temporal read and all get the same answer', async () => {
  const id = await runningJob();
  // One status read = one describe + one progress query (src/job-service/status.ts).
  const reads = jest.spyOn(s.api.deps.trainyard.status, 'readJobStatus');
  try {
    const answers = await Promise.all(Array.from({ length: 30 }, () => call('GET', `/v1/jobs/${id}`, KEYS.alice)));
    expect(answers.every((r) => r.status === 200 && r.body.id === id && r.body.status === 'running')).toBe(true);
    expect(reads.mock.calls.length).toBe(1);
  } finally {
    reads.mockRestore();
    await call('POST', `/v1/jobs/${id}/cancel`, KEYS.alice);
  }
}, 120_000);

test('when a job is paused and resumed through the API, then the next read shows it at once (no reused read from before)', async () => {
  const id = await runningJob();
  try {
    expect((await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.status).toBe('running');
    const p = await call('POST', `/v1/jobs/${id}/pause`, KEYS.alice, { mode: 'drain' });
    expect(p.status).toBe(200);
    expect((await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.status).toBe(p.body.status);
    const r = await call('POST', `/v1/jobs/${id}/resume`, KEYS.alice);
    expect(r.status).toBe(200);
    expect((await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.status).toBe('running');
    const c = await call('POST', `/v1/jobs/${id}/cancel`, KEYS.alice);
    expect(c.status).toBe(200);
    // Cancellation is asynchronous in Temporal: once the workflow says cancelled (read past the API),
    // the API's next read is a fresh one, not the read from before the cancel.
    await waitFor(async () => (await s.api.deps.trainyard.getJobStatus(id)).status === 'cancelled', {
      timeoutMs: 30_000,
      what: 'cancelled',
    });
    expect((await call('GET', `/v1/jobs/${id}`, KEYS.alice)).body.status).toBe('cancelled');
  } finally {
    await call('POST', `/v1/jobs/${id}/cancel`, KEYS.alice);
  }
}, 120_000);

test("when another owner reads the job while its owner's read is reused, then it is still 404 for them and 200 for an admin", async () => {
  const id = await runningJob();
  try {
    const [mine, theirs, admin] = await Promise.all([
      call('GET', `/v1/jobs/${id}`, KEYS.alice),
      call('GET', `/v1/jobs/${id}`, KEYS.bob),
      call('GET', `/v1/jobs/${id}`, KEYS.admin),
    ]);
    expect(mine.status).toBe(200);
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs.body)).not.toContain('alice');
    expect(admin.status).toBe(200);
  } finally {
    await call('POST', `/v1/jobs/${id}/cancel`, KEYS.alice);
  }
}, 120_000);
