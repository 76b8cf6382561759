// The local storage boundary: the contract suite, plus what only the local filesystem can show
// (symlinks planted in the tree, files changed behind the store's back, node workspaces).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mediaTypeFor } from '../../src/storage/media-types';
import { InvalidKeyError, IntegrityError } from '../../src/storage/object-store';
import { LocalObjectStore } from '../../src/storage/local-object-store';
import { LocalLogSink } from '../../src/storage/local-log-sink';
import { storageContract } from '../helpers/storage-contract';
import { testStorage, type TestStorage } from '../helpers/storage';

const contractRoot = path.join(os.tmpdir(), `contract-local-${process.pid}`);
storageContract('local filesystem', () => {
  const objects = new LocalObjectStore(contractRoot);
  return { objects, logs: new LocalLogSink(objects) };
});
afterAll(() => fs.rm(contractRoot, { recursive: true, force: true }));

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

let root: string;
let outside: string;
let st: TestStorage;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'store-'));
  outside = await fs.mkdtemp(path.join(os.tmpdir(), 'outside-'));
  st = testStorage(root);
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(outside, { recursive: true, force: true });
});

describe('Artifacts over the local store', () => {
  test('put returns a ref with the file:// URI, the key as path, sha256, size and media type; no temp file is left', async () => {
    const ref = await st.artifacts.put('runs/j1', 'train', 'model.json', '{"a":1}', 'application/json');
    expect(ref).toEqual({
      name: 'model.json',
      path: 'runs/j1/train/model.json',
      uri: `file://${path.join(root, 'runs/j1/train/model.json')}`,
      sha256: sha('{"a":1}'),
      size: 7,
      mediaType: 'application/json',
    });
    expect((await st.artifacts.get(ref)).toString()).toBe('{"a":1}');
    expect(await fs.readdir(path.join(root, 'runs/j1/train'))).toEqual(['model.json']);
  });

  test('listing a job gives names relative to the node folder and skips temp files and bookkeeping', async () => {
    await st.artifacts.put('runs/j3', 'a', 'one.json', '1', 'application/json');
    await st.artifacts.put('runs/j3', 'b', 'plots/loss.svg', '<svg/>', 'image/svg+xml');
    await fs.mkdir(path.join(root, 'runs/j3/c'), { recursive: true });
    await fs.writeFile(path.join(root, 'runs/j3/c/.trainyard-tmp-half.onnx-1-abc'), 'partial');
    const list = await st.artifacts.listAll('runs/j3');
    expect(list.map((r) => [r.path, r.name, r.mediaType])).toEqual([
      ['runs/j3/a/one.json', 'one.json', 'application/json'],
      ['runs/j3/b/plots/loss.svg', 'plots/loss.svg', 'image/svg+xml'],
    ]);
    expect(await st.artifacts.listAll('runs/none')).toEqual([]);
  });

  test('listing reads the stored facts and never re-hashes: a file changed behind the store keeps its recorded sha256, and a read detects it', async () => {
    const ref = await st.artifacts.put('runs/j4', 'n', 'w.bin', 'aaaa', 'application/octet-stream');
    await fs.writeFile(st.file(ref.path), 'bbbb');
    const [listed] = await st.artifacts.listAll('runs/j4');
    expect(listed?.sha256).toBe(sha('aaaa'));
    await expect(st.artifacts.get(ref)).rejects.toBeInstanceOf(IntegrityError);
  });

  test('a file written into the tree by something else is hashed once, then its facts are remembered', async () => {
    await fs.mkdir(path.join(root, 'runs/j5/n'), { recursive: true });
    await fs.writeFile(path.join(root, 'runs/j5/n/legacy.csv'), 'a,b\n');
    const [first] = await st.artifacts.listAll('runs/j5');
    expect(first).toMatchObject({ sha256: sha('a,b\n'), mediaType: 'text/csv', size: 4 });
    expect(await fs.readFile(path.join(root, '.trainyard-meta/runs/j5/n/legacy.csv.json'), 'utf8')).toContain(
      first!.sha256,
    );
  });

  test('symlinks anywhere in the tree are never followed: not listed, not read, not written through', async () => {
    await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
    await fs.mkdir(path.join(root, 'runs/j6/n'), { recursive: true });
    await fs.symlink(outside, path.join(root, 'runs/j6/n/dir'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, 'runs/j6/n/file.txt'));
    await fs.symlink(outside, path.join(root, 'runs/evil'));
    expect(await st.artifacts.listAll('runs/j6')).toEqual([]);
    await expect(st.artifacts.objects.openRead('runs/j6/n/file.txt')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(st.artifacts.objects.openRead('runs/j6/n/dir/secret.txt')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(st.artifacts.put('runs/evil', 'n', 'x.txt', 'x', 'text/plain')).rejects.toBeInstanceOf(
      InvalidKeyError,
    );
    expect(await st.artifacts.listAll('runs/evil')).toEqual([]);
    await expect(st.artifacts.logs.append('runs/j6/n/file.txt', 'x')).rejects.toThrow();
    await expect(st.artifacts.logs.read('runs/j6/n/file.txt', 0)).rejects.toBeInstanceOf(InvalidKeyError);
    expect(await fs.readdir(outside)).toEqual(['secret.txt']);
    expect(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  test('a root that does not exist yet is created on the first write', async () => {
    const lazy = testStorage(path.join(root, 'not', 'yet'));
    const ref = await lazy.artifacts.put('runs/j1', 'n1', 'a.json', '{}', 'application/json');
    expect(ref.path).toBe('runs/j1/n1/a.json');
    expect(await lazy.artifacts.listAll('runs/j1')).toHaveLength(1);
  });

  test('media types by extension', () => {
    expect(mediaTypeFor('model.onnx')).toBe('application/onnx');
    expect(mediaTypeFor('a.SVG')).toBe('image/svg+xml');
    expect(mediaTypeFor('weird')).toBe('application/octet-stream');
  });
});

describe('node workspaces', () => {
  test('publish copies regular files only: a symlinked file or folder in the workspace never becomes an artifact', async () => {
    await fs.writeFile(path.join(outside, 'secret.txt'), 'secret');
    const ws = await st.workspaces.open({ outputDir: 'runs/w1', nodeId: 'c' });
    await fs.mkdir(path.join(ws.outputDir, 'sub'));
    await fs.writeFile(path.join(ws.outputDir, 'sub/out.txt'), 'mine');
    await fs.symlink(outside, path.join(ws.outputDir, 'other'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(ws.outputDir, 'leak.txt'));
    const refs = await ws.publish();
    expect(refs.map((r) => r.path)).toEqual(['runs/w1/c/sub/out.txt']);
    expect((await st.artifacts.listAll('runs/w1')).map((r) => r.path)).toEqual(['runs/w1/c/sub/out.txt']);
    await ws.dispose();
    await expect(fs.access(ws.outputDir)).rejects.toThrow();
  });

  test('checkpoint uploads run in the background, newest wins, and a link or a path outside is not uploaded', async () => {
    const ws = await st.workspaces.open({ outputDir: 'runs/w2', nodeId: 't' });
    await fs.writeFile(path.join(ws.outputDir, 'a.ckpt'), 'A');
    await fs.writeFile(path.join(ws.outputDir, 'b.ckpt'), 'B');
    await fs.writeFile(path.join(ws.outputDir, 'c.ckpt'), 'C');
    const a = await ws.uploadCheckpoint('a.ckpt');
    expect(a).toMatchObject({ path: 'runs/w2/t/a.ckpt', sha256: sha('A') });
    // Reported together: only the newest is uploaded, the older report resolves without one.
    const [b, c] = await Promise.all([ws.uploadCheckpoint('b.ckpt'), ws.uploadCheckpoint('c.ckpt')]);
    expect(b).toBeUndefined();
    expect(c).toMatchObject({ path: 'runs/w2/t/c.ckpt', sha256: sha('C') });
    expect(await st.artifacts.objects.stat('runs/w2/t/b.ckpt')).toBeUndefined();
    await fs.symlink(path.join(outside), path.join(ws.outputDir, 'l'));
    expect(await ws.uploadCheckpoint('l/x')).toBeUndefined();
    expect(await ws.uploadCheckpoint('../../x')).toBeUndefined();
    expect(await ws.uploadCheckpoint('missing.ckpt')).toBeUndefined();
  });

  test('materialise downloads a ref into the inputs folder and checks its sha256', async () => {
    const ref = await st.artifacts.put('runs/w3', 'up', 'data.json', '[1,2]', 'application/json');
    const ws = await st.workspaces.open({ outputDir: 'runs/w3', nodeId: 'down' });
    const local = await ws.materialise(ref);
    expect(await fs.readFile(local, 'utf8')).toBe('[1,2]');
    expect(local.startsWith(ws.outputDir)).toBe(false);
    await expect(ws.materialise({ ...ref, sha256: sha('other') })).rejects.toBeInstanceOf(IntegrityError);
  });
});

describe('A fresh store root', () => {
  test('the first log line of an owner creates the root and the owner folder (a fresh TRAINYARD_HOME has no artifacts/ yet)', async () => {
    const fresh = path.join(root, 'not-yet', 'artifacts');
    const logs = new LocalLogSink(new LocalObjectStore(fresh));
    await logs.append('dev/runs/j1/shards/logs/output.log', 'attempt 1 started\n');
    expect(await fs.readFile(path.join(fresh, 'dev/runs/j1/shards/logs/output.log'), 'utf8')).toBe(
      'attempt 1 started\n',
    );
  });
});
