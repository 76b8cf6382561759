// GET /v1/jobs/:id/nodes against a real stack: a 1,200-node job read a page at a time (every node
// once, in spec order, each page under 512 KiB), the status filter, field-named 400s for a bad
// pageSize / status / token, a token used with another filter, and owner isolation; the same job
// through the TypeScript SDK's iterator and the CLI's `trainyard nodes`.
import { JOB_NODE_PAGE_MAX_BYTES, JobNodePage, NodeView } from '../../src/http/contracts';
import { ApiRequestError, TrainyardClient } from '../../src/sdk/api-client';
import { KEYS, apiCall, jobEnd, startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli } from '../helpers/cli';
import { Recorder, testActivities } from '../helpers/job-harness';

const NODES = 1_200;
const FAILING = 'n0007';
const ids = Array.from({ length: NODES }, (_, i) => `n${String(i).padStart(4, '0')}`);

let s: ApiStack;
let jobId: string;
beforeAll(async () => {
  s = await startApiStack({ activities: testActivities(new Recorder()) });
  // No-op nodes, all after the first (a DAG has no orphans); one fails on its only attempt, so the job
  // has a status worth filtering by.
  const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
    name: 'many-nodes',
    parallelism: 200,
    nodes: ids.map((id) => ({
      id,
      type: 'command',
      ...(id !== ids[0] && { dependsOn: [ids[0]] }),
      config: { command: ['node', '-e', 'null'], env: id === FAILING ? { TEST_FAIL_TIMES: '1' } : {} },
      retry: { maxAttempts: 1 },
    })),
  });
  expect({ status: created.status, error: created.body.error }).toEqual({ status: 201, error: undefined });
  jobId = created.body.id;
  await jobEnd(s, jobId, KEYS.alice, 240_000);
}, 300_000);
afterAll(async () => s?.stop());

async function page(query: string, key = KEYS.alice) {
  return apiCall(s, 'GET', `/v1/jobs/${jobId}/nodes${query}`, key);
}

/** Every page from the first, following nextPageToken (and checking each page's size). */
async function allPages(query: Record<string, string>): Promise<JobNodePage[]> {
  const pages: JobNodePage[] = [];
  let token: string | undefined;
  do {
    const q = new URLSearchParams({ ...query, ...(token && { pageToken: token }) });
    const r = await page(`?${q}`);
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.text)).toBeLessThan(JOB_NODE_PAGE_MAX_BYTES);
    const p = JobNodePage.parse(r.body);
    pages.push(p);
    token = p.nextPageToken;
    if (pages.length > 50) throw new Error('pages do not end');
  } while (token);
  return pages;
}

test('when a 1,200-node job is paged 500 at a time, then 3 pages hold every node once, in spec order', async () => {
  const pages = await allPages({ pageSize: '500' });
  expect(pages.map((p) => p.nodes.length)).toEqual([500, 500, 200]);
  for (const p of pages) {
    expect(p).toMatchObject({ jobId, total: NODES, source: 'query' });
  }
  expect(pages.flatMap((p) => p.nodes.map((n) => n.id))).toEqual(ids);
  // The nodes are the job view's nodes: errors without the worker's stack.
  const failed = pages.flatMap((p) => p.nodes).find((n) => n.id === FAILING);
  expect(failed).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/planned failure/) } });
  expect(failed?.error?.stack).toBeUndefined();
  // 500 nodes with their outputs fit a page.
  expect(pages.every((p) => p.trimmed === undefined)).toBe(true);
  expect(pages[0]!.nodes.find((n) => n.id === 'n0001')?.output?.summary).toMatchObject({ node: 'n0001' });
});

test('when pageSize is left out, then pages hold 500 nodes', async () => {
  const r = await page('');
  expect(r.status).toBe(200);
  expect(r.body.nodes).toHaveLength(500);
  expect(r.body.nextPageToken).toEqual(expect.any(String));
});

test('when a status filter is given, then only those nodes come back and total counts them', async () => {
  const view = await apiCall(s, 'GET', `/v1/jobs/${jobId}`, KEYS.alice);
  const completed = view.body.counts.completed as number;
  expect(completed).toBe(NODES - 1);

  const failed = await allPages({ status: 'failed' });
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ total: 1, nodes: [{ id: FAILING, status: 'failed' }] });

  const done = await allPages({ status: 'completed', pageSize: '1000' });
  expect(done.map((p) => p.nodes.length)).toEqual([1000, completed - 1000]);
  // 1,000 completed nodes with their outputs would be over the page budget: they come without.
  expect(done[0]).toMatchObject({ trimmed: 'outputs' });
  expect(done[0]!.nodes.some((n) => n.output !== undefined)).toBe(false);
  expect(done.flatMap((p) => p.nodes).every((n) => n.status === 'completed')).toBe(true);
  expect(done[0]!.total).toBe(completed);

  const both = await allPages({ status: 'failed,completed', pageSize: '1000' });
  expect(both[0]!.total).toBe(NODES);
  expect(both.flatMap((p) => p.nodes.map((n) => n.id))).toEqual(ids);
});

test('when pageSize, status or pageToken is bad, then 400 names the field', async () => {
  for (const q of ['?pageSize=0', '?pageSize=1001', '?pageSize=ten']) {
    const r = await page(q);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toContain('query.pageSize');
  }
  for (const q of ['?status=bogus', '?status=failed,bogus', '?status=']) {
    const r = await page(q);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.details[0].path).toMatch(/^query\.status/);
  }
  const garbage = await page('?pageToken=AAAA');
  expect(garbage.status).toBe(400);
  expect(garbage.body.error).toMatchObject({ code: 'invalid_page_token', details: [{ path: 'query.pageToken' }] });
  const unknown = await page('?pageSize=1&foo=1');
  expect(unknown.status).toBe(400);
});

test('when a token is used with another status filter, then 400 invalid_page_token', async () => {
  const first = await page('?pageSize=100&status=completed');
  expect(first.status).toBe(200);
  const token = first.body.nextPageToken as string;
  expect((await page(`?pageSize=100&status=completed&pageToken=${token}`)).status).toBe(200);
  for (const q of ['', '&status=failed', '&status=completed,failed']) {
    const r = await page(`?pageSize=100&pageToken=${token}${q}`);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_page_token');
  }
});

test("when another tenant asks for the job's nodes, then 404 as for the job; an admin key reads them", async () => {
  const other = await page('?pageSize=10', KEYS.bob);
  expect(other.status).toBe(404);
  expect(other.body.error.code).toBe('job_not_found');
  expect((await apiCall(s, 'GET', `/v1/jobs/${jobId}`, KEYS.bob)).status).toBe(404);
  const admin = await page('?pageSize=10', KEYS.admin);
  expect(admin.status).toBe(200);
  expect(admin.body.total).toBe(NODES);
  const missing = await apiCall(s, 'GET', '/v1/jobs/no-such-job/nodes', KEYS.alice);
  expect(missing.status).toBe(404);
});

test('when the SDK iterates the nodes, then it yields every node once across pages; a bad status is an ApiRequestError', async () => {
  const client = new TrainyardClient({ url: s.api.url, apiKey: KEYS.alice });
  const seen: string[] = [];
  for await (const n of client.jobNodes(jobId, { pageSize: 300 })) seen.push(n.id);
  expect(seen).toEqual(ids);
  const failed = await client.listJobNodes(jobId, { status: ['failed', 'cancelled'] });
  expect(failed).toMatchObject({ total: 1, nodes: [{ id: FAILING }] });
  const err = await client.listJobNodes(jobId, { status: 'nope' as never }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiRequestError);
  expect((err as ApiRequestError).details[0]?.path).toMatch(/^query\.status/);
});

describe('trainyard nodes', () => {
  const cli = (args: string[]) => runCli(s.api.url, ['nodes', jobId, ...args]);

  test('when asked for failed nodes, then it prints them in a table with the count', async () => {
    const r = await cli(['--status', 'failed']);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toMatch(new RegExp(`${FAILING}\\s.*command.*failed.*planned failure`));
    expect(r.out).toMatch(/^1 of 1 node \(failed\)$/m);
    expect(r.out).not.toMatch(/more:/);
  });

  test('when a page is not the last, then it says how to get the next; --all prints every page', async () => {
    const one = await cli(['--page-size', '1000']);
    expect(one.code).toBe(0);
    const tail = one.out.trim().split('\n').slice(-2).join('\n');
    expect(tail).toMatch(/^1000 of 1200 nodes$/m);
    const more = /more: trainyard nodes \S+ --page-size 1000 --page-token (\S+)/.exec(tail);
    expect(more).not.toBeNull();
    const next = await cli(['--page-size', '1000', '--page-token', more![1]!]);
    expect(next.out.trim().split('\n').slice(-1)[0]).toBe('200 of 1200 nodes');

    const all = await cli(['--all', '--json', '--page-size', '500']);
    expect(all.code).toBe(0);
    const nodes = all.out
      .trim()
      .split('\n')
      .map((l) => NodeView.parse(JSON.parse(l)));
    expect(nodes.map((n) => n.id)).toEqual(ids);
  });

  test('when --status or --page-size is bad, then it exits non-zero naming the flag, before any request', async () => {
    const status = await cli(['--status', 'failed,bogus']);
    expect(status.code).not.toBe(0);
    expect(status.err).toMatch(/--status failed,bogus: expected one or more of pending\|/);
    const size = await cli(['--page-size', '5000']);
    expect(size.code).not.toBe(0);
    expect(size.err).toMatch(/--page-size 5000: expected a number of nodes from 1 to 1000/);
  });

  test("when another tenant's key is used, then it fails as for an unknown job", async () => {
    const r = await runCli(s.api.url, ['nodes', jobId], { TRAINYARD_API_KEY: KEYS.bob });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/job_not_found|not found/i);
  });
});
