// The local-filesystem ObjectStore (the embedded default). Objects are plain files under the root
// (`<root>/<key>`); their sha256 / size / media type live in a parallel tree
// (`<root>/.trainyard-meta/<key>.json`), written with the object, so listing never re-hashes.
// Every write goes to a temp file beside the target, is fsynced, then renamed over the final name.
// Reads refuse symlinks anywhere below the root (each component is lstat-ed; the file itself is
// opened with O_NOFOLLOW), so a link planted in the tree can never make the store read elsewhere.
import { createHash, randomBytes } from 'node:crypto';
import { constants as FS, createReadStream, createWriteStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { mediaTypeFor } from './media-types';
import {
  IntegrityError,
  InvalidKeyError,
  MAX_LIST_PAGE,
  ObjectNotFoundError,
  RESERVED_PREFIX,
  StoreUnavailableError,
  checkKey,
  decodePageToken,
  encodePageToken,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from './object-store';

const META_DIR = `${RESERVED_PREFIX}meta`;
const TMP_MARK = `${RESERVED_PREFIX}tmp-`;

interface StoredMeta {
  sha256: string;
  size: number;
  mediaType: string;
}

export class LocalObjectStore implements ObjectStore {
  readonly kind = 'file' as const;
  readonly root: string;
  readonly uri: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.uri = pathToFileURL(this.root).href;
  }

  uriOf(key: string): string {
    return pathToFileURL(this.fileOf(key)).href;
  }

  /** Absolute path of a key's file (lexically; no filesystem check). */
  private fileOf(key: string): string {
    return path.join(this.root, ...checkKey(key).split('/'));
  }

  private metaOf(key: string): string {
    return path.join(this.root, META_DIR, ...checkKey(key).split('/')) + '.json';
  }

  /**
   * Every existing component below the root must be a real directory (the last one a regular file
   * when `file`): a symlink anywhere is refused. Returns the file's lstat, or undefined when absent.
   */
  private async confined(key: string): Promise<Stats | undefined> {
    const segs = checkKey(key).split('/');
    let p = this.root;
    for (let i = 0; i < segs.length; i++) {
      p = path.join(p, segs[i]!);
      let st: Stats;
      try {
        st = await fs.lstat(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
          return undefined;
        throw err;
      }
      if (st.isSymbolicLink()) throw new InvalidKeyError(`${key}: a symlink in the store is never followed`);
      const last = i === segs.length - 1;
      if (!last && !st.isDirectory()) return undefined;
      if (last) return st.isFile() ? st : undefined;
    }
    return undefined;
  }

  private async readMeta(key: string): Promise<StoredMeta | undefined> {
    try {
      const m = JSON.parse(await fs.readFile(this.metaOf(key), 'utf8')) as Partial<StoredMeta>;
      if (typeof m.sha256 === 'string' && typeof m.size === 'number' && typeof m.mediaType === 'string')
        return { sha256: m.sha256, size: m.size, mediaType: m.mediaType };
    } catch {
      /* absent or torn: backfilled below */
    }
    return undefined;
  }

  private async writeAtomic(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempBeside(file);
    try {
      await write(tmp);
      const fh = await fs.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /** Object first to a temp file, meta renamed into place, then the object: a reader never sees a partial object. */
  private async commit(key: string, write: (tmp: string) => Promise<StoredMeta>): Promise<ObjectInfo> {
    const file = this.fileOf(key);
    // The parent folders must not be links (a symlinked folder would put the object elsewhere).
    await this.checkParents(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = tempBeside(file);
    try {
      const meta = await write(tmp);
      const fh = await fs.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await this.writeAtomic(this.metaOf(key), (t) => fs.writeFile(t, JSON.stringify(meta)));
      await this.checkParents(key);
      await fs.rename(tmp, file);
      return { key: checkKey(key), ...meta };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  private async checkParents(key: string): Promise<void> {
    const segs = checkKey(key).split('/');
    let p = this.root;
    for (const seg of segs.slice(0, -1)) {
      p = path.join(p, seg);
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st) return;
      if (st.isSymbolicLink()) throw new InvalidKeyError(`${key}: a symlink in the store is never followed`);
    }
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<ObjectInfo> {
    const buf =
      typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return this.commit(key, async (tmp) => {
      await fs.writeFile(tmp, buf, { flag: 'wx' });
      return {
        sha256: createHash('sha256').update(buf).digest('hex'),
        size: buf.byteLength,
        mediaType: opts.mediaType,
      };
    });
  }

  async putFile(key: string, srcPath: string, opts: PutOptions): Promise<ObjectInfo> {
    return this.commit(key, async (tmp) => {
      const src = await fs.open(srcPath, FS.O_RDONLY | FS.O_NOFOLLOW);
      try {
        if (!(await src.stat()).isFile()) throw new InvalidKeyError(`${srcPath} is not a regular file`);
        const hash = createHash('sha256');
        let size = 0;
        const tap = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            size += chunk.byteLength;
            cb(null, chunk);
          },
        });
        await pipeline(src.createReadStream({ autoClose: false }), tap, createWriteStream(tmp, { flags: 'wx' }));
        return { sha256: hash.digest('hex'), size, mediaType: opts.mediaType };
      } finally {
        await src.close();
      }
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const st = await this.confined(key);
    if (!st) return undefined;
    const meta = await this.readMeta(key);
    if (meta && meta.size <= st.size) return { key: checkKey(key), ...meta };
    // An object written before the store kept its facts (or by hand): hashed once, then remembered.
    const file = this.fileOf(key);
    const { sha256, size } = await hashFile(file);
    const info = { sha256, size, mediaType: mediaTypeFor(key) };
    await this.writeAtomic(this.metaOf(key), (t) => fs.writeFile(t, JSON.stringify(info))).catch(() => undefined);
    return { key: checkKey(key), ...info };
  }

  /** Records the current content of a file written in place (a log) as the object's stored facts. */
  async remember(key: string, mediaType: string): Promise<ObjectInfo | undefined> {
    if (!(await this.confined(key))) return undefined;
    const { sha256, size } = await hashFile(this.fileOf(key));
    const meta = { sha256, size, mediaType };
    await this.writeAtomic(this.metaOf(key), (t) => fs.writeFile(t, JSON.stringify(meta)));
    return { key: checkKey(key), ...meta };
  }

  async openRead(
    key: string,
    range: { start?: number; end?: number } = {},
  ): Promise<{ info: ObjectInfo; stream: Readable }> {
    const info = await this.stat(key);
    if (!info) throw new ObjectNotFoundError(key);
    const fh = await fs.open(this.fileOf(key), FS.O_RDONLY | FS.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ELOOP') throw new InvalidKeyError(`${key}: a symlink in the store is never followed`);
      if (err.code === 'ENOENT') throw new ObjectNotFoundError(key);
      throw err;
    });
    const start = range.start ?? 0;
    // Exactly the stored size: a log being appended to serves what its facts describe.
    const end = Math.min(range.end ?? info.size - 1, info.size - 1);
    if (end < start) {
      await fh.close();
      const { Readable: R } = await import('node:stream');
      return { info, stream: R.from([]) };
    }
    return { info, stream: fh.createReadStream({ start, end, autoClose: true }) };
  }

  async get(key: string, expectSha256?: string): Promise<Buffer> {
    const { info, stream } = await this.openRead(key);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    const want = expectSha256 ?? info.sha256;
    const got = createHash('sha256').update(buf).digest('hex');
    if (got !== want) throw new IntegrityError(key, want, got);
    return buf;
  }

  async download(key: string, destPath: string, expectSha256?: string): Promise<ObjectInfo> {
    const { info, stream } = await this.openRead(key);
    await fs.mkdir(path.dirname(destPath), { recursive: true });
    const tmp = `${destPath}${TMP_MARK}${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(stream, tap, createWriteStream(tmp, { flags: 'wx' }));
      const got = hash.digest('hex');
      const want = expectSha256 ?? info.sha256;
      if (got !== want) throw new IntegrityError(key, want, got);
      await fs.rename(tmp, destPath);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return info;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    const folder = checkKey(prefix, 'prefix');
    const after = decodePageToken(opts.pageToken);
    const limit = Math.min(Math.max(1, opts.limit ?? MAX_LIST_PAGE), MAX_LIST_PAGE);
    const keys: string[] = [];
    // Depth-first in key order; links are neither followed nor listed.
    const walk = async (dir: string, keyPrefix: string): Promise<boolean> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return true;
        throw err;
      }
      const names = entries
        .filter((e) => !e.name.startsWith(RESERVED_PREFIX))
        .map((e) => ({ e, key: `${keyPrefix}/${e.name}`, order: `${e.name}${e.isDirectory() ? '/' : ''}` }))
        // A folder sorts as "name/", so the walk yields keys in plain key order (as S3 lists them).
        .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
      for (const { e, key } of names) {
        if (e.isDirectory()) {
          // Skip whole folders that sort before the page token.
          if (after !== undefined && !(`${key}/` > after || after.startsWith(`${key}/`))) continue;
          if (!(await walk(path.join(dir, e.name), key))) return false;
        } else if (e.isFile()) {
          if (after !== undefined && key <= after) continue;
          keys.push(key);
          if (keys.length > limit) return false;
        }
      }
      return true;
    };
    const base = await this.confinedDir(folder);
    if (base) await walk(base, folder);
    const more = keys.length > limit;
    const pageKeys = keys.slice(0, limit);
    const objects: ObjectInfo[] = [];
    for (const k of pageKeys) {
      const info = await this.stat(k).catch(() => undefined);
      if (info) objects.push(info);
    }
    return { objects, ...(more && pageKeys.length > 0 && { nextPageToken: encodePageToken(pageKeys.at(-1)!) }) };
  }

  /** A folder under the root reached through real directories only, or undefined. */
  private async confinedDir(folder: string): Promise<string | undefined> {
    let p = this.root;
    for (const seg of folder.split('/')) {
      p = path.join(p, seg);
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st || !st.isDirectory()) return undefined; // absent, a file, or a link: nothing listed
    }
    return p;
  }

  async delete(key: string): Promise<void> {
    await this.checkParents(key);
    await fs.rm(this.fileOf(key), { force: true });
    await fs.rm(this.metaOf(key), { force: true });
  }

  async check(): Promise<void> {
    try {
      await fs.mkdir(this.root, { recursive: true });
      await fs.access(this.root, FS.W_OK | FS.R_OK);
    } catch (err) {
      throw new StoreUnavailableError(`artifact root ${this.root} is not a writable folder: ${(err as Error).message}`);
    }
  }
}

/** A temp name beside the target; the reserved prefix keeps it out of listings and unreachable by key. */
function tempBeside(file: string): string {
  return path.join(
    path.dirname(file),
    `${TMP_MARK}${path.basename(file)}-${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

async function hashFile(abs: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(abs)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { sha256: h.digest('hex'), size };
}
