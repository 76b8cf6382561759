// Attacks on the API's smaller edges (issue 10, "Smaller"): a forged page token, a tag with `\` or
// `"`, `?api_key=` anywhere but the SSE route (a path that merely ends in /events, the WebSocket
// stream), a workflow input over Temporal's payload
// limit. Each answers a precise 4xx, never a 500 (and never after a 20 s retry loop).
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import type { ErrorBody } from '../../src/http/contracts';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack({
    workers: false,
    env: (tmp) => {
      const data = path.join(tmp, 'data');
      fs.mkdirSync(path.join(data, 'alice'), { recursive: true });
      // 900 KB of config each: three nodes make a workflow input over Temporal's 2 MiB payload limit.
      fs.writeFileSync(
        path.join(data, 'alice', 'big.json'),
        JSON.stringify({ configFile: { blob: 'x'.repeat(900_000) } }),
      );
      return { TRAINYARD_DATA_ROOT: data };
    },
  });
}, 180_000);
afterAll(async () => s?.stop());

const A = KEYS.alice;
const cmdJob = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  ...extra,
  nodes: [{ id: 'a', type: 'command', config: { command: ['node', '-e', ''] } }],
});

describe('page tokens', () => {
  it.each(['AAAA', 'eyJ4IjoxfQ', '____', 'a'.repeat(300)])(
    'when GET /v1/jobs?pageToken=%s (not a token the API gave out), then 400 invalid_page_token',
    async (token) => {
      const r = await apiCall(s, 'GET', `/v1/jobs?pageToken=${token}`, A);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('invalid_page_token');
      expect(r.body.error.details[0].path).toBe('query.pageToken');
    },
  );

  it('when a token the API gave out is sent back, then the next page is served', async () => {
    for (let i = 0; i < 3; i++) expect((await apiCall(s, 'POST', '/v1/jobs', A, cmdJob(`page-${i}`))).status).toBe(201);
    const first = await waitFor(async () => {
      const r = await apiCall(s, 'GET', '/v1/jobs?pageSize=1', A);
      return r.body.nextPageToken ? r : undefined;
    });
    const next = await apiCall(s, 'GET', `/v1/jobs?pageSize=1&pageToken=${first.body.nextPageToken}`, A);
    expect(next.status).toBe(200);
    expect(next.body.jobs).toHaveLength(1);
    expect(next.body.jobs[0].id).not.toBe(first.body.jobs[0].id);
  });
});

describe('tags in visibility queries', () => {
  it.each(['back\\slash', 'quo"te', "it's", "a\\'b", 'end\\'])(
    'when a job is tagged %j, then ?tag= finds it (and only it)',
    async (tag) => {
      const created = await apiCall(s, 'POST', '/v1/jobs', A, cmdJob('tagged', { tags: [tag, 'other'] }));
      expect(created.status).toBe(201);
      const found = await waitFor(async () => {
        const r = await apiCall(s, 'GET', `/v1/jobs?tag=${encodeURIComponent(tag)}`, A);
        expect(r.status).toBe(200);
        return r.body.jobs.some((j: { id: string }) => j.id === created.body.id) ? r : undefined;
      });
      for (const j of found.body.jobs) expect(j.tags).toContain(tag);
    },
  );
});

describe('?api_key= only where a browser needs it', () => {
  it('when api_key is given on an artifact path ending in /events, then it is not accepted (401)', async () => {
    const r = await apiCall(s, 'GET', `/v1/jobs/some-job/artifacts/c/events?api_key=${A}`, undefined);
    expect(r.status).toBe(401);
  });

  it('when api_key is given on a job URL ending in /events that is not the SSE route, then it is not accepted', async () => {
    const r = await apiCall(s, 'GET', `/v1/jobs/some-job/logs/events?api_key=${A}`, undefined);
    expect([401, 404]).toContain(r.status);
    expect(r.status === 404 ? r.body.error.code : 'unauthorized').not.toBe('job_not_found');
  });

  it('when api_key is given on the SSE events route, then the caller is authenticated (here: 404 for a job that does not exist)', async () => {
    const r = await apiCall(s, 'GET', `/v1/jobs/no-such-job/events?api_key=${A}`, undefined);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('job_not_found');
  });

  it('when a valid X-API-Key header comes with an api_key in the query on another route, then 401 naming the header to use', async () => {
    const r = await apiCall(s, 'GET', `/v1/jobs?api_key=${A}`, A);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect(r.body.error.message).toContain('X-API-Key header');
    expect(r.body.error.details).toEqual([{ path: 'query.api_key', message: expect.stringContaining('X-API-Key') }]);
  });

  it('when api_key is given in the query of the WebSocket stream, then the upgrade is refused with 401 naming the header to use', async () => {
    const r = await upgrade(`/v1/jobs/no-such-job/stream?api_key=${A}`);
    expect(r.status).toBe(401);
    const body = JSON.parse(r.body) as ErrorBody;
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.message).toContain('X-API-Key header');
    expect(body.error.details[0]?.path).toBe('query.api_key');
  });

  it('when the WebSocket stream gets the key in the X-API-Key header, then the caller is authenticated (here: 404 for a job that does not exist)', async () => {
    const r = await upgrade('/v1/jobs/no-such-job/stream', { 'x-api-key': A });
    expect(r.status).toBe(404);
    expect((JSON.parse(r.body) as ErrorBody).error.code).toBe('job_not_found');
  });
});

/** A WebSocket upgrade that is expected to be refused: its HTTP status and body. */
function upgrade(
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.api.url.replace('http', 'ws')}${pathAndQuery}`, { headers });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

describe('workflow inputs over Temporal payload limits', () => {
  it('when configPath files make the snapshot larger than the 2 MiB payload limit, then it is stored by reference and read back whole', async () => {
    const spec = {
      name: 'too-large',
      nodes: ['a', 'b', 'c'].map((id, i) => ({
        id,
        type: 'command',
        dependsOn: i ? ['a'] : [],
        configPath: 'alice/big.json',
        config: { command: ['node', '-e', ''] },
      })),
    };
    const r = await apiCall(s, 'POST', '/v1/jobs', A, spec);
    // The snapshot no longer has to fit in the workflow input (content-addressed in the store, loaded by hash).
    expect(r.status).toBe(201);
    const id: string = r.body.id;
    const back = await apiCall(s, 'GET', `/v1/jobs/${id}/spec`, A);
    expect(back.status).toBe(200);
    expect(back.text.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(back.text).toContain('xxxxxxxx');
    await apiCall(s, 'POST', `/v1/jobs/${id}/cancel`, A, {});
  });
});

describe('error lists', () => {
  it('when a spec has thousands of problems, then the answer lists the first 100 and counts the rest', async () => {
    const nodes = Array.from({ length: 3000 }, () => ({ id: 'A', type: 'nope' }));
    const r = await apiCall(s, 'POST', '/v1/jobs/validate', A, { name: 'many', nodes });
    expect(r.status).toBe(400);
    const details: { path: string; message: string }[] = r.body.error.details;
    expect(details).toHaveLength(101);
    expect(details[100]!.path).toBe('(more)');
    expect(details[100]!.message).toMatch(/^\d+ more problems not listed \(\d+ in all\)$/);
    expect(r.text.length).toBeLessThan(64 * 1024);
  });
});
