// Attack: read another tenant's data and config (issue 10, "Read another tenant's data and
// config"): alice's `configPath: bob/cmd.yaml` merged bob's file (with his env secrets) into her
// node; a dataset node with `path: bob/private.csv` loaded bob's table. Each owner has a folder of
// the data root (`<owner>/…`) and admins share files in `_shared/…`; a path names its folder first,
// so another owner's file is refused at submit with a 400 naming the field, and a symlink in
// alice's folder cannot lead into bob's.
import fs from 'node:fs';
import path from 'node:path';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

const SECRET = 'bob-data-secret-93c1';
let s: ApiStack;
let data: string;
beforeAll(async () => {
  s = await startApiStack({
    env: (tmp) => {
      data = path.join(tmp, 'data');
      for (const d of ['alice', 'bob', '_shared']) fs.mkdirSync(path.join(data, d), { recursive: true });
      fs.writeFileSync(
        path.join(data, 'bob', 'cmd.yaml'),
        `command: [node, -e, "console.log(process.env.TOKEN)"]\nenv:\n  TOKEN: ${SECRET}\n`,
      );
      fs.writeFileSync(path.join(data, 'bob', 'private.csv'), `a,b,label\n1,${SECRET},x\n2,y,z\n`);
      fs.writeFileSync(path.join(data, 'alice', 'mine.csv'), 'a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n');
      fs.copyFileSync(path.resolve(__dirname, '../../data/samples/iris.csv'), path.join(data, '_shared', 'iris.csv'));
      fs.writeFileSync(path.join(data, 'alice', 'cmd.yaml'), 'command: [node, -e, "console.log(42)"]\n');
      // Links alice could have planted in her own folder, pointing into bob's.
      fs.symlinkSync(path.join(data, 'bob', 'private.csv'), path.join(data, 'alice', 'link.csv'));
      fs.symlinkSync(path.join(data, 'bob', 'cmd.yaml'), path.join(data, 'alice', 'link.yaml'));
      fs.symlinkSync(path.join(data, 'bob'), path.join(data, 'alice', 'bobdir'));
      return { TRAINYARD_DATA_ROOT: data };
    },
  });
}, 180_000);
afterAll(async () => s?.stop());

const A = KEYS.alice;
const datasetJob = (p: string) => ({
  name: 'data',
  nodes: [{ id: 'd', type: 'dataset', config: { path: p, target: 'label' }, retry: { maxAttempts: 1 } }],
});
const configJob = (configPath: string) => ({ name: 'cfg', nodes: [{ id: 'c', type: 'command', configPath }] });

async function finished(id: string) {
  return waitFor(
    async () => {
      const j = await apiCall(s, 'GET', `/v1/jobs/${id}`, A);
      return ['completed', 'failed', 'cancelled'].includes(j.body?.status) && j.body;
    },
    { timeoutMs: 90_000, what: `job ${id} to finish` },
  );
}

describe("another owner's config and data are refused at submit", () => {
  it.each(['/v1/jobs', '/v1/jobs/validate'])(
    "when alice names configPath: bob/cmd.yaml (%s), then 400 naming nodes[0].configPath and nothing of bob's file",
    async (route) => {
      const r = await apiCall(s, 'POST', route, A, configJob('bob/cmd.yaml'));
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([
        { path: 'nodes[0].configPath', message: expect.stringContaining('your data folder ("alice/…")') },
      ]);
      expect(r.text).not.toContain(SECRET);
    },
  );

  it.each(['/v1/jobs', '/v1/jobs/validate'])(
    'when alice names a dataset path: bob/private.csv (%s), then 400 naming nodes[0].config.path',
    async (route) => {
      const r = await apiCall(s, 'POST', route, A, datasetJob('bob/private.csv'));
      expect(r.status).toBe(400);
      expect(r.body.error.details).toEqual([
        { path: 'nodes[0].config.path', message: expect.stringContaining('your data folder ("alice/…")') },
      ]);
    },
  );

  it.each(['private.csv', 'alice', '../bob/private.csv', 'shared/iris.csv'])(
    'when the dataset path is %j (no folder of hers named first), then 400 naming the field',
    async (p) => {
      const r = await apiCall(s, 'POST', '/v1/jobs/validate', A, datasetJob(p));
      expect(r.status).toBe(400);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(['nodes[0].config.path']);
    },
  );

  it('when a schedule names bob/private.csv, then it is refused naming job.nodes[0].config.path', async () => {
    const r = await apiCall(s, 'POST', '/v1/schedules', A, {
      name: 'steal',
      job: datasetJob('bob/private.csv'),
      every: '1h',
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual(['job.nodes[0].config.path']);
  });

  it("when alice's configPath is a symlink in her folder to bob's file, then 400 and nothing of it", async () => {
    for (const p of ['alice/link.yaml', 'alice/bobdir/cmd.yaml']) {
      const r = await apiCall(s, 'POST', '/v1/jobs/validate', A, configJob(p));
      expect({ p, status: r.status }).toEqual({ p, status: 400 });
      expect(r.body.error.details[0]).toEqual({
        path: 'nodes[0].configPath',
        message: expect.stringMatching(/symlink leads outside/),
      });
      expect(r.text).not.toContain(SECRET);
    }
  });
});

describe('her own folder and the shared one work', () => {
  it('when alice names alice/cmd.yaml, then its config is used', async () => {
    const r = await apiCall(s, 'POST', '/v1/jobs/validate', A, configJob('alice/cmd.yaml'));
    expect(r.status).toBe(200);
  });

  it.each(['alice/mine.csv', '_shared/iris.csv'])('when alice loads %s, then the job completes', async (p) => {
    const created = await apiCall(s, 'POST', '/v1/jobs', A, {
      ...datasetJob(p),
      nodes: [
        {
          id: 'd',
          type: 'dataset',
          config: p.startsWith('_') ? { path: p, target: 'species' } : { path: p, target: 'label' },
        },
      ],
    });
    expect(created.status).toBe(201);
    const job = await finished(created.body.id);
    expect({ status: job.status, error: job.nodes[0].error }).toEqual({ status: 'completed', error: undefined });
  });

  it("when alice's dataset path is a symlink in her folder to bob's table, then the step refuses it and serves nothing of it", async () => {
    for (const p of ['alice/link.csv', 'alice/bobdir/private.csv']) {
      const created = await apiCall(s, 'POST', '/v1/jobs', A, datasetJob(p));
      expect(created.status).toBe(201);
      const job = await finished(created.body.id);
      expect(job.status).toBe('failed');
      expect(job.nodes[0].error.message).toMatch(/leaves its folder \(alice\/\) through a symlink/);
      const arts = await apiCall(s, 'GET', `/v1/jobs/${created.body.id}/artifacts`, A);
      for (const a of arts.body.artifacts as { url: string }[])
        expect((await apiCall(s, 'GET', a.url, A)).text).not.toContain(SECRET);
    }
  });
});
