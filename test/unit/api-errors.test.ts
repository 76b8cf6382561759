// The one error middleware: domain errors → their status and code; body-parser errors → 400/413/415;
// anything else → a generic 500 with a request id, logged, never leaked.
import express from 'express';
import request from 'supertest';
import { HttpError, errorMiddleware } from '../../src/api/errors';
import { checkJsonShape, jsonBody } from '../../src/api/parse';
import { JobConflictError, JobNotFoundError, SpecValidationError } from '../../src/sdk/errors';

function appWith(err: unknown, logged: unknown[] = []) {
  const app = express();
  app.use((_req, res, next) => {
    res.locals.requestId = 'req-1';
    next();
  });
  app.use(express.json({ limit: '1kb' }));
  app.post('/body', (req, res) => res.json({ body: jsonBody(req) }));
  app.get('/boom', () => {
    throw err;
  });
  app.use(errorMiddleware({ error: (obj) => logged.push(obj) }));
  return app;
}

describe('error mapping', () => {
  test.each([
    ['validation', new SpecValidationError([{ path: 'nodes[0].id', message: 'bad' }]), 400, 'validation_failed'],
    ['not found', new JobNotFoundError('job-x'), 404, 'job_not_found'],
    ['illegal transition', new JobConflictError('illegal_transition', 'job is not paused'), 409, 'illegal_transition'],
    ['idempotency conflict', new JobConflictError('idempotency_conflict', 'other spec'), 409, 'idempotency_conflict'],
    ['api error', new HttpError(415, 'unsupported_media_type', 'json only'), 415, 'unsupported_media_type'],
  ])('when a %s error is thrown, then its status and code', async (_n, err, status, code) => {
    const r = await request(appWith(err)).get('/boom');
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ code, requestId: 'req-1' });
    expect(Array.isArray(r.body.error.details)).toBe(true);
  });

  test('when validation fails, then details carry every path', async () => {
    const r = await request(
      appWith(
        new SpecValidationError([
          { path: 'a', message: 'x' },
          { path: 'b[1]', message: 'y' },
        ]),
      ),
    ).get('/boom');
    expect(r.body.error.details).toEqual([
      { path: 'a', message: 'x' },
      { path: 'b[1]', message: 'y' },
    ]);
  });

  test('when an unexpected error is thrown, then a generic 500 with the request id, logged, no internals', async () => {
    const logged: unknown[] = [];
    const secret = new Error('connect ECONNREFUSED 10.0.0.5:7233 password=hunter2');
    const r = await request(appWith(secret, logged)).get('/boom');
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('internal');
    expect(r.body.error.message).toContain('req-1');
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|ECONNREFUSED|at /);
    expect(logged).toHaveLength(1);
  });

  test('when the body is malformed, too large or not JSON, then 400, 413, 415', async () => {
    const app = appWith(undefined);
    const bad = await request(app).post('/body').set('content-type', 'application/json').send('{"a":');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'malformed_json']);
    const big = await request(app)
      .post('/body')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(5000) }));
    expect([big.status, big.body.error.code]).toEqual([413, 'payload_too_large']);
    const text = await request(app).post('/body').set('content-type', 'text/plain').send('hi');
    expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type']);
  });
});

describe('checkJsonShape', () => {
  test('when __proto__ or constructor appear at any depth, then forbidden_key with their paths', () => {
    const v = JSON.parse('{"a":[{"__proto__":{}}],"b":{"constructor":1}}');
    expect(() => checkJsonShape(v)).toThrow(expect.objectContaining({ code: 'forbidden_key' }));
    try {
      checkJsonShape(v);
    } catch (err) {
      expect((err as HttpError).details.map((d) => d.path).sort()).toEqual([
        'body.a[0].__proto__',
        'body.b.constructor',
      ]);
    }
  });
  test('when nesting is absurd, then too_deep; ordinary bodies pass', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(() => checkJsonShape(deep)).toThrow(expect.objectContaining({ code: 'too_deep' }));
    expect(() => checkJsonShape({ name: 'x', nodes: [{ id: 'a', config: { constructorName: 'ok' } }] })).not.toThrow();
  });
});
