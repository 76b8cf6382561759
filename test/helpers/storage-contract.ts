// The storage contract: one suite every ObjectStore + LogSink pair must pass (the local filesystem
// in test/unit/local-storage.test.ts, MinIO in test/integration/s3-storage.test.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LogSink } from '../../src/storage/log-sink';
import { IntegrityError, InvalidKeyError, ObjectNotFoundError, type ObjectStore } from '../../src/storage/object-store';

export interface ContractSubject {
  objects: ObjectStore;
  logs: LogSink;
  /** Waits until the log sink has made what was written readable (chunked sinks flush on a timer). */
  settle?: () => Promise<void>;
}

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export function storageContract(name: string, subject: () => ContractSubject): void {
  describe(`storage contract: ${name}`, () => {
    let s: ContractSubject;
    let tmp: string;
    let n = 0;
    /** A fresh folder per test so tests never see each other's objects. */
    let base: string;
    beforeAll(async () => {
      s = subject();
      tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'contract-'));
    });
    beforeEach(() => {
      base = `c${Date.now().toString(36)}${n++}`;
    });
    afterAll(async () => {
      await fs.rm(tmp, { recursive: true, force: true });
    });

    test('put stores the sha256, size and media type with the object; stat and get give them back', async () => {
      const info = await s.objects.put(`${base}/a/model.json`, '{"a":1}', { mediaType: 'application/json' });
      expect(info).toEqual({
        key: `${base}/a/model.json`,
        sha256: sha('{"a":1}'),
        size: 7,
        mediaType: 'application/json',
      });
      expect(await s.objects.stat(`${base}/a/model.json`)).toEqual(info);
      expect((await s.objects.get(`${base}/a/model.json`)).toString()).toBe('{"a":1}');
      expect(s.objects.uriOf(`${base}/a/model.json`)).toMatch(
        new RegExp(`^${s.objects.kind}://.*${base}/a/model\\.json$`),
      );
      expect(await s.objects.stat(`${base}/a/none.json`)).toBeUndefined();
    });

    test('an overwrite replaces the whole object; a read against the old sha256 is an IntegrityError', async () => {
      const a = await s.objects.put(`${base}/x.bin`, new Uint8Array([1, 2, 3]), {
        mediaType: 'application/octet-stream',
      });
      const b = await s.objects.put(`${base}/x.bin`, new Uint8Array([4, 5]), { mediaType: 'application/octet-stream' });
      expect(b.size).toBe(2);
      await expect(s.objects.get(`${base}/x.bin`, a.sha256)).rejects.toBeInstanceOf(IntegrityError);
      expect([...(await s.objects.get(`${base}/x.bin`, b.sha256))]).toEqual([4, 5]);
    });

    test('putFile streams a local file in; a symlink as the source is refused', async () => {
      const src = path.join(tmp, `${base}.bin`);
      const bytes = Buffer.alloc(3 << 20, 7);
      await fs.writeFile(src, bytes);
      const info = await s.objects.putFile(`${base}/big.bin`, src, { mediaType: 'application/octet-stream' });
      expect(info).toMatchObject({ size: bytes.length, sha256: sha(bytes) });
      await fs.symlink(src, `${src}.link`);
      await expect(s.objects.putFile(`${base}/link.bin`, `${src}.link`, { mediaType: 'text/plain' })).rejects.toThrow();
      expect(await s.objects.stat(`${base}/link.bin`)).toBeUndefined();
    });

    test('openRead streams the object or a byte range of it', async () => {
      await s.objects.put(`${base}/r.txt`, 'hello world', { mediaType: 'text/plain' });
      const read = async (range?: { start?: number; end?: number }) => {
        const { info, stream } = await s.objects.openRead(`${base}/r.txt`, range);
        const parts: Buffer[] = [];
        for await (const c of stream) parts.push(c as Buffer);
        return { info, text: Buffer.concat(parts).toString() };
      };
      expect(await read()).toMatchObject({ text: 'hello world', info: { size: 11, mediaType: 'text/plain' } });
      expect((await read({ start: 6 })).text).toBe('world');
      expect((await read({ start: 0, end: 4 })).text).toBe('hello');
      await expect(s.objects.openRead(`${base}/none`)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    test('download writes a verified local copy; a sha256 mismatch leaves no file behind', async () => {
      const info = await s.objects.put(`${base}/d.txt`, 'payload', { mediaType: 'text/plain' });
      const dest = path.join(tmp, base, 'd.txt');
      expect(await s.objects.download(`${base}/d.txt`, dest, info.sha256)).toMatchObject({ size: 7 });
      expect(await fs.readFile(dest, 'utf8')).toBe('payload');
      const bad = path.join(tmp, base, 'bad.txt');
      await expect(s.objects.download(`${base}/d.txt`, bad, sha('other'))).rejects.toBeInstanceOf(IntegrityError);
      expect((await fs.readdir(path.join(tmp, base))).sort()).toEqual(['d.txt']);
    });

    test('list pages through a folder in key order, with the stored facts, and only that folder', async () => {
      const keys: string[] = [];
      for (let i = 0; i < 23; i++) keys.push(`${base}/j1/n${i % 3}/f-${String(i).padStart(2, '0')}.json`);
      keys.push(`${base}/j1/n0/sub/deep.txt`, `${base}/j1/a-b.txt`);
      await Promise.all(keys.map((k) => s.objects.put(k, k, { mediaType: 'text/plain' })));
      await s.objects.put(`${base}/j10/other.txt`, 'x', { mediaType: 'text/plain' });
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await s.objects.list(`${base}/j1/`, { limit: 10, pageToken });
        for (const o of page.objects)
          expect(o).toEqual({
            key: o.key,
            size: Buffer.byteLength(o.key),
            sha256: sha(o.key),
            mediaType: 'text/plain',
          });
        seen.push(...page.objects.map((o) => o.key));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken);
      expect(pages).toBe(3);
      expect(seen).toEqual([...keys].sort());
      expect((await s.objects.list(`${base}/none/`)).objects).toEqual([]);
    });

    test('delete removes an object; get of a missing key is ObjectNotFoundError', async () => {
      await s.objects.put(`${base}/gone.txt`, 'x', { mediaType: 'text/plain' });
      await s.objects.delete(`${base}/gone.txt`);
      await s.objects.delete(`${base}/gone.txt`);
      expect(await s.objects.stat(`${base}/gone.txt`)).toBeUndefined();
      await expect(s.objects.get(`${base}/gone.txt`)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });

    test('keys that are not plain relative paths are refused before anything is written', async () => {
      for (const key of [
        '../x',
        `${base}/../../x`,
        '/etc/passwd',
        `${base}/a\0b`,
        `${base}//x`,
        `${base}/.trainyard-meta/x`,
        `${base}\\x`,
      ])
        await expect(s.objects.put(key, 'x', { mediaType: 'text/plain' })).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(s.objects.list('../')).rejects.toBeInstanceOf(InvalidKeyError);
    });

    test('check passes on a usable store', async () => {
      await expect(s.objects.check()).resolves.toBeUndefined();
    });

    test('log sink: appends are read back from any offset; a writer streams lines; seal stores it as an object', async () => {
      const key = `${base}/n/logs/output.log`;
      expect(await s.logs.read(key, 0)).toBeUndefined();
      await s.logs.append(key, 'one\n');
      await s.logs.append(key, 'two\n');
      const w = s.logs.open(key);
      w.write('three\n');
      w.write('four\n');
      await w.close();
      await s.settle?.();
      const all = await s.logs.read(key, 0);
      expect(all?.data.toString()).toBe('one\ntwo\nthree\nfour\n');
      expect(all).toMatchObject({ size: 19, next: 19 });
      expect((await s.logs.read(key, 4))?.data.toString()).toBe('two\nthree\nfour\n');
      expect((await s.logs.read(key, 4, 6))?.data.toString()).toBe('two\nth');
      expect((await s.logs.read(key, 19))?.data.length).toBe(0);
      expect(await s.logs.size(key)).toBe(19);
      const sealed = await s.logs.seal(key, 'text/plain');
      expect(sealed).toMatchObject({ key, size: 19, sha256: sha('one\ntwo\nthree\nfour\n'), mediaType: 'text/plain' });
      expect((await s.objects.get(key, sealed!.sha256)).toString()).toBe('one\ntwo\nthree\nfour\n');
      // Appends after a seal keep working (the next attempt of the node).
      await s.logs.append(key, 'five\n');
      await s.settle?.();
      expect((await s.logs.read(key, 19))?.data.toString()).toBe('five\n');
    });
  });
}
