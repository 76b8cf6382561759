// Dashboard sessions over real HTTP: sign-in trades a key for an HttpOnly SameSite=Strict cookie,
// the cookie sees only its owner's jobs, every state-changing request needs the CSRF token (and
// the same origin), sign-out ends it.
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';

let s: ApiStack;
let bobJob: string;
let aliceJob: string;
beforeAll(async () => {
  s = await startApiStack();
  const submit = async (key: string, name: string) => {
    const r = await fetch(`${s.api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(irisPipeline(name)),
    });
    return ((await r.json()) as { id: string }).id;
  };
  [aliceJob, bobJob] = await Promise.all([submit(KEYS.alice, 'alice-sess'), submit(KEYS.bob, 'bob-sess')]);
}, 180_000);
afterAll(async () => s?.stop());

async function signIn(apiKey: string): Promise<{ cookie: string; csrf: string; setCookie: string; body: any }> {
  const r = await fetch(`${s.api.url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey }),
  });
  expect(r.status).toBe(201);
  const setCookie = r.headers.get('set-cookie') ?? '';
  const body: any = await r.json();
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken, setCookie, body };
}

const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

const call = (path: string, init: RequestInit & { cookie?: string } = {}) =>
  fetch(`${s.api.url}${path}`, {
    ...init,
    headers: { ...(init.cookie && { cookie: init.cookie }), ...(init.headers as Record<string, string>) },
  });

test('when a key is wrong, then sign-in is a 401 and sets no cookie', async () => {
  const r = await call('/v1/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiKey: 'not-a-key-at-all' }),
  });
  expect(r.status).toBe(401);
  expect(r.headers.get('set-cookie')).toBeNull();
  expect((await json(r)).error.code).toBe('unauthorized');
});

test('when alice signs in, then the cookie is HttpOnly, SameSite=Strict, and the body holds a CSRF token but not the key', async () => {
  const { setCookie, body } = await signIn(KEYS.alice);
  expect(setCookie).toMatch(/^ty_session=[A-Za-z0-9_-]{43};/);
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  expect(setCookie).toMatch(/Path=\//);
  expect(body).toMatchObject({ owner: 'alice', admin: false });
  expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(JSON.stringify(body)).not.toContain(KEYS.alice);
});

test("when alice's session reads jobs, then it sees hers and bob's job is a 404, its logs too", async () => {
  const { cookie } = await signIn(KEYS.alice);
  const list = await json(call('/v1/jobs?pageSize=50', { cookie }));
  const ids = list.jobs.map((j: { id: string }) => j.id);
  expect(ids).toContain(aliceJob);
  expect(ids).not.toContain(bobJob);
  expect((await call(`/v1/jobs/${bobJob}`, { cookie })).status).toBe(404);
  expect((await call(`/v1/jobs/${bobJob}/logs?node=data`, { cookie })).status).toBe(404);
  expect((await call(`/v1/jobs/${bobJob}/events`, { cookie })).status).toBe(404);
  expect((await call(`/v1/jobs?owner=bob`, { cookie })).status).toBe(403);
});

test("when an admin's session lists jobs, then it sees every owner's and can filter by owner", async () => {
  const { cookie } = await signIn(KEYS.admin);
  const all = await json(call('/v1/jobs?pageSize=200', { cookie }));
  const ids = all.jobs.map((j: { id: string }) => j.id);
  expect(ids).toEqual(expect.arrayContaining([aliceJob, bobJob]));
  const bobs = await json(call('/v1/jobs?owner=bob&pageSize=200', { cookie }));
  expect(bobs.jobs.map((j: { owner: string }) => j.owner)).toEqual(bobs.jobs.map(() => 'bob'));
  expect(bobs.jobs.map((j: { id: string }) => j.id)).toContain(bobJob);
});

test('when a control request carries the cookie but no or a wrong CSRF token, then it is a 403 and nothing happens', async () => {
  const { cookie, csrf } = await signIn(KEYS.alice);
  const pause = (headers: Record<string, string>) =>
    call(`/v1/jobs/${aliceJob}/pause`, {
      method: 'POST',
      cookie,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ mode: 'drain' }),
    });
  const none = await pause({});
  expect(none.status).toBe(403);
  expect((await json(none)).error.code).toBe('csrf_failed');
  expect((await pause({ 'x-csrf-token': `${csrf.slice(0, -1)}x` })).status).toBe(403);
  const cross = await pause({ 'x-csrf-token': csrf, origin: 'http://evil.example' });
  expect(cross.status).toBe(403);
  expect((await json(cross)).error.code).toBe('cross_origin');
  const view = await json(call(`/v1/jobs/${aliceJob}`, { cookie }));
  expect(view.pauseMode).toBeUndefined();
  // With the token the request reaches the workflow (paused, or a 409 if the job already finished).
  const ok = await pause({ 'x-csrf-token': csrf, origin: s.api.url });
  expect([200, 409]).toContain(ok.status);
  if (ok.status === 200) {
    const resumed = await call(`/v1/jobs/${aliceJob}/resume`, {
      method: 'POST',
      cookie,
      headers: { 'x-csrf-token': csrf },
    });
    expect([200, 409]).toContain(resumed.status);
  }
});

test('when a session submits without the CSRF token, then it is refused and no job starts', async () => {
  const { cookie } = await signIn(KEYS.alice);
  const before = (await json(call('/v1/jobs?pageSize=200', { cookie }))).jobs.length;
  const r = await call('/v1/jobs', {
    method: 'POST',
    cookie,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(irisPipeline('csrf-less')),
  });
  expect(r.status).toBe(403);
  const after = (await json(call('/v1/jobs?pageSize=200', { cookie }))).jobs.length;
  expect(after).toBe(before);
});

test('when the session signs out, then the cookie is cleared and the old cookie no longer works', async () => {
  const { cookie, csrf } = await signIn(KEYS.alice);
  expect((await call('/v1/session', { cookie })).status).toBe(200);
  expect((await call('/v1/session', { method: 'DELETE', cookie })).status).toBe(403); // CSRF on sign-out too
  const out = await call('/v1/session', { method: 'DELETE', cookie, headers: { 'x-csrf-token': csrf } });
  expect(out.status).toBe(200);
  expect(out.headers.get('set-cookie')).toMatch(/ty_session=;.*Expires=Thu, 01 Jan 1970/);
  const after = await call('/v1/jobs', { cookie });
  expect(after.status).toBe(401);
  expect((await json(after)).error.code).toBe('session_expired');
  expect((await call('/v1/session', { cookie })).status).toBe(401);
});

test('when the dashboard is asked for, then /ui and its pages are served with a same-origin-only CSP', async () => {
  for (const path of ['/ui', `/ui/jobs/${aliceJob}`, '/ui/submit']) {
    const r = await call(path);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await r.text()).toContain('/ui/assets/app.js');
  }
  const js = await call('/ui/assets/app.js');
  expect(js.status).toBe(200);
  expect(js.headers.get('content-type')).toMatch(/javascript/);
  expect((await call('/ui/assets/nope.js')).status).toBe(404);
});
