// Notifications over the real API and a real stack, to a real HTTP receiver on loopback
// (examples/notify-receiver.ts, the README's receiver): one verified, signed POST per event; a 500
// retried with backoff until it succeeds (same idempotency id each time); the outcome of each
// delivery in the job view; a private / unlisted loopback address refused at send time (after DNS);
// per-owner defaults; a URL that is not http(s) a 400 naming the field, nothing started.
import { startReceiver } from '../../examples/notify-receiver';
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

const SECRET = 'alice-notify-secret-0123456789';
const BOB_SECRET = 'bob-notify-secret-0123456789';

async function call(s: ApiStack, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${s.api.url}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const quick = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  recoveryWindow: 0,
  nodes: [{ id: 'ok', type: 'command', config: { command: ['node', '-e', 'null'] } }],
  ...extra,
});

/** Waits until the job ended and none of its notifications is pending. */
const settled = (s: ApiStack, id: string, key = KEYS.alice) =>
  waitFor(
    async () => {
      const r = await call(s, 'GET', `/v1/jobs/${id}`, key);
      const n: any[] = r.body.notifications ?? [];
      return ['completed', 'failed', 'cancelled'].includes(r.body.status) &&
        !r.body.recoverable &&
        n.length &&
        n.every((d) => d.state !== 'pending')
        ? r.body
        : undefined;
    },
    { timeoutMs: 90_000, what: `job ${id} ended, its notifications sent` },
  );

describe('notifications', () => {
  let s: ApiStack;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let bobRx: Awaited<ReturnType<typeof startReceiver>>;
  /** Per path: how many 500s to answer before 200. */
  const failFirst = new Map<string, number>();
  /** Per path: the statuses to answer, in order (then 200). */
  const answers = new Map<string, number[]>();
  beforeAll(async () => {
    rx = await startReceiver(SECRET, (d) => {
      const scripted = answers.get(d.path);
      if (scripted?.length) return scripted.shift()!;
      const left = failFirst.get(d.path) ?? 0;
      if (left > 0) {
        failFirst.set(d.path, left - 1);
        return 500;
      }
      return 200;
    });
    bobRx = await startReceiver(BOB_SECRET);
    s = await startApiStack({
      env: {
        TRAINYARD_NOTIFY_SECRETS: `alice=${SECRET},bob=${BOB_SECRET}`,
        // The receiver's loopback address only: ::1 and every other loopback/private address stay refused.
        TRAINYARD_NOTIFY_ALLOW: '127.0.0.1/32',
        TRAINYARD_NOTIFY_RETRY_INITIAL: '300ms',
        TRAINYARD_NOTIFY_RETRY_MAX: '2s',
        TRAINYARD_NOTIFY_ATTEMPTS: '5',
        TRAINYARD_NOTIFY_TIMEOUT: '2s',
        TRAINYARD_NOTIFY_DEFAULTS: JSON.stringify({
          bob: [{ url: `${bobRx.url}/bob-default`, events: ['completed'] }],
        }),
      },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
    await bobRx?.close();
  });

  test('a completed job: one verified, signed POST with the job and its links; the delivery in the job view', async () => {
    const sub = await call(s, 'POST', '/v1/jobs', KEYS.alice, quick('n-ok', { notify: [{ url: `${rx.url}/ok` }] }));
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id);
    expect(view.status).toBe('completed');
    const mine = rx.deliveries.filter((d) => d.body.job.id === sub.body.id);
    expect(mine).toHaveLength(1);
    const [d] = mine;
    expect(d!.verified).toBe(true);
    expect(d!.event).toBe('completed');
    expect(d!.id).toBe(`${sub.body.id}:completed:0:0`);
    expect(d!.body).toMatchObject({
      id: d!.id,
      event: 'completed',
      job: { id: sub.body.id, name: 'n-ok', owner: 'alice', status: 'completed', failedNodes: [] },
      links: { job: expect.stringContaining(`/v1/jobs/${sub.body.id}`) },
    });
    expect(typeof d!.body.job.durationMs).toBe('number');
    expect(d!.body.job.nodeDurationsMs).toHaveProperty('ok');
    expect(view.notifications).toEqual([
      expect.objectContaining({
        id: d!.id,
        event: 'completed',
        state: 'delivered',
        attempts: 1,
        lastStatus: 200,
        deliveredAt: expect.any(String),
      }),
    ]);
  });

  test('a 500 from the receiver is retried with backoff, with the same id, until it succeeds', async () => {
    failFirst.set('/flaky', 2);
    const sub = await call(
      s,
      'POST',
      '/v1/jobs',
      KEYS.alice,
      quick('n-flaky', { notify: [{ url: `${rx.url}/flaky` }] }),
    );
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id);
    const tries = rx.deliveries.filter((d) => d.body.job.id === sub.body.id);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((d) => d.id)).size).toBe(1);
    expect(tries.every((d) => d.verified)).toBe(true);
    // Backoff: 300 ms, then 600 ms (coefficient 2).
    const gaps = [tries[1]!.at - tries[0]!.at, tries[2]!.at - tries[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(250);
    expect(gaps[1]).toBeGreaterThanOrEqual(500);
    expect(rx.handled.get(tries[0]!.id)).toBeDefined();
    expect(view.notifications[0]).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 200 });
  });

  test('a 500 then a 400: retried once, then not (a 4xx is final); attempts and the last status in the view', async () => {
    answers.set('/gone', [500, 410]);
    const sub = await call(s, 'POST', '/v1/jobs', KEYS.alice, quick('n-gone', { notify: [{ url: `${rx.url}/gone` }] }));
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id);
    expect(view.status).toBe('completed');
    expect(view.notifications[0]).toMatchObject({ state: 'failed', attempts: 2, lastStatus: 410 });
    expect(rx.deliveries.filter((d) => d.body.job.id === sub.body.id)).toHaveLength(2);
  });

  test('a failing job: waiting_for_recover, then failed, with its failed node; events it did not ask for are not sent', async () => {
    const spec = {
      name: 'n-fail',
      recoveryWindow: '1s',
      nodes: [
        {
          id: 'boom',
          type: 'command',
          config: { command: ['node', '-e', 'process.exit(3)'] },
          retry: { maxAttempts: 1 },
        },
      ],
      notify: [
        { url: `${rx.url}/fail`, events: ['waiting_for_recover', 'failed'] },
        { url: `${rx.url}/only-completed`, events: ['completed'] },
      ],
    };
    const sub = await call(s, 'POST', '/v1/jobs', KEYS.alice, spec);
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id);
    expect(view.status).toBe('failed');
    const mine = rx.deliveries.filter((d) => d.body.job.id === sub.body.id);
    expect(mine.map((d) => [d.path, d.event])).toEqual([
      ['/fail', 'waiting_for_recover'],
      ['/fail', 'failed'],
    ]);
    expect(mine.every((d) => d.verified && (d.body.job.failedNodes as string[])[0] === 'boom')).toBe(true);
    expect(view.notifications.map((n: any) => [n.event, n.state])).toEqual([
      ['waiting_for_recover', 'delivered'],
      ['failed', 'delivered'],
    ]);
  });

  test('a cancelled job: one cancelled POST, sent after its running step stopped', async () => {
    const spec = {
      name: 'n-cancel',
      nodes: [{ id: 'long', type: 'command', config: { command: ['node', '-e', 'setTimeout(() => {}, 60000)'] } }],
      notify: [{ url: `${rx.url}/cancel` }],
    };
    const sub = await call(s, 'POST', '/v1/jobs', KEYS.alice, spec);
    expect(sub.status).toBe(201);
    await waitFor(async () => (await call(s, 'GET', `/v1/jobs/${sub.body.id}`, KEYS.alice)).body.status === 'running', {
      what: 'running',
    });
    expect((await call(s, 'POST', `/v1/jobs/${sub.body.id}/cancel`, KEYS.alice, {})).status).toBe(200);
    const view = await settled(s, sub.body.id);
    expect(view.status).toBe('cancelled');
    const mine = rx.deliveries.filter((d) => d.body.job.id === sub.body.id);
    expect(mine.map((d) => [d.event, d.verified, d.body.job.status])).toEqual([['cancelled', true, 'cancelled']]);
    expect(view.notifications).toEqual([expect.objectContaining({ event: 'cancelled', state: 'delivered' })]);
  });

  test('a destination that resolves to a loopback or private address not allowlisted is refused at send time', async () => {
    // Valid URLs (so accepted at submit); refused by the activity after resolving them, not retried.
    const sub = await call(
      s,
      'POST',
      '/v1/jobs',
      KEYS.alice,
      quick('n-ssrf', {
        notify: [
          { url: 'http://10.1.2.3:9/hook', events: ['completed'] },
          { url: `http://[::1]:${new URL(rx.url).port}/x`, events: ['completed'] },
          { url: 'http://169.254.169.254/latest/meta-data', events: ['completed'] },
        ],
      }),
    );
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id);
    expect(view.status).toBe('completed');
    expect(view.notifications).toHaveLength(3);
    for (const n of view.notifications) {
      expect(n).toMatchObject({ state: 'failed', attempts: 1 });
      expect(n.lastError).toMatch(/loopback, private, link-local or reserved/);
    }
    expect(rx.deliveries.filter((d) => d.body.job.id === sub.body.id)).toHaveLength(0);
  });

  test("an owner's default targets are notified too, signed with that owner's secret", async () => {
    const sub = await call(s, 'POST', '/v1/jobs', KEYS.bob, quick('n-bob'));
    expect(sub.status).toBe(201);
    const view = await settled(s, sub.body.id, KEYS.bob);
    expect(view.notifications).toEqual([expect.objectContaining({ state: 'delivered', attempts: 1, lastStatus: 200 })]);
    const got = bobRx.deliveries.filter((d) => d.body.job.id === sub.body.id);
    expect(got.map((d) => [d.path, d.verified, d.body.job.owner])).toEqual([['/bob-default', true, 'bob']]);
    // Signed with bob's secret, not alice's: alice's receiver would refuse it.
    expect(rx.deliveries.some((d) => d.body.job.id === sub.body.id)).toBe(false);
  });

  test('a webhook URL that is not http(s) is a 400 naming the field; nothing is started', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'not a url', 'http://user:pw@example.com/']) {
      const r = await call(s, 'POST', '/v1/jobs', KEYS.alice, quick('n-bad', { notify: [{ url }] }));
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toContain('notify[0].url');
    }
    const ev = await call(
      s,
      'POST',
      '/v1/jobs',
      KEYS.alice,
      quick('n-bad', { notify: [{ url: 'https://x.example/', events: ['done'] }] }),
    );
    expect(ev.status).toBe(400);
    expect(JSON.stringify(ev.body)).toContain('notify[0].events');
  });
});
