// Credits over the real API and a real stack (TRAINYARD_CREDITS=on): 402 insufficient_credits at
// submit with nothing started; admin grants applied once per id; the estimate reserved at submit;
// at the end the measured cost charged and the rest refunded (the job view and the ledger agree);
// an overrun charged; a cancelled job's reservation refunded in full; another owner's account a
// 404; with credits off, nothing reserved and /v1/account says so.
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

async function call(s: ApiStack, method: string, path: string, key: string, body?: unknown, headers = {}) {
  const res = await fetch(`${s.api.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** The iris pipeline with its train node changed. */
function withTrain(name: string, train: Record<string, unknown>, config: Record<string, unknown>) {
  const p = irisPipeline(name);
  const nodes: Record<string, unknown>[] = p.nodes.map((n) =>
    n.id === 'train' ? { ...n, ...train, config: { ...n.config, ...config } } : n,
  );
  return { ...p, nodes };
}

const until = (s: ApiStack, id: string, key: string, statuses: string[]) =>
  waitFor(
    async () => {
      const r = await call(s, 'GET', `/v1/jobs/${id}`, key);
      return statuses.includes(r.body.status) && (r.body.credits?.settled ?? true) ? r.body : undefined;
    },
    { timeoutMs: 90_000, what: `job ${id} ${statuses.join('/')}` },
  );

describe('credits on', () => {
  let s: ApiStack;
  beforeAll(async () => {
    s = await startApiStack({
      gpuWorkers: true,
      env: {
        TRAINYARD_CREDITS: 'on',
        // Round numbers: 1 per job, 1 per GPU-second, nothing for the rest.
        TRAINYARD_CREDITS_COSTS:
          'base=1,cell=0,parameter=0,preprocess=0,visualization=0,gpuSecond=1,assumedGpuSeconds=30',
        TRAINYARD_CREDITS_SWEEP: '2s',
      },
    });
  }, 180_000);
  afterAll(async () => s?.stop());

  const balance = async (key: string) => (await call(s, 'GET', '/v1/account', key)).body;

  test('no balance: 402 insufficient_credits with the balance and the estimate, and nothing starts', async () => {
    expect(await balance(KEYS.alice)).toMatchObject({ owner: 'alice', enabled: true, balance: 0, reserved: 0 });
    const r = await call(s, 'POST', '/v1/jobs', KEYS.alice, irisPipeline('broke'));
    expect(r.status).toBe(402);
    expect(r.body.error).toMatchObject({ code: 'insufficient_credits', credits: { balance: 0, estimate: 31 } });
    expect(r.body.error.message).toMatch(/estimate is 31 credits, the balance is 0/);
    expect((await call(s, 'GET', '/v1/jobs', KEYS.alice)).body.jobs).toEqual([]);
    expect(await balance(KEYS.alice)).toMatchObject({ balance: 0, reserved: 0, lastSeq: 0 });
  });

  test("grants: admin only, applied once per id; another owner's account is a 404 to non-admins", async () => {
    const grant = { amount: 100, reason: 'welcome' };
    expect((await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.alice, grant)).status).toBe(403);
    expect((await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.bob, grant)).status).toBe(404);
    expect((await call(s, 'GET', '/v1/accounts/alice', KEYS.bob)).status).toBe(404);
    expect((await call(s, 'GET', '/v1/accounts/alice/entries', KEYS.bob)).status).toBe(404);
    const key = { 'idempotency-key': 'welcome-alice' };
    const first = await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.admin, grant, key);
    expect(first).toMatchObject({ status: 201, body: { applied: true, balance: 100, entry: { kind: 'grant' } } });
    // A retry is the same grant: answered as the first one was, applied once.
    const again = await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.admin, grant, key);
    expect(again.body.entry).toEqual(first.body.entry);
    expect((await call(s, 'GET', '/v1/accounts/alice', KEYS.admin)).body).toMatchObject({ balance: 100 });
    const bad = await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.admin, { amount: -5, reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('body.amount');
  });

  test('validate shows the estimate; /v1/config publishes the cost model', async () => {
    const v = await call(s, 'POST', '/v1/jobs/validate', KEYS.alice, irisPipeline('estimate'));
    expect(v.body.credits).toMatchObject({ enforced: true, cost: { base: 1, gpu: 30, total: 31 } });
    expect(v.body.credits.usage.gpuSeconds).toEqual({ default: 30 });
    const c = await call(s, 'GET', '/v1/config', KEYS.alice);
    expect(c.body.credits).toMatchObject({ enabled: true, refund: 'full', overrun: 'charge', rates: { base: 1 } });
  });

  test('a completed job: the estimate reserved at submit, the measured cost charged, the rest refunded', async () => {
    const before = (await balance(KEYS.alice)).balance as number;
    const r = await call(s, 'POST', '/v1/jobs', KEYS.alice, irisPipeline('paid'));
    expect(r.status).toBe(201);
    // Reserved at once (the job may not have done anything yet).
    expect(await balance(KEYS.alice)).toMatchObject({ balance: before - 31, reserved: 31, openJobs: 1 });
    const job = await until(s, r.body.id, KEYS.alice, ['completed']);
    const train = job.nodes.find((n: any) => n.id === 'train');
    // GPU-seconds per node (the node views' measured usage): 40 epochs × 50 ms on one GPU.
    const gpuSeconds = train.usage.gpuSeconds as number;
    expect(gpuSeconds).toBeGreaterThan(1.5);
    expect(job.nodes.find((n: any) => n.id === 'data').usage.gpuSeconds).toBe(0);
    const c = job.credits;
    expect(c).toMatchObject({ estimated: 31, reserved: 31, settled: true });
    // The measured cost: 1 + the GPU-seconds of the job (train only), rounded to 3 decimals.
    expect(c.actual.cost.total).toBeCloseTo(1 + gpuSeconds, 2);
    expect(c.charged).toBe(c.actual.cost.total);
    expect(c.refunded).toBeCloseTo(31 - c.charged, 6);
    const after = await balance(KEYS.alice);
    expect(after).toMatchObject({ reserved: 0, openJobs: 0 });
    expect(after.balance).toBeCloseTo(before - c.charged, 6);
    const mine = after.recent.filter((e: any) => e.jobId === r.body.id).map((e: any) => [e.kind, e.amount]);
    expect(mine).toEqual([
      ['refund', c.refunded],
      ['reserve', 31],
    ]);
  });

  test('an overrun is charged; a cancelled job gets its whole reservation back', async () => {
    const before = (await balance(KEYS.alice)).balance as number;
    // Estimated at 1 GPU-second, runs about 3.
    const over = withTrain('overrun', { estimatedDuration: '1s' }, { epochs: 60 });
    const o = await call(s, 'POST', '/v1/jobs', KEYS.alice, over);
    expect(o.status).toBe(201);
    const done = await until(s, o.body.id, KEYS.alice, ['completed']);
    expect(done.credits.reserved).toBe(2);
    expect(done.credits.charged).toBeGreaterThan(3);
    expect(done.credits.refunded).toBe(0);

    const long = withTrain('cancelled', {}, { epochs: 2000 });
    const l = await call(s, 'POST', '/v1/jobs', KEYS.alice, long);
    await waitFor(
      async () => (await call(s, 'GET', `/v1/jobs/${l.body.id}`, KEYS.alice)).body.nodes[3].status === 'running',
      { what: 'the long train to run' },
    );
    expect((await call(s, 'POST', `/v1/jobs/${l.body.id}/cancel`, KEYS.alice, {})).status).toBe(200);
    const cancelled = await until(s, l.body.id, KEYS.alice, ['cancelled']);
    expect(cancelled.credits).toMatchObject({ reserved: 31, charged: 0, refunded: 31, settled: true });
    const after = await balance(KEYS.alice);
    expect(after.balance).toBeCloseTo(before - done.credits.charged, 6);
    expect(after.totals.granted - after.totals.charged + after.totals.refunded).toBeCloseTo(after.balance, 6);
  }, 150_000);

  test('entries page newest first; every key once', async () => {
    const all: any[] = [];
    let token: string | undefined;
    do {
      const r = await call(s, 'GET', `/v1/account/entries?pageSize=2${token ? `&pageToken=${token}` : ''}`, KEYS.alice);
      expect(r.status).toBe(200);
      all.push(...r.body.entries);
      token = r.body.nextPageToken;
    } while (token);
    expect(all.map((e) => e.seq)).toEqual([...all.map((e) => e.seq)].sort((a, b) => b - a));
    expect(all.at(-1)).toMatchObject({ seq: 1, kind: 'grant', amount: 100 });
    const keys = all.map((e) => `${e.kind}:${e.jobId ?? e.grantId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect((await call(s, 'GET', '/v1/account/entries?pageToken=abc', KEYS.alice)).status).toBe(400);
  });
});

describe('credits off', () => {
  let s: ApiStack;
  beforeAll(async () => {
    s = await startApiStack({ workers: false });
  }, 180_000);
  afterAll(async () => s?.stop());

  test('/v1/account says credits are off; grants are refused; validate still shows what a job would cost', async () => {
    const a = await call(s, 'GET', '/v1/account', KEYS.alice);
    expect(a.body).toMatchObject({ enabled: false, balance: 0, reserved: 0, recent: [] });
    expect(a.body.message).toMatch(/credits are off/);
    const g = await call(s, 'POST', '/v1/accounts/alice/grants', KEYS.admin, { amount: 1, reason: 'x' });
    expect(g).toMatchObject({ status: 409, body: { error: { code: 'credits_disabled' } } });
    const v = await call(s, 'POST', '/v1/jobs/validate', KEYS.alice, irisPipeline('free'));
    expect(v.body.credits.enforced).toBe(false);
    expect((await call(s, 'GET', '/v1/config', KEYS.alice)).body.credits.enabled).toBe(false);
  });
});
