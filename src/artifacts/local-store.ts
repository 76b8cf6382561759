// Local-filesystem ArtifactStore. Every write goes to a temp file in the target folder, is fsynced,
// then renamed over the final name, so readers (and retried attempts) only ever see whole files.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { ArtifactRef } from '../domain/step-io';
import type { ArtifactStore } from './artifact-store';

const TMP_MARK = '.tmp-';

const MEDIA_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.onnx': 'application/onnx',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.pt': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

/** Media type guessed from a file name's extension (application/octet-stream when unknown). */
export function mediaTypeFor(name: string): string {
  return MEDIA_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

/** Thrown when a path would leave the artifact root. */
export class PathEscapeError extends Error {
  override name = 'PathEscapeError';
}

function checkRelative(rel: string): void {
  if (typeof rel !== 'string' || rel.length === 0) throw new PathEscapeError('empty path');
  if (rel.includes('\0')) throw new PathEscapeError(`path contains NUL: ${JSON.stringify(rel)}`);
  if (path.isAbsolute(rel) || /^[A-Za-z]:[\\/]/.test(rel) || rel.startsWith('\\')) throw new PathEscapeError(`absolute path not allowed: ${rel}`);
  if (rel.split(/[\\/]/).includes('..')) throw new PathEscapeError(`".." not allowed in path: ${rel}`);
}

function isInside(parent: string, child: string): boolean {
  const r = path.relative(parent, child);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  resolve(relPath: string): string {
    checkRelative(relPath);
    const abs = path.resolve(this.root, relPath);
    if (!isInside(this.root, abs)) throw new PathEscapeError(`path escapes the artifact root: ${relPath}`);
    // Symlinks: the deepest part of the path that exists must really live under the real root.
    const realRoot = safeRealpath(this.root) ?? this.root;
    let probe = abs;
    // Only the part of the path below the root is checked: a root that does not exist yet has
    // nothing below it that could be a symlink.
    while (isInside(this.root, probe)) {
      const real = safeRealpath(probe);
      if (real !== undefined) {
        if (!isInside(realRoot, real)) throw new PathEscapeError(`path escapes the artifact root through a symlink: ${relPath}`);
        break;
      }
      const up = path.dirname(probe);
      if (up === probe) break;
      probe = up;
    }
    return abs;
  }

  async nodeDir(jobDir: string, nodeId: string): Promise<string> {
    const dir = this.resolve(path.posix.join(jobDir, nodeId));
    await fs.mkdir(dir, { recursive: true });
    // Re-check after creating: a symlink could have been raced in.
    this.resolve(path.posix.join(jobDir, nodeId));
    return dir;
  }

  logPath(jobDir: string, nodeId: string): string {
    return this.resolve(path.posix.join(jobDir, nodeId, 'logs', 'output.log'));
  }

  async put(jobDir: string, nodeId: string, name: string, data: Uint8Array | string, mediaType: string): Promise<ArtifactRef> {
    const rel = this.relFor(jobDir, nodeId, name);
    const abs = this.resolve(rel);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    const tmp = tempNameFor(abs);
    try {
      const fh = await fs.open(tmp, 'wx');
      try {
        await fh.writeFile(buf);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.resolve(rel);
      await fs.rename(tmp, abs);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return this.refFor(name, rel, abs, createHash('sha256').update(buf).digest('hex'), buf.byteLength, mediaType);
  }

  async putFile(jobDir: string, nodeId: string, name: string, srcPath: string, mediaType: string): Promise<ArtifactRef> {
    const rel = this.relFor(jobDir, nodeId, name);
    const abs = this.resolve(rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    const tmp = tempNameFor(abs);
    try {
      await fs.copyFile(path.resolve(srcPath), tmp);
      const fh = await fs.open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(tmp, abs);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    const { sha256, size } = await hashFile(abs);
    return this.refFor(name, rel, abs, sha256, size, mediaType);
  }

  async get(ref: ArtifactRef | string): Promise<Buffer> {
    const rel = typeof ref === 'string' ? this.relOf(ref) : ref.path;
    const buf = await fs.readFile(this.resolve(rel));
    if (typeof ref !== 'string' && ref.sha256) {
      const got = createHash('sha256').update(buf).digest('hex');
      if (got !== ref.sha256) throw new Error(`artifact ${rel} is corrupt or was replaced: sha256 ${got} ≠ ${ref.sha256}`);
    }
    return buf;
  }

  async list(jobDir: string): Promise<ArtifactRef[]> {
    const base = this.resolve(jobDir);
    const out: ArtifactRef[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) await walk(abs);
        else if (e.isFile() && !e.name.includes(TMP_MARK)) {
          const rel = path.relative(this.root, abs).split(path.sep).join('/');
          const { sha256, size } = await hashFile(abs);
          const name = path.relative(base, abs).split(path.sep).join('/').split('/').slice(1).join('/') || e.name;
          out.push(this.refFor(name, rel, abs, sha256, size, mediaTypeFor(e.name)));
        }
      }
    };
    await walk(base);
    return out;
  }

  private relFor(jobDir: string, nodeId: string, name: string): string {
    checkRelative(jobDir);
    checkRelative(nodeId);
    checkRelative(name);
    return path.posix.join(jobDir, nodeId, name);
  }

  /** Accepts a root-relative path or a file:// URI under the root. */
  private relOf(s: string): string {
    if (s.startsWith('file://')) {
      const abs = fileURLToPath(s);
      if (!isInside(this.root, abs)) throw new PathEscapeError(`URI is outside the artifact root: ${s}`);
      return path.relative(this.root, abs).split(path.sep).join('/');
    }
    return s;
  }

  private refFor(name: string, rel: string, abs: string, sha256: string, size: number, mediaType: string): ArtifactRef {
    return { name, uri: pathToFileURL(abs).href, path: rel, sha256, size, mediaType };
  }
}

function tempNameFor(abs: string): string {
  return path.join(path.dirname(abs), `.${path.basename(abs)}${TMP_MARK}${process.pid}-${randomBytes(6).toString('hex')}`);
}

function safeRealpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
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
