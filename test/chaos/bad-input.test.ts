// Bad input against the live API: ≥ 200 generated malformed specs and requests (fast-check). Every
// answer is a 4xx with the error shape, never a 5xx; the server is alive after; no workflow started.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { NODE_TYPES } from '../../src/domain/node-types';
import { startTestTemporal, uniqueId, type TestTemporal } from '../helpers/temporal';

const KEY = 'chaos-key-0123456789abcdef0123456789';
const RUNS = Number(process.env.CHAOS_BAD_INPUT_RUNS ?? 40);

interface Sent {
  what: string;
  method: string;
  url: string;
  status: number;
  body: unknown;
}

/** A valid two-node spec the mutations below break in exactly one place. */
const validSpec = () => ({
  name: 'ok',
  nodes: [
    { id: 'data', type: 'dataset', config: { name: 'iris' } },
    { id: 'split', type: 'split', dependsOn: ['data'], config: {} },
  ],
});

type Json = Record<string, unknown>;
const nodes = (s: Json) => s.nodes as Json[];

/** Mutations, each of which makes the spec invalid whatever the generated value. */
const mutations: fc.Arbitrary<{ what: string; spec: unknown }>[] = [
  fc
    .anything()
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => ({ what: 'non-object body', spec: v })),
  fc
    .string({ maxLength: 20 })
    .filter((t) => !(NODE_TYPES as readonly string[]).includes(t))
    .map((t) => {
      const s = validSpec();
      (nodes(s)[0] as Json).type = t;
      return { what: `unknown node type ${JSON.stringify(t)}`, spec: s };
    }),
  fc
    .oneof(
      fc.integer({ max: 0 }),
      fc.integer({ min: 501 }),
      fc.double({ noInteger: true }),
      fc.string(),
      fc.constant(null),
      fc.boolean(),
    )
    .map((p) => ({ what: `parallelism ${JSON.stringify(p)}`, spec: { ...validSpec(), parallelism: p } })),
  fc
    .string({ minLength: 1, maxLength: 20 })
    .filter(
      (k) =>
        ![
          'name',
          'description',
          'tags',
          'metadata',
          'priority',
          'outputDir',
          'parallelism',
          'failurePolicy',
          'maxRecoveryAttempts',
          'recoveryWindow',
          'nodes',
        ].includes(k),
    )
    .map((k) => ({ what: `unknown field ${JSON.stringify(k)}`, spec: { ...validSpec(), [k]: 1 } })),
  fc
    .string({ maxLength: 12 })
    .filter((d) => d !== 'data' && d !== 'split')
    .map((d) => {
      const s = validSpec();
      nodes(s)[1]!.dependsOn = [d];
      return { what: `dangling dependency ${JSON.stringify(d)}`, spec: s };
    }),
  fc.integer({ min: 2, max: 30 }).map((n) => ({
    what: `cycle of ${n}`,
    spec: {
      name: 'cyc',
      nodes: Array.from({ length: n }, (_, i) => ({
        id: `n${i}`,
        type: 'command',
        dependsOn: [`n${(i + 1) % n}`],
        config: { command: ['node'] },
      })),
    },
  })),
  fc
    .oneof(
      fc.string({ maxLength: 70 }).filter((id) => !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)),
      fc.constant('ÜNICODE'),
      fc.constant('../etc'),
      fc.constant('a'.repeat(65)),
    )
    .map((id) => {
      const s = validSpec();
      nodes(s)[0]!.id = id;
      nodes(s)[1]!.dependsOn = [id];
      return { what: `bad node id ${JSON.stringify(id).slice(0, 40)}`, spec: s };
    }),
  fc.oneof(fc.constant('__proto__'), fc.constant('constructor'), fc.constant('prototype')).map((k) => ({
    what: `${k} key`,
    spec: JSON.parse(
      `{"name":"p","nodes":[{"id":"a","type":"dataset","config":{"name":"iris"}}],"${k}":{"polluted":true}}`,
    ) as unknown,
  })),
  fc
    .oneof(fc.constant(1e308), fc.constant(-1), fc.constant(6), fc.double({ noInteger: true, min: 1, max: 5 }))
    .map((p) => ({ what: `priority ${p}`, spec: { ...validSpec(), priority: p } })),
  fc
    .constantFrom('/abs/path', '../up', 'a/../../b', '')
    .map((o) => ({ what: `outputDir ${JSON.stringify(o)}`, spec: { ...validSpec(), outputDir: o } })),
  fc.string({ minLength: 1, maxLength: 10 }).map((k) => {
    const s = validSpec();
    (nodes(s)[0]!.config as Json)[`x${k}`] = true;
    return { what: 'unknown config key', spec: s };
  }),
  fc.constant(null).map(() => ({
    what: 'evaluate without train',
    spec: {
      name: 'e',
      nodes: [
        { id: 'data', type: 'dataset', config: { name: 'iris' } },
        { id: 'ev', type: 'evaluate', dependsOn: ['data'] },
      ],
    },
  })),
  fc.constant(null).map(() => ({
    what: 'command not allowed',
    spec: { name: 'c', nodes: [{ id: 'c', type: 'command', config: { command: ['rm', '-rf', '/'] } }] },
  })),
  fc
    .integer({ min: 129, max: 1000 })
    .map((n) => ({ what: `name of ${n} chars`, spec: { ...validSpec(), name: 'x'.repeat(n) } })),
  fc.constant(null).map(() => ({ what: 'empty nodes', spec: { name: 'e', nodes: [] } })),
  fc.constant(null).map(() => ({
    what: 'duplicate ids',
    spec: {
      name: 'd',
      nodes: [
        { id: 'a', type: 'dataset', config: { name: 'iris' } },
        { id: 'a', type: 'dataset', config: { name: 'iris' } },
      ],
    },
  })),
  fc
    .record({ jobType: fc.string({ maxLength: 10 }).filter((t) => !(NODE_TYPES as readonly string[]).includes(t)) })
    .map((s) => ({ what: 'single-job form with bad jobType', spec: s })),
];

describe('bad input against the live API', () => {
  let t: TestTemporal;
  let api: ApiServer;
  const sent: Sent[] = [];

  beforeAll(async () => {
    t = await startTestTemporal();
    const home = path.join(t.tmpDir, 'home');
    fs.mkdirSync(path.join(home, 'artifacts'), { recursive: true });
    const config = loadConfig({
      TRAINYARD_HOME: home,
      TRAINYARD_API_KEYS: `chaos:${KEY}`,
      TRAINYARD_QUEUE_PREFIX: 'chaos-bad',
      TRAINYARD_LOG_LEVEL: 'silent',
    });
    api = await startApiServer({
      client: t.client,
      config,
      port: 0,
      host: '127.0.0.1',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  });
  afterAll(async () => {
    await api?.close();
    await t?.teardown();
  });

  async function send(
    what: string,
    method: string,
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Sent> {
    const res = await fetch(api.url + url, {
      method,
      headers: { 'x-api-key': KEY, ...headers },
      ...(body !== undefined && { body }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* checked below */
    }
    const s = { what, method, url, status: res.status, body: parsed };
    sent.push(s);
    return s;
  }

  const json = { 'content-type': 'application/json' };

  it('when ≥ 200 malformed specs and requests arrive, then all get a 4xx with the error shape, none a 5xx, and no workflow starts', async () => {
    const before = (await t.client.workflow.count('')).count;

    // Malformed specs: POST /v1/jobs and POST /v1/jobs/validate.
    await fc.assert(
      fc.asyncProperty(fc.oneof(...mutations), fc.boolean(), async ({ what, spec }, validateOnly) => {
        const r = await send(what, 'POST', validateOnly ? '/v1/jobs/validate' : '/v1/jobs', JSON.stringify(spec), {
          ...json,
          'idempotency-key': uniqueId('k'),
        });
        // /validate answers 200 with the errors for a spec it could parse; /jobs must refuse.
        if (validateOnly && r.status === 200) return (r.body as { valid?: boolean }).valid === false;
        return r.status >= 400 && r.status < 500;
      }),
      { numRuns: RUNS * 4, seed: 42 },
    );

    // Malformed requests: bodies, content types, headers, ids, queries.
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .string({ minLength: 1, maxLength: 50 })
            .filter((s) => {
              try {
                JSON.parse(s);
                return false;
              } catch {
                return true;
              }
            })
            .map((b) => ({ what: 'malformed JSON', m: 'POST', u: '/v1/jobs', b, h: json })),
          fc
            .constantFrom(
              'text/plain',
              'application/xml',
              'multipart/form-data; boundary=x',
              'application/x-www-form-urlencoded',
            )
            .map((ct) => ({
              what: `content-type ${ct}`,
              m: 'POST',
              u: '/v1/jobs',
              b: JSON.stringify(validSpec()),
              h: { 'content-type': ct },
            })),
          fc.string({ minLength: 1, maxLength: 40 }).map((id) => ({
            what: 'unknown or odd job id',
            m: 'GET',
            u: `/v1/jobs/${encodeURIComponent(`zz${id}`)}`,
            b: undefined,
            h: {},
          })),
          fc.constantFrom('pause', 'resume', 'cancel', 'recover').map((op) => ({
            what: `${op} unknown job`,
            m: 'POST',
            u: `/v1/jobs/job-does-not-exist/${op}`,
            b: '{}',
            h: json,
          })),
          fc
            .constantFrom('..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'a%00b', '%C3%BC')
            .map((id) => ({ what: 'path characters in id', m: 'GET', u: `/v1/jobs/${id}`, b: undefined, h: {} })),
          fc
            .oneof(
              fc.constant('status=bogus'),
              fc.constant('pageSize=-1'),
              fc.constant('pageSize=100000'),
              fc.constant('recoverable=maybe'),
              fc.constant('pageToken=%%%'),
            )
            .map((q) => ({ what: `list ${q}`, m: 'GET', u: `/v1/jobs?${q}`, b: undefined, h: {} })),
          fc.constantFrom('', 'x'.repeat(300), 'ünïcode', 'a\tb').map((k) => ({
            what: `idempotency key ${JSON.stringify(k).slice(0, 20)}`,
            m: 'POST',
            u: '/v1/jobs',
            b: JSON.stringify({ name: 'k', nodes: [] }),
            h: { ...json, 'idempotency-key': encodeURIComponent(k) === k ? k : k.replace(/[^\x20-\x7e]/g, '?') },
          })),
          fc.constant({ what: 'missing API key', m: 'GET', u: '/v1/jobs', b: undefined, h: { 'x-api-key': '' } }),
          fc.constant({
            what: 'body too large',
            m: 'POST',
            u: '/v1/jobs',
            b: JSON.stringify({ name: 'big', description: 'x'.repeat(2 * 1024 * 1024), nodes: [] }),
            h: json,
          }),
        ),
        async ({ what, m, u, b, h }) => {
          const r = await send(what, m, u, b, h);
          return r.status >= 400 && r.status < 500;
        },
      ),
      { numRuns: RUNS * 2, seed: 7 },
    );

    const fiveXX = sent.filter((s) => s.status >= 500);
    const badShape = sent.filter((s) => s.status >= 400 && !hasErrorShape(s.body));
    const notClientError = sent.filter((s) => s.status < 400 && !(s.url.endsWith('/validate') && s.status === 200));
    const byStatus: Record<number, number> = {};
    for (const s of sent) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
    console.log(`bad input: ${sent.length} requests; by status ${JSON.stringify(byStatus)}`);

    expect(sent.length).toBeGreaterThanOrEqual(200);
    expect(fiveXX.map((s) => `${s.what} → ${s.status}`)).toEqual([]);
    expect(badShape.map((s) => `${s.what} → ${s.status} ${JSON.stringify(s.body).slice(0, 200)}`)).toEqual([]);
    expect(notClientError.map((s) => `${s.what} → ${s.status}`)).toEqual([]);

    // Alive, and nothing started.
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    const after = (await t.client.workflow.count('')).count;
    expect(after).toBe(before);
  });
});

function hasErrorShape(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const e = (body as { error: unknown }).error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { code?: unknown }).code === 'string' &&
    typeof (e as { message?: unknown }).message === 'string' &&
    Array.isArray((e as { details?: unknown }).details)
  );
}
