// The object store: where every artifact, checkpoint and sealed log lives, addressed by a key
// relative to the store's root ("runs/<jobId>/<nodeId>/model.json"). Implementations: the local
// filesystem (local-object-store.ts, the embedded default) and any S3-compatible server
// (s3-object-store.ts). The sha256, size and media type are stored with each object when it is
// written and read back on stat/list — never recomputed. A write is atomic: a reader sees the
// whole new object or the old one, never a partial object under its final name.
import type { Readable } from 'node:stream';

/** What the store keeps about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  sha256: string;
  mediaType: string;
}

export interface PutOptions {
  mediaType: string;
}

export interface ListOptions {
  /** From a previous page's nextPageToken. */
  pageToken?: string;
  /** Objects per page (default and maximum 1000). */
  limit?: number;
}

export interface ListPage {
  objects: ObjectInfo[];
  nextPageToken?: string;
}

export interface ObjectStore {
  /** 'file' (local filesystem) or 's3'. */
  readonly kind: 'file' | 's3';
  /** The store's root as a URI: file:///abs/root or s3://bucket/prefix. */
  readonly uri: string;
  /** The URI of one key (what an ArtifactRef carries). */
  uriOf(key: string): string;
  /** Writes an object from memory, atomically. */
  put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<ObjectInfo>;
  /**
   * Writes an object from a local file, streaming (multipart for large objects on S3), atomically.
   * A symlink as `srcPath` is refused: publishing never follows links.
   */
  putFile(key: string, srcPath: string, opts: PutOptions): Promise<ObjectInfo>;
  /** Reads a whole object; with `expectSha256`, an object whose content differs throws IntegrityError. */
  get(key: string, expectSha256?: string): Promise<Buffer>;
  /** Streams an object (or a byte range of it); the stream delivers exactly `info.size` bytes from `start`. */
  openRead(key: string, range?: { start?: number; end?: number }): Promise<{ info: ObjectInfo; stream: Readable }>;
  /** Streams an object into a local file (temp + rename), verifying `expectSha256` when given. */
  download(key: string, destPath: string, expectSha256?: string): Promise<ObjectInfo>;
  /** The object's stored facts, or undefined when there is none. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix` (a folder: "runs/<job>/"), in key order, a page at a time. */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** Removes an object (no error when it does not exist). */
  delete(key: string): Promise<void>;
  /** Throws StoreUnavailableError saying what is wrong (missing bucket, wrong credentials, unreachable). */
  check(): Promise<void>;
}

export const MAX_LIST_PAGE = 1000;

/** A key that is not a plain relative path inside the store (`..`, absolute, empty segment, NUL, backslash). */
export class InvalidKeyError extends Error {
  override name = 'InvalidKeyError';
}

export class ObjectNotFoundError extends Error {
  override name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`no object ${JSON.stringify(key)} in the store`);
  }
}

/** The content read does not match the sha256 it was written (or referenced) with. */
export class IntegrityError extends Error {
  override name = 'IntegrityError';
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`object ${key} does not match its sha256: expected ${expected}, got ${actual} (corrupt or replaced)`);
  }
}

/** The store cannot be used at all (bucket missing, credentials refused, server unreachable). */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** Segments reserved for the stores' own bookkeeping; no key may use them. */
export const RESERVED_PREFIX = '.trainyard-';

/** Validates a key (or, with `folder`, a key prefix); returns it normalised without a trailing slash. */
export function checkKey(key: string, what = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(`${what} is empty`);
  if (key.length > 900) throw new InvalidKeyError(`${what} is longer than 900 characters`);
  if (key.includes('\0')) throw new InvalidKeyError(`${what} contains NUL: ${JSON.stringify(key)}`);
  if (key.includes('\\')) throw new InvalidKeyError(`${what} contains a backslash: ${JSON.stringify(key)}`);
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw new InvalidKeyError(`${what} is absolute: ${key}`);
  const trimmed = key.endsWith('/') ? key.slice(0, -1) : key;
  for (const seg of trimmed.split('/')) {
    if (seg === '' || seg === '.' || seg === '..')
      throw new InvalidKeyError(`${what} has an empty, "." or ".." segment: ${JSON.stringify(key)}`);
    if (seg.startsWith(RESERVED_PREFIX)) throw new InvalidKeyError(`${what} uses a reserved name: ${key}`);
  }
  return trimmed;
}

/** `a/b` + `c/d` → `a/b/c/d`, both checked. */
export function joinKey(...parts: string[]): string {
  return checkKey(parts.map((p) => checkKey(p)).join('/'));
}

/** Page tokens: the last key of the previous page, opaque to callers. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodePageToken(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidKeyError('pageToken is not a token this store issued');
  return Buffer.from(token, 'base64url').toString('utf8');
}
