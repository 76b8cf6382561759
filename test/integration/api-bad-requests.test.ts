// Bad input never gets a stack trace or a 5xx: a table of bad requests, each with its expected
// status and error code, against the real API on a real dev server. Plus the OpenAPI document.
import SwaggerParser from '@apidevtools/swagger-parser';
import { ROUTES, openApiPath } from '../../src/http/routes';
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';
import { OpenApiResponseCheck } from '../helpers/openapi-check';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack({ workers: false });
}, 120_000);
afterAll(async () => s?.stop());

interface Case {
  name: string;
  method?: string;
  path: string;
  key?: string | null;
  /** A JSON value (stringified) or a raw string body. */
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const A = KEYS.alice;
const spec = irisPipeline('bad');
const withNode = (patch: Record<string, unknown>, i = 0) => ({
  ...spec,
  nodes: spec.nodes.map((n, j) => (j === i ? { ...n, ...patch } : n)),
});
const deep = (n: number): unknown => (n === 0 ? 1 : { a: deep(n - 1) });

const cases: Case[] = [
  { name: 'no API key', path: '/v1/jobs', key: null, status: 401, code: 'unauthorized' },
  { name: 'wrong API key', path: '/v1/jobs', key: 'not-a-key-123', status: 401, code: 'unauthorized' },
  { name: 'absurdly long API key', path: '/v1/jobs', key: 'k'.repeat(2000), status: 401, code: 'unauthorized' },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v1/jobs',
    raw: '{"name": ',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'JSON with trailing garbage',
    method: 'POST',
    path: '/v1/jobs',
    raw: '{"name":"x"} x',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'a JSON string, not an object',
    method: 'POST',
    path: '/v1/jobs',
    raw: '"job"',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'JSON null',
    method: 'POST',
    path: '/v1/jobs',
    raw: 'null',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'text/plain body',
    method: 'POST',
    path: '/v1/jobs',
    raw: JSON.stringify(spec),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form body',
    method: 'POST',
    path: '/v1/jobs',
    raw: 'name=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'unsupported charset',
    method: 'POST',
    path: '/v1/jobs',
    raw: JSON.stringify(spec),
    headers: { 'content-type': 'application/json; charset=latin1' },
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'empty body', method: 'POST', path: '/v1/jobs', status: 400, code: 'missing_body' },
  {
    name: 'body over the size limit',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, description: 'x'.repeat(300_000) },
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'unknown top-level field',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, owner: 'mallory' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown node field',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ image: 'x' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: '__proto__ key',
    method: 'POST',
    path: '/v1/jobs',
    raw: `{"name":"p","__proto__":{"admin":true},"nodes":[]}`,
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'forbidden_key',
  },
  {
    name: 'constructor key in a config',
    method: 'POST',
    path: '/v1/jobs',
    raw: JSON.stringify(withNode({ config: { constructor: { prototype: 1 } } })),
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'forbidden_key',
  },
  {
    name: 'nested 100 levels deep',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ config: deep(100) }),
    status: 400,
    code: 'too_deep',
  },
  { name: 'an array body', method: 'POST', path: '/v1/jobs', json: [spec], status: 400, code: 'validation_failed' },
  {
    name: 'no nodes',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, nodes: [] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'name of the wrong type',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, name: 42 },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'name of 10,000 characters',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, name: 'n'.repeat(10_000) },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'absurd priority',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, priority: 1e308 },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'number that overflows to Infinity',
    method: 'POST',
    path: '/v1/jobs',
    raw: JSON.stringify({ ...spec, parallelism: 1 }).replace('"parallelism":1', '"parallelism":1e400'),
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'negative parallelism',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, parallelism: -1 },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'fractional GPU count',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ resources: { gpus: 0.5 } }, 3),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unicode node id',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ id: 'данные' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'emoji node id',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ id: 'data🚀' }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'duplicate node ids',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, nodes: [...spec.nodes, spec.nodes[0]] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a cycle',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ dependsOn: ['eval'] }, 0),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a dangling dependency',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ dependsOn: ['ghost'] }, 1),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'an unknown node type',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ type: 'deploy' }, 4),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a bad duration',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ timeout: { startToClose: '5 years' } }),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a bad per-type config',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ config: { testSize: 0.9 } }, 1),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'a command not on the allowlist',
    method: 'POST',
    path: '/v1/jobs',
    json: { name: 'c', nodes: [{ id: 'c', type: 'command', config: { command: ['rm', '-rf', '/'] } }] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'configPath escaping its folder',
    method: 'POST',
    path: '/v1/jobs',
    json: withNode({ config: undefined, configPath: '../../etc/passwd' }, 3),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'an absolute outputDir',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, outputDir: '/etc' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'too many tags',
    method: 'POST',
    path: '/v1/jobs',
    json: { ...spec, tags: Array.from({ length: 100 }, (_, i) => `t${i}`) },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'single-job form with a bad jobType',
    method: 'POST',
    path: '/v1/jobs',
    json: { jobType: 'magic', config: {} },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'an overlong Idempotency-Key',
    method: 'POST',
    path: '/v1/jobs',
    json: spec,
    headers: { 'idempotency-key': 'k'.repeat(300) },
    status: 400,
    code: 'invalid_idempotency_key',
  },
  {
    name: 'validate: malformed JSON',
    method: 'POST',
    path: '/v1/jobs/validate',
    raw: '{',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'malformed_json',
  },
  {
    name: 'validate: a cycle',
    method: 'POST',
    path: '/v1/jobs/validate',
    json: withNode({ dependsOn: ['eval'] }, 0),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown job',
    path: '/v1/jobs/job-00000000-0000-0000-0000-000000000000',
    status: 404,
    code: 'job_not_found',
  },
  { name: 'unicode job id', path: '/v1/jobs/%E2%9C%93-job', status: 400, code: 'invalid_job_id' },
  { name: 'job id with path characters', path: '/v1/jobs/..%2F..%2Fetc%2Fpasswd', status: 400, code: 'invalid_job_id' },
  { name: 'job id with a NUL', path: '/v1/jobs/job%00x', status: 400, code: 'invalid_job_id' },
  { name: 'job id of 500 characters', path: `/v1/jobs/${'j'.repeat(500)}`, status: 400, code: 'invalid_job_id' },
  { name: 'list: unknown status', path: '/v1/jobs?status=exploded', status: 400, code: 'invalid_request' },
  { name: 'list: absurd pageSize', path: '/v1/jobs?pageSize=1e9', status: 400, code: 'invalid_request' },
  { name: 'list: pageSize not a number', path: '/v1/jobs?pageSize=ten', status: 400, code: 'invalid_request' },
  { name: 'list: unknown query parameter', path: '/v1/jobs?sort=asc', status: 400, code: 'invalid_request' },
  {
    name: 'list: repeated status',
    path: '/v1/jobs?status=running&status=failed',
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'list: pageToken with bad characters',
    path: '/v1/jobs?pageToken=%3Cscript%3E',
    status: 400,
    code: 'invalid_request',
  },
  { name: "list: another owner's jobs without admin", path: '/v1/jobs?owner=bob', status: 403, code: 'forbidden' },
  {
    name: 'pause: unknown mode',
    method: 'POST',
    path: '/v1/jobs/job-x/pause',
    json: { mode: 'later' },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'pause: text/plain body',
    method: 'POST',
    path: '/v1/jobs/job-x/pause',
    raw: 'now',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'recover: fromNode of the wrong type',
    method: 'POST',
    path: '/v1/jobs/job-x/recover',
    json: { fromNode: 5 },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'resume: unknown field',
    method: 'POST',
    path: '/v1/jobs/job-x/resume',
    json: { force: true },
    status: 400,
    code: 'invalid_request',
  },
  { name: 'cancel: unknown job', method: 'POST', path: '/v1/jobs/job-nope/cancel', status: 404, code: 'job_not_found' },
  { name: 'logs: node missing', path: '/v1/jobs/job-x/logs', status: 400, code: 'invalid_request' },
  {
    name: 'logs: node with path characters',
    path: '/v1/jobs/job-x/logs?node=..%2F..%2Fsecret',
    status: 400,
    code: 'invalid_request',
  },
  { name: 'artifacts: unknown job', path: '/v1/jobs/job-nope/artifacts', status: 404, code: 'job_not_found' },
  { name: 'stream without a WebSocket upgrade', path: '/v1/jobs/job-x/stream', status: 426, code: 'upgrade_required' },
  { name: 'unknown route', path: '/v1/nothing-here', status: 404, code: 'route_not_found' },
  { name: 'unsupported method', method: 'DELETE', path: '/v1/jobs', status: 404, code: 'route_not_found' },
  { name: 'docs without basic auth', path: '/docs', key: null, status: 401, code: 'unauthorized' },
  {
    name: 'docs with a wrong password',
    path: '/docs',
    key: null,
    headers: { authorization: `Basic ${Buffer.from('docs:nope').toString('base64')}` },
    status: 401,
    code: 'unauthorized',
  },
];

describe('bad requests', () => {
  test('the table has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  test.each(cases.map((c) => [c.name, c] as const))(
    'when %s, then the expected status and code, no stack trace',
    async (_name, c) => {
      const headers: Record<string, string> = { ...(c.key !== null && { 'x-api-key': c.key ?? A }), ...c.headers };
      let body: string | undefined = c.raw;
      if (c.json !== undefined) {
        body = JSON.stringify(c.json);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${s.api.url}${c.path}`, { method: c.method ?? 'GET', headers, body });
      const text = await res.text();
      expect({ status: res.status, text: text.slice(0, 300) }).toMatchObject({ status: c.status });
      const json = JSON.parse(text) as {
        error: { code: string; message: string; details: { path: string; message: string }[] };
      };
      expect(json.error.code).toBe(c.code);
      expect(typeof json.error.message).toBe('string');
      expect(Array.isArray(json.error.details)).toBe(true);
      expect(text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    },
  );

  test('when validation fails, then every error comes back with its path at once', async () => {
    const bad = {
      ...spec,
      priority: 9,
      nodes: [spec.nodes[0], { ...spec.nodes[1], dependsOn: ['ghost'] }, { ...spec.nodes[2], id: 'BAD ID' }],
    };
    const res = await fetch(`${s.api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': A, 'content-type': 'application/json' },
      body: JSON.stringify(bad),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    const paths = body.error.details.map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['priority', 'nodes[1].dependsOn[0]', 'nodes[2].id']));
  });

  test.each([
    [
      'a command executable not on the allowlist',
      { name: 'c', nodes: [{ id: 'c', type: 'command', config: { command: ['bash', '-c', 'echo hi'] } }] },
      'nodes[0].config.command[0]',
      /"bash".*allow/,
    ],
    [
      'a node asking for more GPUs than any pool has',
      withNode({ resources: { gpus: 3 } }, 3),
      'nodes[3].resources',
      /3 GPUs.*largest pool "default" has 2 GPUs of 16 GB/,
    ],
    [
      'a node asking for more GPU memory than any pool has',
      withNode({ resources: { gpus: 1, gpuMemoryGb: 40 } }, 3),
      'nodes[3].resources',
      /40 GB.*largest pool "default" has 2 GPUs of 16 GB/,
    ],
  ])('when %s is submitted, then 400 names the field and no workflow starts', async (_name, body, path, message) => {
    const before = (await s.t.client.workflow.count()).count;
    const res = await fetch(`${s.api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': A, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: { details: { path: string; message: string }[] } };
    expect(json.error.details).toEqual([expect.objectContaining({ path })]);
    expect(json.error.details[0]!.message).toMatch(message);
    expect((await s.t.client.workflow.count()).count).toBe(before);
  });

  test('after all that, /healthz answers and no 5xx was counted', async () => {
    const res = await fetch(`${s.api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    const metrics = await fetch(`${s.api.url}/metrics`).then((r) => r.text());
    expect(metrics).not.toMatch(/status="5\d\d"/);
  });

  test('when /readyz is asked with no workers, then 503 names the missing pollers', async () => {
    const res = await fetch(`${s.api.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { missing: string[]; temporal: { reachable: boolean } };
    expect(body.temporal.reachable).toBe(true);
    expect(body.missing).toEqual(
      expect.arrayContaining([
        `pollers on workflow task queue ${s.prefix}-workflows`,
        `pollers on activity task queue ${s.prefix}-workflows`,
      ]),
    );
  });
});

describe('OpenAPI', () => {
  test('when /openapi.json is fetched, then it validates and covers every route of the app', async () => {
    const doc = (await fetch(`${s.api.url}/openapi.json`).then((r) => r.json())) as {
      paths: Record<string, Record<string, unknown>>;
    };
    await SwaggerParser.validate(structuredClone(doc) as never);
    const routes: string[] = [];
    const walk = (stack: any[]) => {
      for (const layer of stack) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) routes.push(`${m} ${layer.route.path}`);
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((s.api.app as any).router.stack);
    expect(routes.length).toBeGreaterThan(15);
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)),
    );
    const missing = routes.map((r) => r.replace(/[:*](\w+)/g, '{$1}')).filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
    // …and the document is the route table: every declared route is served, nothing else is documented.
    const table = Object.values(ROUTES).map((r) => `${r.method} ${openApiPath(r.path)}`);
    expect([...documented].sort()).toEqual([...table].sort());
    expect(new Set(routes.map((r) => r.replace(/[:*](\w+)/g, '{$1}')))).toEqual(new Set(table));
    // Every response the API tests get is checked against the document (api-stack: OpenApiResponseCheck).
    expect(s.responses.seen.get('openapi 200')).toBeGreaterThan(0);
  });

  test('when a response does not match its declared schema, then the check reports it', () => {
    const check = new OpenApiResponseCheck();
    check.observe('getJob', 200, { id: 'j' });
    check.observe('healthz', 200, { status: 'ok', extra: 1 });
    check.observe('healthz', 201, { status: 'ok' });
    check.observe(undefined, 404, { error: { code: 'route_not_found', message: 'y', details: [] } });
    // A code that is not one of the contract's ErrorCode.
    check.observe(undefined, 404, { error: { code: 'x', message: 'y', details: [] } });
    expect(check.failures).toEqual([
      expect.stringMatching(/^getJob 200: .*required property/),
      expect.stringMatching(/^healthz 200: .*additional properties/),
      'healthz 201: status not declared in the route table',
      expect.stringMatching(/^\(none\) 404: .*error\/code must be equal to one of the allowed values/),
    ]);
  });

  test('when the docs page is opened with basic auth, then it and its assets are served locally', async () => {
    const auth = { authorization: `Basic ${Buffer.from('docs:docs-secret').toString('base64')}` };
    const page = await fetch(`${s.api.url}/docs`, { headers: auth });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(`${s.api.url}/docs/assets/swagger-ui-bundle.js`, { headers: auth });
    expect(js.status).toBe(200);
    const noAuth = await fetch(`${s.api.url}/docs/assets/swagger-ui-bundle.js`);
    expect(noAuth.status).toBe(401);
  });
});
