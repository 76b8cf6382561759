// The step cache on a real stack (API, real steps, the local store): examples/cache.yaml submitted
// twice — the second run is all `cached`, naming the first job's nodes, with no GPU time; its
// artifacts stay readable after the first job's folder is removed (content-addressed objects);
// a changed split config misses exactly split and the nodes below it; another owner's identical
// job hits nothing (entries are scoped by owner).
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import type { JobView } from '../../src/http/contracts';
import { KEYS, apiCall, jobEnd, startApiStack, type ApiStack } from '../helpers/api-stack';
import { runCli } from '../helpers/cli';

const ROOT = path.resolve(__dirname, '..', '..');
let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const example = () => YAML.parse(fs.readFileSync(path.join(ROOT, 'examples/cache.yaml'), 'utf8'));

async function run(spec: unknown, key = KEYS.alice): Promise<JobView> {
  const created = await apiCall(s, 'POST', '/v1/jobs', key, spec);
  expect(created.status).toBe(201);
  return jobEnd(s, created.body.id, key);
}

const statuses = (v: JobView) => Object.fromEntries(v.nodes.map((n) => [n.id, n.status]));
const IDS = ['data', 'split', 'prep', 'train', 'export', 'evaluate'];

test('when examples/cache.yaml is submitted twice, then the second run is all cached from the first, uses no GPU, and keeps its artifacts after the first job folder is removed', async () => {
  const first = await run(example());
  expect(first.status).toBe('completed');
  expect(statuses(first)).toEqual(Object.fromEntries(IDS.map((id) => [id, 'completed'])));
  for (const n of first.nodes)
    expect(n.output?.cache).toMatchObject({ hit: false, key: expect.stringMatching(/^[0-9a-f]{64}$/) });

  const second = await run(example());
  expect(second.status).toBe('completed');
  expect(statuses(second)).toEqual(Object.fromEntries(IDS.map((id) => [id, 'cached'])));
  for (const n of second.nodes) {
    const was = first.nodes.find((m) => m.id === n.id)!;
    expect(n.output!.cache).toMatchObject({
      hit: true,
      key: was.output!.cache!.key,
      from: { jobId: first.id, nodeId: n.id },
    });
    expect(n.output!.summary).toEqual(was.output!.summary);
    expect(n.usage?.gpuSeconds ?? 0).toBe(0);
    // Its own copies, in its own folder, with the same bytes.
    for (const a of n.output!.artifacts) {
      expect(a.path).toContain(`/${second.id}/${n.id}/`);
      expect(a.sha256).toBe(was.output!.artifacts.find((b) => b.name === a.name)!.sha256);
    }
  }
  expect(second.nodes.find((n) => n.id === 'evaluate')!.output!.summary.metrics).toEqual(
    first.nodes.find((n) => n.id === 'evaluate')!.output!.summary.metrics,
  );

  // The first job's folder removed: the cached objects still serve a third run, and the second's files stay.
  const prefix = first.nodes[0]!.output!.artifacts[0]!.path.split('/').slice(0, 3).join('/') + '/';
  let page = await s.store.objects.list(prefix);
  expect(page.objects.length).toBeGreaterThan(0);
  while (page.objects.length) {
    for (const o of page.objects) await s.store.objects.delete(o.key);
    page = await s.store.objects.list(prefix);
  }
  const model = await fetch(`${s.api.url}/v1/jobs/${second.id}/artifacts/train/model.json`, {
    headers: { 'x-api-key': KEYS.alice },
  });
  expect(model.status).toBe(200);
  const bytes = Buffer.from(await model.arrayBuffer());
  const ref = second.nodes.find((n) => n.id === 'train')!.output!.artifacts.find((a) => a.name === 'model.json')!;
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(ref.sha256);
  const third = await run(example());
  expect(statuses(third)).toEqual(Object.fromEntries(IDS.map((id) => [id, 'cached'])));
}, 300_000);

test('when the split config changes, then exactly split and the nodes below it miss; another owner hits nothing', async () => {
  const spec = example();
  spec.nodes.find((n: { id: string }) => n.id === 'split').config.testSize = 0.25;
  const changed = await run(spec);
  expect(changed.status).toBe('completed');
  expect(statuses(changed)).toEqual({
    data: 'cached',
    split: 'completed',
    prep: 'completed',
    train: 'completed',
    export: 'completed',
    evaluate: 'completed',
  });
  const bob = await run(example(), KEYS.bob);
  expect(bob.status).toBe('completed');
  expect(bob.nodes.filter((n) => n.status === 'cached')).toEqual([]);
}, 300_000);

const cli = (args: string[]) => runCli(s.api.url, args);

test('when the cache is listed and purged (API and CLI), then each owner sees only their entries and a purged cache hits nothing', async () => {
  const mine = await apiCall(s, 'GET', '/v1/cache', KEYS.alice);
  expect(mine.status).toBe(200);
  expect(mine.body.owner).toBe('alice');
  expect(mine.body.entries.length).toBeGreaterThanOrEqual(IDS.length);
  const bobs = await apiCall(s, 'GET', '/v1/cache', KEYS.bob);
  expect(new Set(bobs.body.entries.map((e: { key: string }) => e.key))).not.toEqual(
    new Set(mine.body.entries.map((e: { key: string }) => e.key)),
  );
  const ls = await cli(['cache', 'ls']);
  expect(ls.code).toBe(0);
  expect(ls.out).toContain('train');
  expect((await apiCall(s, 'DELETE', '/v1/cache?olderThan=1h', KEYS.alice)).body).toMatchObject({ entries: 0 });
  const purge = await cli(['cache', 'purge']);
  expect(purge.code).toBe(0);
  expect(purge.out).toMatch(/^purged \d+ entries and \d+ object\(s\)/);
  expect((await apiCall(s, 'GET', '/v1/cache', KEYS.alice)).body.entries).toEqual([]);
  expect((await apiCall(s, 'GET', '/v1/cache', KEYS.bob)).body.entries.length).toBe(bobs.body.entries.length);
  const after = await run(example());
  expect(statuses(after)).toEqual(Object.fromEntries(IDS.map((id) => [id, 'completed'])));
}, 300_000);
