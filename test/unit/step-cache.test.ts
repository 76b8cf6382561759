// The step cache on the storage boundary (src/storage/step-cache.ts) over the local store: keys,
// hits copied into the job's folder, TTL, owner scoping, purge; the S3 store keeps the same contract.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StepOutput } from '../../src/domain/step-io';
import { effectiveCache } from '../../src/domain/step-cache';
import { localStorage } from '../../src/storage';
import { StepCache, cacheKeyOf } from '../../src/storage/step-cache';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'step-cache-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const ref = (name: string, sha256: string) => ({
  name,
  uri: 'x',
  path: `p/${name}`,
  sha256,
  size: 1,
  mediaType: 'text/plain',
});
const out = (artifacts: StepOutput['artifacts'], summary: Record<string, unknown> = {}): StepOutput => ({
  summary,
  artifacts,
});

test('the key changes with the type, config, version and every consumed upstream byte, and with nothing a report-only artifact or summary holds', () => {
  const base = {
    nodeType: 'train',
    version: '0',
    config: { epochs: 3, lr: 0.1 },
    upstream: { prep: out([ref('preprocessor.json', 'a'.repeat(64))]) },
  };
  const k = cacheKeyOf(base);
  expect(cacheKeyOf({ ...base, config: { lr: 0.1, epochs: 3 } })).toBe(k); // canonical: key order does not matter
  expect(cacheKeyOf({ ...base, config: { epochs: 4, lr: 0.1 } })).not.toBe(k);
  expect(cacheKeyOf({ ...base, nodeType: 'evaluate' })).not.toBe(k);
  expect(cacheKeyOf({ ...base, version: 'v2' })).not.toBe(k);
  expect(cacheKeyOf({ ...base, upstream: { prep: out([ref('preprocessor.json', 'b'.repeat(64))]) } })).not.toBe(k);
  // Timings, latency figures, logs: not inputs.
  const noisy = out(
    [
      ref('preprocessor.json', 'a'.repeat(64)),
      ref('model-card.json', 'c'.repeat(64)),
      ref('logs/output.log', 'd'.repeat(64)),
    ],
    {
      finishedIn: 123,
    },
  );
  expect(cacheKeyOf({ ...base, upstream: { prep: noisy } })).toBe(k);
});

test('effectiveCache: the node wins over the job, false opts out, version and ttl carried', () => {
  expect(effectiveCache(undefined, undefined)).toBeUndefined();
  expect(effectiveCache(true, undefined)).toEqual({ version: '0' });
  expect(effectiveCache(true, false)).toBeUndefined();
  expect(effectiveCache(undefined, { version: 'v3', ttl: 1000 })).toEqual({ version: 'v3', ttlMs: 1000 });
});

test('a stored output is a hit for its owner only, copied into the new job folder, valid after the source is removed, gone after its TTL or a purge', async () => {
  const { artifacts } = localStorage(path.join(root, 'store'));
  let now = Date.parse('2026-01-01T00:00:00Z');
  const cache = new StepCache(artifacts, () => now);
  const model = await artifacts.put('alice/runs/job-1', 'train', 'model.json', '{"w":[1,2]}', 'application/json');
  const log = await artifacts.put('alice/runs/job-1', 'train', 'logs/output.log', 'hello', 'text/plain');
  const key = 'e'.repeat(64);
  await cache.put(
    { owner: 'alice', key, cache: { version: '0', ttlMs: 60_000 }, jobId: 'job-1', nodeId: 'train', nodeType: 'train' },
    { summary: { valMetric: 0.9 }, artifacts: [model, log] },
  );
  // The source job's folder removed.
  await artifacts.objects.delete(model.path);
  const hit = await cache.get({ owner: 'alice', key, jobDir: 'alice/runs/job-2', nodeId: 'train', upstream: {} });
  expect(hit?.cache).toEqual({
    key,
    hit: true,
    from: { jobId: 'job-1', nodeId: 'train', storedAt: '2026-01-01T00:00:00.000Z' },
  });
  expect(hit?.summary).toEqual({ valMetric: 0.9 });
  expect(hit?.artifacts.map((a) => [a.name, a.path, a.sha256])).toEqual([
    ['model.json', 'alice/runs/job-2/train/model.json', model.sha256],
  ]);
  expect((await artifacts.get(hit!.artifacts[0]!)).toString()).toBe('{"w":[1,2]}');
  expect(
    await cache.get({ owner: 'bob', key, jobDir: 'bob/runs/job-3', nodeId: 'train', upstream: {} }),
  ).toBeUndefined();
  expect((await cache.list('alice')).map((e) => [e.jobId, e.nodeId, e.artifacts])).toEqual([['job-1', 'train', 1]]);
  expect(await cache.list('bob')).toEqual([]);

  now += 61_000; // past the TTL
  expect(
    await cache.get({ owner: 'alice', key, jobDir: 'alice/runs/job-4', nodeId: 'train', upstream: {} }),
  ).toBeUndefined();
  expect(await cache.purge('alice')).toEqual({ entries: 1, objects: 1 });
  expect(await cache.list('alice')).toEqual([]);
  // What job-2 got stays.
  expect((await artifacts.get(hit!.artifacts[0]!)).toString()).toBe('{"w":[1,2]}');
});

test('purge --older-than keeps newer entries and the objects they name', async () => {
  const { artifacts } = localStorage(path.join(root, 'store'));
  let now = 1_000_000;
  const cache = new StepCache(artifacts, () => now);
  const a = await artifacts.put('alice/runs/j1', 'n', 'a.txt', 'A', 'text/plain');
  const b = await artifacts.put('alice/runs/j2', 'n', 'b.txt', 'B', 'text/plain');
  const o = { owner: 'alice', cache: { version: '0' }, nodeId: 'n', nodeType: 'command' };
  await cache.put({ ...o, key: '1'.repeat(64), jobId: 'j1' }, { summary: {}, artifacts: [a] });
  now += 10_000;
  await cache.put({ ...o, key: '2'.repeat(64), jobId: 'j2' }, { summary: {}, artifacts: [b] });
  expect(await cache.purge('alice', { olderThanMs: 5_000 })).toEqual({ entries: 1, objects: 1 });
  expect((await cache.list('alice')).map((e) => e.jobId)).toEqual(['j2']);
});
