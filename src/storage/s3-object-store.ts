// The S3-compatible ObjectStore (AWS S3, MinIO, …): `s3://bucket/prefix`, key → `<prefix>/<key>`.
// Each object's facts (sha256, size, media type) are stored when it is written and read back on
// stat/list/openRead, never re-hashed:
// - below PART_SIZE (one PUT): the sha256 is user metadata (x-amz-meta-sha256), known before the PUT;
// - a multipart upload hashes while it uploads (one read of the file, not two), so the sha256 is only
//   known after CompleteMultipartUpload. The object is created with the metadata `facts: sidecar`
//   and the facts go into a small sidecar object, `.trainyard-facts/<key>`, that names the object's
//   ETag. Such an object is *published* only once its sidecar exists and names its ETag: until then
//   (a crash between the two writes, or an overwrite in flight) stat/list/openRead treat it as absent.
// A PUT and a completed multipart upload are atomic on S3: no reader ever sees a partial object under
// its key, and an upload that fails half-way leaves nothing (lib-storage aborts the multipart upload).
import { createHash, randomBytes } from 'node:crypto';
import { constants as FS, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { z } from 'zod';
import { Upload } from '@aws-sdk/lib-storage';
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

export interface S3StoreConfig {
  bucket: string;
  /** Key prefix inside the bucket ('' = the bucket's root), without slashes at either end. */
  prefix: string;
  /** AWS_ENDPOINT_URL (an S3-compatible server); undefined = AWS. */
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (http://host/bucket/key), which S3-compatible servers need. */
  forcePathStyle: boolean;
}

/** Objects above this go up as a multipart upload of PART_SIZE parts, QUEUE_SIZE at a time. */
const PART_SIZE = 16 << 20;
const QUEUE_SIZE = 4;
const HEAD_CONCURRENCY = 32;

export function s3Client(c: S3StoreConfig): S3Client {
  return new S3Client({
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    ...(c.endpoint && { endpoint: c.endpoint }),
    ...(c.accessKeyId &&
      c.secretAccessKey && { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } }),
    // We check content with our own sha256; no extra CRC32 on every request.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

/** The metadata marker of an object whose facts are in its sidecar (a multipart upload). */
const SIDECAR_MARKER = { facts: 'sidecar' } as const;

/** A multipart object's facts, written after the upload completes; `etag` ties them to that object. */
const StoredFacts = z.object({
  v: z.literal(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string().min(1),
  etag: z.string().min(1),
});
type StoredFacts = z.infer<typeof StoredFacts>;

interface ObjectHead {
  ContentLength?: number;
  ContentType?: string;
  ETag?: string;
  Metadata?: Record<string, string>;
}

function infoFrom(key: string, r: ObjectHead): ObjectInfo {
  return {
    key,
    size: r.ContentLength ?? 0,
    sha256: r.Metadata?.sha256 ?? '',
    mediaType: r.ContentType ?? 'application/octet-stream',
  };
}

function usesSidecar(r: ObjectHead): boolean {
  return r.Metadata?.facts === SIDECAR_MARKER.facts && !r.Metadata?.sha256;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly uri: string;
  readonly client: S3Client;

  constructor(readonly config: S3StoreConfig) {
    this.client = s3Client(config);
    this.uri = `s3://${config.bucket}${config.prefix ? `/${config.prefix}` : ''}`;
  }

  /** The bucket key of a store key. */
  s3Key(key: string): string {
    const k = checkKey(key);
    return this.config.prefix ? `${this.config.prefix}/${k}` : k;
  }

  /** Reserved (bookkeeping) keys, e.g. the log sink's chunks: not checkKey-able by users. */
  reservedKey(rel: string): string {
    return this.config.prefix ? `${this.config.prefix}/${RESERVED_PREFIX}${rel}` : `${RESERVED_PREFIX}${rel}`;
  }

  uriOf(key: string): string {
    return `s3://${this.config.bucket}/${this.s3Key(key)}`;
  }

  async put(key: string, body: Uint8Array | string, opts: PutOptions): Promise<ObjectInfo> {
    const buf =
      typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const sha256 = createHash('sha256').update(buf).digest('hex');
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: this.s3Key(key),
        Body: buf,
        ContentType: opts.mediaType,
        ContentLength: buf.byteLength,
        Metadata: { sha256 },
      }),
    );
    return { key: checkKey(key), size: buf.byteLength, sha256, mediaType: opts.mediaType };
  }

  async putFile(key: string, srcPath: string, opts: PutOptions): Promise<ObjectInfo> {
    const checked = checkKey(key);
    const s3Key = this.s3Key(checked);
    const fh = await fs.open(srcPath, FS.O_RDONLY | FS.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new InvalidKeyError(`${srcPath} is not a regular file`);
      if (st.size < PART_SIZE) {
        // One read into memory; the sha256 of the buffer is the object's metadata.
        const buf = Buffer.alloc(st.size);
        if (st.size > 0) await fh.read(buf, 0, st.size, 0);
        const sha256 = createHash('sha256').update(buf).digest('hex');
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.config.bucket,
            Key: s3Key,
            ContentType: opts.mediaType,
            Metadata: { sha256 },
            Body: buf,
            ContentLength: st.size,
          }),
        );
        return { key: checked, size: st.size, sha256, mediaType: opts.mediaType };
      }
      // Hash the bytes as they go up (one read of the file), then publish the facts in the sidecar.
      const hash = createHash('sha256');
      let sent = 0;
      const tee = new Transform({
        highWaterMark: 1 << 20,
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          sent += chunk.length;
          cb(null, chunk);
        },
      });
      const file = fh.createReadStream({ autoClose: false, start: 0, end: st.size - 1, highWaterMark: 1 << 20 });
      file.on('error', (err) => tee.destroy(err));
      const done = await new Upload({
        client: this.client,
        params: {
          Bucket: this.config.bucket,
          Key: s3Key,
          ContentType: opts.mediaType,
          Metadata: { ...SIDECAR_MARKER },
          Body: file.pipe(tee),
        },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      }).done();
      // The file changed size under us: what went up is not what was asked for.
      if (sent !== st.size) throw new Error(`${srcPath} changed while it was uploaded (${sent} of ${st.size} bytes)`);
      const etag = 'ETag' in done ? done.ETag : undefined;
      if (!etag) throw new Error(`the S3 server returned no ETag for the multipart upload of ${s3Key}`);
      const facts: StoredFacts = { v: 1, sha256: hash.digest('hex'), size: st.size, mediaType: opts.mediaType, etag };
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: this.factsKey(checked),
          Body: JSON.stringify(facts),
          ContentType: 'application/json',
        }),
      );
      return { key: checked, size: st.size, sha256: facts.sha256, mediaType: opts.mediaType };
    } finally {
      await fh.close();
    }
  }

  /** Where a multipart object's facts live: beside the store's other bookkeeping, never listed. */
  private factsKey(checkedKey: string): string {
    return this.reservedKey(`facts/${checkedKey}`);
  }

  /** A multipart object's facts, or undefined when its sidecar is missing or names another object (not published). */
  private async sidecarFacts(checkedKey: string, etag: string | undefined): Promise<StoredFacts | undefined> {
    let text: string;
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.factsKey(checkedKey) }),
      );
      text = await (r.Body as { transformToString(): Promise<string> }).transformToString();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    let parsed: ReturnType<typeof StoredFacts.safeParse>;
    try {
      parsed = StoredFacts.safeParse(JSON.parse(text));
    } catch {
      return undefined;
    }
    return parsed.success && parsed.data.etag === etag ? parsed.data : undefined;
  }

  /** The facts of a HEAD or GET answer: from its metadata, or its sidecar; undefined = not published. */
  private async factsOf(checkedKey: string, r: ObjectHead, size = r.ContentLength): Promise<ObjectInfo | undefined> {
    if (!usesSidecar(r)) return infoFrom(checkedKey, { ...r, ContentLength: size });
    const facts = await this.sidecarFacts(checkedKey, r.ETag);
    if (!facts || facts.size !== size) return undefined;
    return { key: checkedKey, size: facts.size, sha256: facts.sha256, mediaType: facts.mediaType };
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.s3Key(key) }));
      return await this.factsOf(checkKey(key), r);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async getObject(key: string, range?: string): Promise<GetObjectCommandOutput> {
    try {
      return await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.s3Key(key), ...(range && { Range: range }) }),
      );
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      if (err instanceof S3ServiceException && err.name === 'InvalidRange') return this.emptyRange(key);
      throw err;
    }
  }

  private async emptyRange(key: string): Promise<GetObjectCommandOutput> {
    const info = await this.stat(key);
    if (!info) throw new ObjectNotFoundError(key);
    return {
      $metadata: {},
      Body: Readable.from([]) as unknown as GetObjectCommandOutput['Body'],
      ContentLength: info.size,
      ContentType: info.mediaType,
      Metadata: { sha256: info.sha256 },
    };
  }

  async openRead(
    key: string,
    range: { start?: number; end?: number } = {},
  ): Promise<{ info: ObjectInfo; stream: Readable }> {
    const ranged = range.start !== undefined || range.end !== undefined;
    const r = await this.getObject(key, ranged ? `bytes=${range.start ?? 0}-${range.end ?? ''}` : undefined);
    const total = r.ContentRange ? Number(/\/(\d+)$/.exec(r.ContentRange)?.[1]) : r.ContentLength;
    const info = await this.factsOf(checkKey(key), r, total);
    if (!info) {
      (r.Body as Readable).destroy();
      throw new ObjectNotFoundError(key);
    }
    return { info, stream: r.Body as Readable };
  }

  async get(key: string, expectSha256?: string): Promise<Buffer> {
    const { info, stream } = await this.openRead(key);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    const want = expectSha256 ?? info.sha256;
    const got = createHash('sha256').update(buf).digest('hex');
    if (want && got !== want) throw new IntegrityError(key, want, got);
    return buf;
  }

  async download(key: string, destPath: string, expectSha256?: string): Promise<ObjectInfo> {
    const { info, stream } = await this.openRead(key);
    await fs.mkdir(path.dirname(destPath), { recursive: true });
    const tmp = `${destPath}${RESERVED_PREFIX}tmp-${randomBytes(4).toString('hex')}`;
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(stream, tap, createWriteStream(tmp, { flags: 'wx', highWaterMark: 1 << 20 }));
      const got = hash.digest('hex');
      const want = expectSha256 ?? info.sha256;
      if (want && got !== want) throw new IntegrityError(key, want, got);
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
    if (after !== undefined) checkKey(after, 'pageToken');
    const limit = Math.min(Math.max(1, opts.limit ?? MAX_LIST_PAGE), MAX_LIST_PAGE);
    const s3Prefix = `${this.s3Key(folder)}/`;
    const strip = this.config.prefix ? this.config.prefix.length + 1 : 0;
    const r = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.config.bucket,
        Prefix: s3Prefix,
        MaxKeys: limit,
        ...(after !== undefined && { StartAfter: this.s3Key(after) }),
      }),
    );
    const listed = (r.Contents ?? []).map((o) => o.Key!).filter(Boolean);
    const keys = listed
      .map((k) => k.slice(strip))
      .filter((k) => !k.split('/').some((s) => s.startsWith(RESERVED_PREFIX)));
    // The facts are the objects' metadata: one HEAD each, many at a time (S3 lists no user metadata).
    const objects: (ObjectInfo | undefined)[] = new Array(keys.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < keys.length) {
        const i = next++;
        objects[i] = await this.stat(keys[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, keys.length) }, worker));
    const last = listed.at(-1);
    return {
      objects: objects.filter((o): o is ObjectInfo => o !== undefined),
      ...(r.IsTruncated && last && { nextPageToken: encodePageToken(last.slice(strip)) }),
    };
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.s3Key(key) }));
    // The sidecar goes after the object: a crash in between leaves an orphan sidecar, never a visible object without facts.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.factsKey(checkKey(key)) }));
  }

  async check(): Promise<void> {
    const where = `s3://${this.config.bucket}${this.config.endpoint ? ` at ${this.config.endpoint}` : ''}`;
    try {
      await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, MaxKeys: 1 }));
    } catch (err) {
      const name = err instanceof S3ServiceException ? err.name : (err as Error).name;
      const status = err instanceof S3ServiceException ? err.$metadata?.httpStatusCode : undefined;
      if (name === 'NoSuchBucket' || status === 404)
        throw new StoreUnavailableError(`artifact store ${where}: bucket "${this.config.bucket}" does not exist`);
      if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken'].includes(name))
        throw new StoreUnavailableError(
          `artifact store ${where}: the credentials were refused (${name}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`,
        );
      if (name === 'AccessDenied' || status === 403)
        throw new StoreUnavailableError(
          `artifact store ${where}: access denied to bucket "${this.config.bucket}" for these credentials`,
        );
      throw new StoreUnavailableError(`artifact store ${where} is unreachable: ${(err as Error).message}`);
    }
  }
}
