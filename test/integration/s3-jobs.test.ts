// Jobs on the S3 store (MinIO, a real separate process): every step reads and writes through the
// bucket, the command step works in a local workspace (inputs materialised, outputs published),
// and the API lists, serves and verifies every artifact and log from the bucket. Nothing is
// written under the local artifact root. /readyz names a missing bucket.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startApiServer } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { KEYS, irisPipeline, startApiStack, type ApiStack } from '../helpers/api-stack';
import { minioAvailable, startTestMinio, type TestMinio } from '../helpers/minio';
import { waitFor } from '../helpers/temporal';

const run = minioAvailable() ? describe : describe.skip;

// The command reads its upstream dataset from the local copy JOB_INPUT names, writes outputs and a
// checkpoint into JOB_OUTPUT_DIR and prints log lines.
const SCRIPT = [
  "const fs = require('fs'); const path = require('path'); const { fileURLToPath } = require('url');",
  'const input = JSON.parse(process.env.JOB_INPUT);',
  'const ds = input.upstream.data.refs.dataset;',
  'const rows = JSON.parse(fs.readFileSync(fileURLToPath(ds.uri), "utf8")).rowIds.length;',
  'const out = process.env.JOB_OUTPUT_DIR;',
  'fs.mkdirSync(path.join(out, "report"), { recursive: true });',
  'fs.writeFileSync(path.join(out, "report", "rows.txt"), String(rows));',
  'fs.writeFileSync(path.join(out, "ckpt.json"), JSON.stringify({ step: 1 }));',
  'console.log("TRAINYARD_PROGRESS " + JSON.stringify({ percent: 50, checkpoint: "ckpt.json" }));',
  'console.log("counted " + rows + " rows");',
  'console.log("TRAINYARD_RESULT " + JSON.stringify({ rows, storeUri: ds.storeUri }));',
].join('\n');

run('jobs on the S3 store', () => {
  let m: TestMinio;
  let s: ApiStack;
  beforeAll(async () => {
    m = await startTestMinio('jobs');
    s = await startApiStack({
      env: {
        TRAINYARD_ARTIFACT_STORE: `s3://${m.bucket}/tenant-a`,
        AWS_ENDPOINT_URL: m.minio.endpoint,
        AWS_ACCESS_KEY_ID: m.minio.user,
        AWS_SECRET_ACCESS_KEY: m.minio.password,
      },
    });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    await m?.teardown();
  });

  const get = (p: string) => fetch(`${s.api.url}${p}`, { headers: { 'x-api-key': KEYS.alice } });

  test('when a pipeline with a command step runs on S3, then every artifact is listed with its stored sha256 and downloads match it', async () => {
    const spec = irisPipeline('iris-s3');
    spec.nodes.push({
      id: 'count',
      type: 'command',
      dependsOn: ['data'],
      config: { command: ['node', '-e', SCRIPT] },
    } as never);
    const created = await fetch(`${s.api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.alice, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const job = await waitFor(
      async () => {
        const j = (await (await get(`/v1/jobs/${id}`)).json()) as { status: string; nodes: any[] };
        return ['completed', 'failed'].includes(j.status) && j;
      },
      { timeoutMs: 120_000, what: 'the job to finish' },
    );
    expect(job.status).toBe('completed');
    const count = job.nodes.find((n) => n.id === 'count');
    expect(count.output.summary.result).toEqual({
      rows: expect.any(Number),
      storeUri: expect.stringMatching(new RegExp(`^s3://${m.bucket}/tenant-a/alice/runs/${id}/data/`)),
    });
    for (const n of job.nodes)
      for (const a of [...n.output.artifacts, ...Object.values(n.output.refs ?? {})] as { uri: string }[])
        expect(a.uri).toMatch(new RegExp(`^s3://${m.bucket}/tenant-a/alice/runs/${id}/`));

    const listed = (await (await get(`/v1/jobs/${id}/artifacts`)).json()) as {
      artifacts: { path: string; sha256: string; size: number; url: string; node: string }[];
    };
    const paths = listed.artifacts.map((a) => a.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'count/report/rows.txt',
        'count/ckpt.json',
        'count/params.json',
        'count/logs/output.log',
        'train/model.json',
        'eval/metrics.json',
        'train/logs/output.log',
      ]),
    );
    for (const a of listed.artifacts) {
      const dl = await get(a.url);
      expect(dl.status).toBe(200);
      const bytes = Buffer.from(await dl.arrayBuffer());
      expect({ path: a.path, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }).toEqual({
        path: a.path,
        size: a.size,
        sha256: a.sha256,
      });
    }
    const log = await (await get(`/v1/jobs/${id}/logs?node=count`)).text();
    expect(log).toMatch(/counted \d+ rows/);
    expect(await (await get(`/v1/jobs/${id}/logs?node=train&tail=5`)).text()).toMatch(/trained mlp/);
    // Nothing went to the local artifact root.
    expect(fs.existsSync(path.join(s.config.artifactRoot, 'alice'))).toBe(false);
  }, 150_000);

  test('when /readyz is asked, then it reports the S3 store; an API on a bucket that does not exist says so', async () => {
    const ready = (await (await fetch(`${s.api.url}/readyz`)).json()) as { store: unknown };
    expect(ready.store).toEqual({ uri: `s3://${m.bucket}/tenant-a`, reachable: true });
    const config = loadConfig({
      TRAINYARD_HOME: s.config.home,
      TRAINYARD_ARTIFACT_STORE: 's3://no-such-bucket/x',
      AWS_ENDPOINT_URL: m.minio.endpoint,
      AWS_ACCESS_KEY_ID: m.minio.user,
      AWS_SECRET_ACCESS_KEY: m.minio.password,
      TRAINYARD_QUEUE_PREFIX: s.prefix,
      TRAINYARD_API_KEYS: `alice:${KEYS.alice}`,
    });
    const api = await startApiServer({ client: s.t.client, config, port: 0, host: '127.0.0.1' });
    try {
      const r = await fetch(`${api.url}/readyz`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as { store: { reachable: boolean; error: string }; missing: string[] };
      expect(body.store).toMatchObject({
        reachable: false,
        error: expect.stringMatching(/bucket "no-such-bucket" does not exist/),
      });
      expect(body.missing).toContain('artifact store');
    } finally {
      await api.close();
    }
  });
});
