import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalArtifactStore, mediaTypeFor, PathEscapeError } from '../../src/artifacts/local-store';

let root: string;
let outside: string;
let store: LocalArtifactStore;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'outside-'));
  store = new LocalArtifactStore(root);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('LocalArtifactStore', () => {
  test('put writes atomically and returns a ref with sha256, size, media type, uri and root-relative path', async () => {
    const ref = await store.put('runs/j1', 'train', 'model.json', '{"a":1}', 'application/json');
    expect(ref).toEqual({
      name: 'model.json',
      path: 'runs/j1/train/model.json',
      uri: `file://${path.join(root, 'runs/j1/train/model.json')}`,
      sha256: createHash('sha256').update('{"a":1}').digest('hex'),
      size: 7,
      mediaType: 'application/json',
    });
    expect((await store.get(ref)).toString()).toBe('{"a":1}');
    expect((await store.get(ref.path)).toString()).toBe('{"a":1}');
    expect((await store.get(ref.uri)).toString()).toBe('{"a":1}');
    expect(await fs.readdir(path.join(root, 'runs/j1/train'))).toEqual(['model.json']); // no temp file left
  });

  test('overwrite replaces the whole file; get detects a replaced or corrupted artifact by sha256', async () => {
    const a = await store.put('runs/j1', 'n', 'x.bin', new Uint8Array([1, 2, 3]), 'application/octet-stream');
    const b = await store.put('runs/j1', 'n', 'x.bin', new Uint8Array([4, 5]), 'application/octet-stream');
    expect(b.size).toBe(2);
    await expect(store.get(a)).rejects.toThrow(/sha256/);
    expect([...(await store.get(b))]).toEqual([4, 5]);
  });

  test('putFile copies a file in atomically', async () => {
    const src = path.join(outside, 'out.txt');
    await fs.writeFile(src, 'hello');
    const ref = await store.putFile('runs/j2', 'cmd', 'result/out.txt', src, 'text/plain');
    expect(ref.path).toBe('runs/j2/cmd/result/out.txt');
    expect((await store.get(ref)).toString()).toBe('hello');
  });

  test('list returns every artifact of a job (not temp files), nodeDir and logPath are inside the job folder', async () => {
    await store.put('runs/j3', 'a', 'one.json', '1', 'application/json');
    await store.put('runs/j3', 'b', 'plots/loss.svg', '<svg/>', 'image/svg+xml');
    const dir = await store.nodeDir('runs/j3', 'c');
    await fs.writeFile(path.join(dir, '.half.onnx.tmp-1-abc'), 'partial');
    const list = await store.list('runs/j3');
    expect(list.map((r) => [r.path, r.name, r.mediaType])).toEqual([
      ['runs/j3/a/one.json', 'one.json', 'application/json'],
      ['runs/j3/b/plots/loss.svg', 'plots/loss.svg', 'image/svg+xml'],
    ]);
    expect(await store.list('runs/none')).toEqual([]);
    expect(store.logPath('runs/j3', 'c')).toBe(path.join(root, 'runs/j3/c/logs/output.log'));
  });

  test('resolve confines paths: "..", absolute paths and symlink escapes are rejected', async () => {
    expect(store.resolve('runs/j/x')).toBe(path.join(root, 'runs/j/x'));
    expect(() => store.resolve('../etc/passwd')).toThrow(PathEscapeError);
    expect(() => store.resolve('runs/../../x')).toThrow(/".."/);
    expect(() => store.resolve('/etc/passwd')).toThrow(/absolute/);
    expect(() => store.resolve('a\0b')).toThrow(PathEscapeError);
    await fs.mkdir(path.join(root, 'runs'), { recursive: true });
    await fs.symlink(outside, path.join(root, 'runs', 'evil'));
    expect(() => store.resolve('runs/evil/secret.txt')).toThrow(/symlink/);
    await expect(store.put('runs/evil', 'n', 'x.txt', 'x', 'text/plain')).rejects.toThrow(/symlink/);
    await expect(store.put('runs', '..', 'x.txt', 'x', 'text/plain')).rejects.toThrow(PathEscapeError);
    await expect(store.put('runs/j', 'n', '../../x.txt', 'x', 'text/plain')).rejects.toThrow(PathEscapeError);
    await expect(store.get(`file://${outside}/x`)).rejects.toThrow(/outside/);
    expect(await fs.readdir(outside)).toEqual([]);
  });

  test('media types by extension', () => {
    expect(mediaTypeFor('model.onnx')).toBe('application/onnx');
    expect(mediaTypeFor('a.SVG')).toBe('image/svg+xml');
    expect(mediaTypeFor('weird')).toBe('application/octet-stream');
  });
});

describe('LocalArtifactStore on a root that does not exist yet', () => {
  it('when the root is created lazily, then writes under it are not mistaken for symlink escapes', async () => {
    const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'trainyard-lazy-'));
    const lazy = new LocalArtifactStore(path.join(parent, 'not', 'yet'));
    const ref = await lazy.put('runs/j1', 'n1', 'a.json', '{}', 'application/json');
    expect(ref.path).toBe('runs/j1/n1/a.json');
    expect(await lazy.list('runs/j1')).toHaveLength(1);
    await fs.rm(parent, { recursive: true, force: true });
  });
});
