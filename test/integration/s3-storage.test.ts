// The storage contract on a real S3-compatible server (MinIO, a separate process), plus what only
// S3 shows: a missing bucket or refused credentials named by check(), multipart uploads, the
// chunked log sink's cross-process visibility.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ChunkedLogSink } from '../../src/storage/chunked-log-sink';
import { ObjectNotFoundError, StoreUnavailableError } from '../../src/storage/object-store';
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
    expect(info.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const back = path.join(m.tmpDir, 'back.bin');
    await objects.download('runs/big/n/ckpt.bin', back, info.sha256);
    expect((await fs.readFile(back)).equals(bytes)).toBe(true);
    // The facts (hashed during the upload, kept in a sidecar) read back on stat, list and ranged reads.
    expect(await objects.stat('runs/big/n/ckpt.bin')).toEqual(info);
    expect((await objects.list('runs/big')).objects).toEqual([info]);
    const { info: ranged, stream } = await objects.openRead('runs/big/n/ckpt.bin', { start: 4096, end: 4096 });
    expect(ranged).toEqual(info);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(4096, 4097));
  });

  test('a multipart object is published only with its facts: without them, or replaced behind the store, it is absent', async () => {
    const file = path.join(m.tmpDir, 'big2.bin');
    await fs.writeFile(file, Buffer.alloc(20 << 20, 7));
    const key = 'runs/facts/n/ckpt.bin';
    const bucketKey = objects.s3Key(key);
    await objects.putFile(key, file, { mediaType: 'application/octet-stream' });
    const factsKey = objects.reservedKey(`facts/${key}`);
    await expect(objects.client.send(new HeadObjectCommand({ Bucket: m.bucket, Key: factsKey }))).resolves.toBeTruthy();
    // The same key rewritten by a multipart upload whose facts were never written (a crash between the
    // two writes): the old sidecar names another ETag, so the object is not published.
    await new Upload({
      client: objects.client,
      params: { Bucket: m.bucket, Key: bucketKey, Body: Buffer.alloc(17 << 20, 9), Metadata: { facts: 'sidecar' } },
      partSize: 16 << 20,
    }).done();
    expect(await objects.stat(key)).toBeUndefined();
    await expect(objects.openRead(key)).rejects.toThrow(ObjectNotFoundError);
    expect((await objects.list('runs/facts')).objects).toEqual([]);
    // Written again through the store: published; deleted: object and sidecar both gone.
    const again = await objects.putFile(key, file, { mediaType: 'application/octet-stream' });
    expect(await objects.stat(key)).toEqual(again);
    await objects.delete(key);
    expect(await objects.stat(key)).toBeUndefined();
    await expect(objects.client.send(new HeadObjectCommand({ Bucket: m.bucket, Key: factsKey }))).rejects.toThrow();
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
