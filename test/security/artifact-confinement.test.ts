// Attack: make the API serve another tenant's files (issue 10, "Make the API serve other tenants'
// files", "outputDir: runs/<bob's job>", "listing re-hashes every artifact on every call").
// Each job's artifacts live in its owner's namespace (`<owner>/<outputDir>/<jobId>`), the command
// step works in a local workspace published without following links, and the artifact and log
// routes resolve keys inside the job's own folder through a store that never follows a symlink.
// On the old code each case below served bob's secret to alice.
import fs from 'node:fs';
import path from 'node:path';
import { idempotentJobId } from '../../src/job-service/submission';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { LINKING_JOB_ARTIFACTS, expectNoEscape, linkingScript } from '../helpers/confinement-attacks';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 120_000);
afterAll(() => s?.stop());

const SECRET = 'bob-secret-7f3a9c';

async function submit(key: string, idem: string, spec: unknown): Promise<string> {
  const res = await fetch(`${s.api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', 'idempotency-key': idem },
    body: JSON.stringify(spec),
  });
  const body = (await res.json()) as { id: string };
  expect(res.status).toBe(201);
  return body.id;
}

async function finished(id: string, key: string): Promise<{ status: string }> {
  return waitFor(
    async () => {
      const j = await apiCall(s, 'GET', `/v1/jobs/${id}`, key);
      return ['completed', 'failed', 'cancelled'].includes(j.body?.status) && j.body;
    },
    { timeoutMs: 150_000, what: `job ${id} to finish` },
  );
}

const commandJob = (name: string, script: string, env: Record<string, string> = {}) => ({
  name,
  nodes: [{ id: 'c', type: 'command', config: { command: ['node', '-e', script], env } }],
});

/** Everything alice can get from the API about her job, as one string. */
async function everythingServed(id: string): Promise<string> {
  const parts: string[] = [];
  const list = await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts`, KEYS.alice);
  parts.push(list.text);
  for (const a of (list.body?.artifacts ?? []) as { url: string }[])
    parts.push((await apiCall(s, 'GET', a.url, KEYS.alice)).text);
  parts.push((await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c`, KEYS.alice)).text);
  parts.push((await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c&follow=true`, KEYS.alice)).text);
  for (const p of ['c/bobdir/c/secret.txt', 'c/leak.txt', 'c/logs/output.log', 'c/bobdir'])
    parts.push((await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts/${p}`, KEYS.alice)).text);
  return parts.join('\n');
}

describe('file serving is confined to the job', () => {
  let bobJob: string;
  let bobDir: string;
  beforeAll(async () => {
    bobJob = await submit(
      KEYS.bob,
      'bob-secret-job',
      commandJob(
        'bob',
        `require('fs').writeFileSync(process.env.JOB_OUTPUT_DIR + '/secret.txt', '${SECRET}'); console.log('${SECRET}')`,
      ),
    );
    expect((await finished(bobJob, KEYS.bob)).status).toBe('completed');
    // Where bob's files are on this host: the attacker is assumed to know it.
    bobDir = path.join(s.config.artifactRoot, 'bob', 'runs', bobJob);
    expect(fs.readFileSync(path.join(bobDir, 'c', 'secret.txt'), 'utf8')).toBe(SECRET);
  }, 180_000);

  test("when a step symlinks its output folder's entries to another job's files, then the API serves none of them", async () => {
    const id = await submit(
      KEYS.alice,
      'alice-symlink-out',
      commandJob('alice-links', linkingScript(), { BOB_DIR: bobDir, BOB_FILE: path.join(bobDir, 'c', 'secret.txt') }),
    );
    expect((await finished(id, KEYS.alice)).status).toBe('completed');
    const list = await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts`, KEYS.alice);
    expect(list.body.artifacts.map((a: { path: string }) => a.path).sort()).toEqual(LINKING_JOB_ARTIFACTS);
    for (const p of ['c/bobdir/c/secret.txt', 'c/leak.txt'])
      expect((await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts/${p}`, KEYS.alice)).status).toBe(404);
    expect(await everythingServed(id)).not.toContain(SECRET);
  }, 180_000);

  test("when a step replaces its log in the store with a symlink to another job's log, then the log routes and downloads serve nothing of it", async () => {
    const aliceJob = idempotentJobId('alice', 'alice-symlink-log');
    const aliceLog = path.join(s.config.artifactRoot, 'alice', 'runs', aliceJob, 'c', 'logs', 'output.log');
    const bobLog = path.join(bobDir, 'c', 'logs', 'output.log');
    expect(fs.readFileSync(bobLog, 'utf8')).toContain(SECRET);
    const script = [
      "const fs = require('fs');",
      "console.log('before');",
      'setTimeout(() => {',
      '  fs.rmSync(process.env.ALICE_LOG, { force: true });',
      '  fs.symlinkSync(process.env.BOB_LOG, process.env.ALICE_LOG);',
      "  console.log('after');",
      '}, 300);',
    ].join('\n');
    const id = await submit(
      KEYS.alice,
      'alice-symlink-log',
      commandJob('alice-log', script, { ALICE_LOG: aliceLog, BOB_LOG: bobLog }),
    );
    expect(id).toBe(aliceJob);
    await finished(id, KEYS.alice);
    if (!fs.lstatSync(aliceLog, { throwIfNoEntry: false })?.isSymbolicLink()) {
      // The step sandbox kept the step away from the store: plant the link as an unsandboxed step
      // (TRAINYARD_SANDBOX=off) would have, so the API's own confinement is what is tested here.
      fs.rmSync(aliceLog, { force: true });
      fs.mkdirSync(path.dirname(aliceLog), { recursive: true });
      fs.symlinkSync(bobLog, aliceLog);
    }
    expect(fs.lstatSync(aliceLog).isSymbolicLink()).toBe(true); // the attack happened
    expect((await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c`, KEYS.alice)).status).toBe(404);
    expect((await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c&tail=5`, KEYS.alice)).status).toBe(404);
    const follow = await apiCall(s, 'GET', `/v1/jobs/${id}/logs?node=c&follow=true&tail=5`, KEYS.alice);
    expect(follow.status).toBeLessThan(500);
    expect(follow.text).not.toContain(SECRET);
    expect((await apiCall(s, 'GET', `/v1/jobs/${id}/artifacts/c/logs/output.log`, KEYS.alice)).status).toBe(404);
    expect(await everythingServed(id)).not.toContain(SECRET);
  }, 180_000);

  test('when an artifact path leaves the job in any form, then 400 or 404, never a read', async () => {
    const bobRel = `../../../bob/runs/${bobJob}/c/secret.txt`;
    await expectNoEscape((p) => apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts/${p}`, KEYS.bob), bobRel, SECRET);
    // Another owner's job is not found at all.
    expect((await apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts/c/secret.txt`, KEYS.alice)).status).toBe(404);
    expect((await apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts/c/secret.txt`, KEYS.bob)).text).toBe(SECRET);
  });

  test("when outputDir points at another job's folder, then the submission is refused; any other outputDir stays in the owner's namespace", async () => {
    for (const outputDir of [`runs/${bobJob}`, `bob/runs/${bobJob}`, `../bob/runs`, 'runs/./x']) {
      const r = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, { ...commandJob('od', 'true'), outputDir });
      expect({ outputDir, status: r.status }).toEqual({ outputDir, status: 400 });
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toContain('outputDir');
    }
    const id = await submit(KEYS.alice, 'alice-bob-named-dir', {
      ...commandJob('od', "require('fs').writeFileSync(process.env.JOB_OUTPUT_DIR + '/x.txt', 'x')"),
      outputDir: 'bob/runs',
    });
    expect((await finished(id, KEYS.alice)).status).toBe('completed');
    const spec = await apiCall(s, 'GET', `/v1/jobs/${id}/spec`, KEYS.alice);
    expect(spec.body.jobDir).toBe(`alice/bob/runs/${id}`);
    expect(fs.existsSync(path.join(s.config.artifactRoot, 'alice', 'bob', 'runs', id, 'c', 'x.txt'))).toBe(true);
    // bob's namespace did not change.
    expect(fs.readdirSync(path.join(s.config.artifactRoot, 'bob', 'runs'))).toEqual([bobJob]);
  }, 180_000);

  test('when a job is listed, then the stored sha256 is reported, not a re-hash of the file', async () => {
    const list = await apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts`, KEYS.bob);
    const secret = list.body.artifacts.find((a: { path: string }) => a.path === 'c/secret.txt');
    const file = path.join(bobDir, 'c', 'secret.txt');
    // The same size, other bytes, behind the store's back: a listing that hashed would report a new sha256.
    fs.writeFileSync(file, SECRET.replace(/b/g, 'B'));
    const again = await apiCall(s, 'GET', `/v1/jobs/${bobJob}/artifacts`, KEYS.bob);
    expect(again.body.artifacts.find((a: { path: string }) => a.path === 'c/secret.txt')).toEqual(secret);
  });
});
