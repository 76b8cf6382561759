// Attack: make the API serve another tenant's files — on the S3 store (issue 10, "File serving
// confined to the job ... the same rule in the S3 implementation"). Steps work in a local
// workspace on the worker's host; publishing copies regular files only (a link is skipped), and the
// API reads only keys under the job's own prefix. Here bob's node is still running, so his
// workspace (and its secret) is on the same host when alice's step links to it.
import fs from 'node:fs';
import path from 'node:path';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { LINKING_JOB_ARTIFACTS, expectNoEscape, linkingScript } from '../helpers/confinement-attacks';
import { minioAvailable, startTestMinio, type TestMinio } from '../helpers/minio';
import { waitFor } from '../helpers/temporal';

const run = minioAvailable() ? describe : describe.skip;
const SECRET = 'bob-s3-secret-4d2b';

run('file serving on S3 is confined to the job', () => {
  let m: TestMinio;
  let s: ApiStack;
  let bobJob: string;
  let bobNodeDir: string;
  beforeAll(async () => {
    m = await startTestMinio('confine');
    s = await startApiStack({
      env: {
        TRAINYARD_ARTIFACT_STORE: `s3://${m.bucket}/tenants`,
        AWS_ENDPOINT_URL: m.minio.endpoint,
        AWS_ACCESS_KEY_ID: m.minio.user,
        AWS_SECRET_ACCESS_KEY: m.minio.password,
      },
    });
    // bob's node writes its secret, prints it, and keeps running (its workspace stays on the host).
    const script = `require('fs').writeFileSync(process.env.JOB_OUTPUT_DIR + '/secret.txt', '${SECRET}'); console.log('${SECRET}'); setTimeout(() => {}, 120000)`;
    const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.bob, {
      name: 'bob',
      nodes: [{ id: 'c', type: 'command', config: { command: ['node', '-e', script] } }],
    });
    expect(created.status).toBe(201);
    bobJob = created.body.id;
    // Where bob's workspace is on this host: the attacker is assumed to know it.
    bobNodeDir = path.join(s.config.workDir, 'bob', 'runs', bobJob, 'c');
    await waitFor(() => fs.existsSync(path.join(bobNodeDir, 'secret.txt')), { what: "bob's secret on the host" });
  }, 180_000);
  afterAll(async () => {
    if (bobJob) await apiCall(s, 'POST', `/v1/jobs/${bobJob}/cancel`, KEYS.bob);
    await s?.stop();
    await m?.teardown();
  });

  async function finished(id: string) {
    return waitFor(
      async () => {
        const j = await apiCall(s, 'GET', `/v1/jobs/${id}`, KEYS.alice);
        return ['completed', 'failed', 'cancelled'].includes(j.body?.status) && j.body;
      },
      { timeoutMs: 120_000, what: `job ${id} to finish` },
    );
  }

  test("when a step links its output folder's entries (and its log's name) to another job's files, then nothing of them is published or served", async () => {
    const script = linkingScript([
      "fs.mkdirSync(out + '/logs', { recursive: true }); fs.symlinkSync(process.env.BOB_FILE, out + '/logs/output.log');",
      "console.log('alice was here');",
    ]);
    const env = { BOB_DIR: bobNodeDir, BOB_FILE: path.join(bobNodeDir, 'secret.txt') };
    const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
      name: 'alice-links',
      nodes: [{ id: 'c', type: 'command', config: { command: ['node', '-e', script], env } }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await finished(id)).status).toBe('completed');
    const list = await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts`, KEYS.alice);
    expect(list.body.artifacts.map((a: { path: string }) => a.path).sort()).toEqual(LINKING_JOB_ARTIFACTS);
    const served: string[] = [list.text];
    for (const a of list.body.artifacts as { url: string }[])
      served.push((await apiCall(s, 'GET', a.url, KEYS.alice)).text);
    for (const p of ['c/bobdir/secret.txt', 'c/leak.txt', 'c/bobdir']) {
      const r = await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts/${p}`, KEYS.alice);
      expect({ p, status: r.status }).toEqual({ p, status: 404 });
      served.push(r.text);
    }
    // A download from an offset reads just those bytes of the object.
    const part = await fetch(`${s.api.url}/v1/jobs/${id}/artifacts/c/mine.txt`, {
      headers: { 'x-api-key': KEYS.alice, range: 'bytes=1-' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 1-4/5');
    expect(await part.text()).toBe('lice');
    const log = await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c`, KEYS.alice);
    expect(log.text).toContain('alice was here');
    served.push(log.text);
    expect(served.join('\n')).not.toContain(SECRET);
  }, 180_000);

  test("when an artifact path leaves the job in any form, or names another owner's job, then 400 or 404, never a read", async () => {
    const bobRel = `../../../bob/runs/${bobJob}/c/logs/output.log`;
    const { body: mine } = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
      name: 'alice-plain',
      nodes: [{ id: 'c', type: 'command', config: { command: ['node', '-e', ''] } }],
    });
    await finished(mine.id);
    await expectNoEscape((p) => apiCall(s, 'GET', `/v1/jobs/${mine.id}/artifacts/${p}`, KEYS.alice), bobRel, SECRET);
    expect((await apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts`, KEYS.alice)).status).toBe(404);
    expect((await apiCall(s, 'GET', `/v1/jobs/${bobJob}/logs?node=c`, KEYS.alice)).status).toBe(404);
    // bob himself reads his live log from the bucket.
    expect((await apiCall(s, 'GET', `/v1/jobs/${bobJob}/logs?node=c&tail=1`, KEYS.bob)).text).toContain(SECRET);
  }, 120_000);
});
