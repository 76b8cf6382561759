// The TypeScript SDK (src/sdk/api-client.ts) against the real API: every call the Python client
// makes, with responses parsed through the route table's schemas; errors carry the API's code and
// field paths; a response that does not match its declared schema is refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiConnectionError, ApiRequestError, ApiResponseError, TrainyardClient } from '../../src/sdk/api-client';
import type { StreamMessage } from '../../src/http/contracts';
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';

let s: ApiStack;
let client: TrainyardClient;
beforeAll(async () => {
  s = await startApiStack();
  client = new TrainyardClient({ url: `${s.api.url}/`, apiKey: KEYS.alice });
}, 180_000);
afterAll(async () => s?.stop());

const commandJob = (name: string, script: string) => ({
  name,
  tags: ['sdk'],
  nodes: [{ id: 'run', type: 'command', config: { command: ['node', '-e', script] } }],
});

describe('TrainyardClient', () => {
  let jobId: string;

  test('when a job is executed, then it resolves with the final view, and spec, logs, metrics and artifacts read back', async () => {
    const script =
      "for (let i = 1; i <= 3; i++) console.log('TRAINYARD_PROGRESS ' + JSON.stringify({ epoch: i, loss: 1 / i })); console.log('done here')";
    const { created, job } = await client.execute(commandJob('sdk-exec', script), { idempotencyKey: 'sdk-exec-1' });
    jobId = created.id;
    expect(created.created).toBe(true);
    expect(job.status).toBe('completed');
    expect(job.nodes.map((n) => [n.id, n.status])).toEqual([['run', 'completed']]);

    const again = await client.submit(commandJob('sdk-exec', script), { idempotencyKey: 'sdk-exec-1' });
    expect(again).toMatchObject({ id: jobId, created: false });

    const spec = await client.getJobSpec(jobId);
    expect(spec.spec.name).toBe('sdk-exec');

    const lines: string[] = [];
    for await (const l of client.logs(jobId, 'run')) lines.push(l);
    expect(lines).toContain('done here');

    const metrics = await client.nodeMetrics(jobId, 'run');
    expect(metrics.points.map((p) => p.epoch)).toEqual([1, 2, 3]);

    const artifacts = await client.listArtifacts(jobId);
    expect(artifacts.length).toBeGreaterThan(0);
    const bytes = await client.download(jobId, artifacts[0]!.path);
    expect(bytes.byteLength).toBe(artifacts[0]!.size);

    const config = await client.serverConfig();
    expect(config.queuePrefix).toBe(s.prefix);
  }, 120_000);

  test('when a finished job is watched, then the stream opens, snapshots it and ends with its final event', async () => {
    let opened = false;
    const seen: StreamMessage['type'][] = [];
    for await (const m of client.watch(jobId, { onOpen: () => (opened = true) })) seen.push(m.type);
    expect(opened).toBe(true);
    expect(seen.at(-1)).toBe('job_completed');
  }, 60_000);

  test('when jobs are listed with a small page size, then every page is fetched', async () => {
    await client.submit(commandJob('sdk-second', 'console.log(1)'));
    const ids: string[] = [];
    for await (const j of client.jobs({ tag: 'sdk', pageSize: 1 })) ids.push(j.id);
    expect(ids).toContain(jobId);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    const page = await client.listJobs({ tag: 'sdk', pageSize: 1 });
    expect(page.jobs).toHaveLength(1);
  }, 60_000);

  test('when a request is refused, then ApiRequestError carries the status, code and every field path', async () => {
    const invalid = await client
      .validate({ name: 'bad', nodes: [{ id: 'a', type: 'split', dependsOn: ['ghost'] }] })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ApiRequestError);
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((invalid as ApiRequestError).details.map((d) => d.path)).toContain('nodes[0].dependsOn[0]');

    await expect(client.getJob('job-nope')).rejects.toMatchObject({ status: 404, code: 'job_not_found' });
    await expect(client.resume(jobId)).rejects.toMatchObject({ status: 409, code: 'illegal_transition' });
    const stranger = new TrainyardClient({ url: s.api.url, apiKey: 'wrong-key-123' });
    await expect(stranger.listJobs()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  }, 60_000);

  test('when the API is not there, then the error is an ApiConnectionError with the system code', async () => {
    const down = new TrainyardClient({ url: 'http://127.0.0.1:59998' });
    const err = await down.getJob('job-x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiConnectionError);
    expect((err as ApiConnectionError).code).toBe('ECONNREFUSED');
  });

  test('when a server answers with a body its route does not declare, then the client refuses it', async () => {
    const liar = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'job-1', status: 'exploded' }));
    });
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    try {
      const c = new TrainyardClient({ url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}` });
      const err = await c.getJob('job-1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiResponseError);
      expect((err as Error).message).toMatch(/getJob: unexpected response \(HTTP 200\): .*status/);
    } finally {
      await new Promise((r) => liar.close(r));
    }
  });
});
