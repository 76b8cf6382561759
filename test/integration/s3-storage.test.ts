// The storage contract on a real S3-compatible server (MinIO, a separate process), plus what only
// S3 shows: a missing bucket or refused credentials named by check(), multipart uploads, the
// chunked log sink's cross-process visibility.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ChunkedLogSink } from '../../src/storage/chunked-log-sink';
import { StoreUnavailableError } from '../../src/storage/object-store';
import { S3ObjectStore } from '../../src/storage/s3-object-store';
import { minioAvailable, startTestMinio, type TestMinio } from '../helpers/minio';
import { storageContract } from '../helpers/storage-contract';

const run = minioAvailable() ? describe : describe.skip;

run('S3 (MinIO)', () => {
  let m: TestMinio;
  let objects: S3ObjectStore;
  beforeAll(async () => {
    m = await startTestMinio();
    objects = new S3ObjectStore(m.minio.storeConfig(m.bucket, 'contract/prefix'));
  }, 120_000);
  afterAll(async () => {
    objects?.client.destroy();
    await m?.teardown();
  });

  storageContract('S3 on MinIO', () => {
    const logs = new ChunkedLogSink(objects, { flushMs: 50 });
    return { objects, logs };
  });

  test('refs carry the s3:// URI of the bucket and prefix', () => {
    expect(objects.uri).toBe(`s3://${m.bucket}/contract/prefix`);
    expect(objects.uriOf('runs/j/n/a.json')).toBe(`s3://${m.bucket}/contract/prefix/runs/j/n/a.json`);
  });

  test('a large file goes up as a multipart upload and comes back whole', async () => {
    const file = path.join(m.tmpDir, 'big.bin');
    const bytes = Buffer.alloc(40 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    await fs.writeFile(file, bytes);
    const info = await objects.putFile('runs/big/n/ckpt.bin', file, { mediaType: 'application/octet-stream' });
    expect(info.size).toBe(bytes.length);
    const back = path.join(m.tmpDir, 'back.bin');
    await objects.download('runs/big/n/ckpt.bin', back, info.sha256);
    expect((await fs.readFile(back)).equals(bytes)).toBe(true);
  });

  test('check() says when the bucket does not exist, and when the credentials are wrong', async () => {
    const missing = new S3ObjectStore(m.minio.storeConfig('no-such-bucket'));
    await expect(missing.check()).rejects.toThrow(StoreUnavailableError);
    await expect(missing.check()).rejects.toThrow(/bucket "no-such-bucket" does not exist/);
    const wrong = new S3ObjectStore({ ...m.minio.storeConfig(m.bucket), secretAccessKey: 'wrong-secret-123' });
    await expect(wrong.check()).rejects.toThrow(/credentials were refused/);
    const unknown = new S3ObjectStore({ ...m.minio.storeConfig(m.bucket), accessKeyId: 'nobody' });
    await expect(unknown.check()).rejects.toThrow(/credentials were refused/);
    for (const s of [missing, wrong, unknown]) s.client.destroy();
  });

  test('a log line written through one sink is read through another (another host) once flushed', async () => {
    const writer = new ChunkedLogSink(objects, { flushMs: 100 });
    const reader = new ChunkedLogSink(new S3ObjectStore(m.minio.storeConfig(m.bucket, 'contract/prefix')));
    const w = writer.open('runs/live/n/logs/output.log');
    w.write('first line\n');
    let seen = '';
    for (let i = 0; i < 50 && !seen.includes('first line'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = (await reader.read('runs/live/n/logs/output.log', 0))?.data.toString() ?? '';
    }
    expect(seen).toBe('first line\n');
    w.write('second\n');
    await w.close();
    expect((await reader.read('runs/live/n/logs/output.log', seen.length))?.data.toString()).toBe('second\n');
  });
});
