// API keys: parsing, hashing, constant-time lookup, and the middleware's answers.
import express from 'express';
import request from 'supertest';
import { authenticate, createKeyStore, generateDevKey, parseApiKeys, type AuthDeps } from '../../src/api/auth';
import type { AuthMode } from '../../src/http/routes';
import { errorMiddleware } from '../../src/api/errors';

const quiet = { error: () => undefined };

describe('parseApiKeys', () => {
  test('when entries are owner:key[:admin], then each is parsed', () => {
    expect(parseApiKeys('alice:alice-secret-1, root:root-secret-1:admin\n# comment\nbob:bob-secret-12')).toEqual([
      { owner: 'alice', key: 'alice-secret-1', admin: false },
      { owner: 'root', key: 'root-secret-1', admin: true },
      { owner: 'bob', key: 'bob-secret-12', admin: false },
    ]);
  });
  test.each([
    ['no key', 'alice', /expected owner:key/],
    ['short key', 'alice:short', /at least 8/],
    ['bad flag', 'alice:alice-secret-1:root', /may only be "admin"/],
    ['bad owner', 'al ice:alice-secret-1', /owner/],
  ])('when an entry has %s, then it is rejected without echoing the key', (_n, text, re) => {
    expect(() => parseApiKeys(text)).toThrow(re);
    try {
      parseApiKeys(text);
    } catch (err) {
      expect((err as Error).message).not.toContain('alice-secret-1');
    }
  });
});

describe('key store', () => {
  const store = createKeyStore(parseApiKeys('alice:alice-secret-1,root:root-secret-1:admin'));
  test('when a known key is presented, then its owner and admin flag come back', () => {
    expect(store.authenticate('alice-secret-1')).toEqual({ owner: 'alice', admin: false });
    expect(store.authenticate('root-secret-1')).toEqual({ owner: 'root', admin: true });
  });
  test('when an unknown, empty, prefix or huge key is presented, then nobody', () => {
    for (const k of ['', 'alice-secret-', 'alice-secret-12', 'x'.repeat(10_000), undefined])
      expect(store.authenticate(k)).toBeUndefined();
  });
  test('when keys are held, then only hashes are kept', () => {
    expect(JSON.stringify(store)).not.toContain('alice-secret-1');
  });
  test('when a dev key is generated, then it is random and long', () => {
    const a = generateDevKey();
    expect(a).toMatch(/^ty_dev_[\w-]{24}$/);
    expect(generateDevKey()).not.toBe(a);
  });
});

describe('auth modes of the route table', () => {
  const store = createKeyStore(parseApiKeys('alice:alice-secret-1'));
  const deps: AuthDeps = { keys: store, docs: { user: 'docs', password: 'pw' } };
  const guard =
    (modes: AuthMode[], d = deps): express.RequestHandler =>
    (req, res, next) => {
      res.locals.principal = authenticate(modes, { headers: req.headers, query: req.query }, d).principal ?? null;
      next();
    };
  const app = express();
  app.get('/v1/who', guard(['apiKey']), (_req, res) => res.json(res.locals.principal));
  app.get('/v1/events', guard(['apiKeyQuery']), (_req, res) => res.json(res.locals.principal));
  app.get('/docs', guard(['docs']), (_req, res) => res.send('docs'));
  app.get('/nodocs', guard(['docs'], { ...deps, docs: { user: 'docs' } }), (_req, res) => res.send('docs'));
  app.get('/open', guard(['none']), (_req, res) => res.json(res.locals.principal));
  app.use(errorMiddleware(quiet));

  test('when the header is missing or wrong, then 401 in the one error shape', async () => {
    const a = await request(app).get('/v1/who');
    expect(a.status).toBe(401);
    expect(a.body).toMatchObject({ error: { code: 'unauthorized', message: 'missing X-API-Key header', details: [] } });
    const b = await request(app).get('/v1/who').set('x-api-key', 'nope');
    expect(b.body.error.message).toBe('invalid API key');
  });
  test('when the key is right, then the owner is known', async () => {
    const r = await request(app).get('/v1/who').set('x-api-key', 'alice-secret-1');
    expect(r.body).toEqual({ owner: 'alice', admin: false });
  });
  test('when a query key is given, then only routes that allow it accept it', async () => {
    expect((await request(app).get('/v1/who?api_key=alice-secret-1')).status).toBe(401);
    expect((await request(app).get('/v1/events?api_key=alice-secret-1')).status).toBe(200);
  });
  test('when docs are asked, then basic auth is required; without a password they are off', async () => {
    const no = await request(app).get('/docs');
    expect(no.status).toBe(401);
    expect(no.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await request(app).get('/docs').auth('docs', 'wrong')).status).toBe(401);
    expect((await request(app).get('/docs').auth('docs', 'pw')).status).toBe(200);
    expect((await request(app).get('/nodocs').auth('docs', '')).status).toBe(404);
  });
  test('when a route needs no credentials, then it is open and names no caller', async () => {
    const r = await request(app).get('/open');
    expect([r.status, r.body]).toEqual([200, null]);
  });
});
