// The local LogSink: each log is one file of the local store's tree (`<root>/<key>`), appended in
// place (O_APPEND, never through a symlink), so a line is readable the moment it is written.
// Sealing records the file's sha256/size as the object's stored facts.
import { constants as FS, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_READ_MAX, type LogChunk, type LogSink, type LogWriter } from './log-sink';
import type { LocalObjectStore } from './local-object-store';
import { mediaTypeFor } from './media-types';
import { InvalidKeyError, checkKey, type ObjectInfo } from './object-store';

const APPEND = FS.O_WRONLY | FS.O_APPEND | FS.O_CREAT | FS.O_NOFOLLOW;

export class LocalLogSink implements LogSink {
  constructor(private readonly store: LocalObjectStore) {}

  private async fileFor(key: string, create: boolean): Promise<string> {
    const segs = checkKey(key).split('/');
    let p = this.store.root;
    // The root itself may not exist yet (a fresh TRAINYARD_HOME): it is ours, so create it whole.
    if (create) await fs.mkdir(p, { recursive: true });
    for (const seg of segs.slice(0, -1)) {
      p = path.join(p, seg);
      const st = await fs.lstat(p).catch(() => undefined);
      if (st?.isSymbolicLink()) throw new InvalidKeyError(`${key}: a symlink in the store is never followed`);
      if (!st && create)
        await fs.mkdir(p).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw err;
        });
    }
    return path.join(p, segs.at(-1)!);
  }

  async append(key: string, text: string): Promise<void> {
    const fh = await fs.open(await this.fileFor(key, true), APPEND, 0o644);
    try {
      await fh.write(text);
    } finally {
      await fh.close();
    }
  }

  /** The file is created by the first write: a writer that never writes leaves no log behind. */
  open(key: string): LogWriter {
    checkKey(key);
    let opened: Promise<WriteStream | undefined> | undefined;
    let stream: WriteStream | undefined;
    let failed: Error | undefined;
    const queued: string[] = [];
    const start = (): Promise<WriteStream | undefined> =>
      (opened ??= this.fileFor(key, true)
        .then((file) => fs.open(file, APPEND, 0o644))
        .then(
          (fh) => {
            const s = fh.createWriteStream();
            s.on('error', (err) => (failed = err));
            for (const t of queued.splice(0)) s.write(t);
            stream = s;
            return s;
          },
          (err: Error) => {
            failed = err;
            return undefined;
          },
        ));
    return {
      write(text) {
        if (!text) return;
        if (stream) stream.write(text);
        else {
          queued.push(text);
          void start();
        }
      },
      async close() {
        const s = opened ? await opened : undefined;
        if (s) await new Promise<void>((resolve) => s.end(resolve));
        if (failed) throw failed;
      },
    };
  }

  async read(key: string, offset: number, maxBytes = DEFAULT_READ_MAX): Promise<LogChunk | undefined> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(await this.fileFor(key, false), FS.O_RDONLY | FS.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw new InvalidKeyError(`${key}: a symlink in the store is never followed`);
      throw err;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) return undefined;
      const start = Math.min(Math.max(0, offset), st.size);
      const len = Math.min(st.size - start, Math.max(0, maxBytes));
      const data = Buffer.alloc(len);
      const { bytesRead } = len > 0 ? await fh.read(data, 0, len, start) : { bytesRead: 0 };
      return { data: data.subarray(0, bytesRead), size: st.size, next: start + bytesRead };
    } finally {
      await fh.close();
    }
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.read(key, 0, 0))?.size;
  }

  async seal(key: string, mediaType = mediaTypeFor(key)): Promise<ObjectInfo | undefined> {
    return this.store.remember(key, mediaType);
  }
}
