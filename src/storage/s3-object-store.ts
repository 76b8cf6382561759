// The S3-compatible ObjectStore (AWS S3, MinIO, …): `s3://bucket/prefix`, key → `<prefix>/<key>`.
// The sha256 travels as user metadata (x-amz-meta-sha256) and the media type as Content-Type, both
// set when the object is written; stat/list read them back (HEAD), never re-hash. A PUT and a
// completed multipart upload are atomic on S3: no reader ever sees a partial object under its key,
// and an upload that fails half-way leaves nothing (lib-storage aborts the multipart upload).
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

function infoFrom(
  key: string,
  r: { ContentLength?: number; ContentType?: string; Metadata?: Record<string, string> },
): ObjectInfo {
  return {
    key,
    size: r.ContentLength ?? 0,
    sha256: r.Metadata?.sha256 ?? '',
    mediaType: r.ContentType ?? 'application/octet-stream',
  };
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
    const s3Key = this.s3Key(key);
    const fh = await fs.open(srcPath, FS.O_RDONLY | FS.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new InvalidKeyError(`${srcPath} is not a regular file`);
      // The sha256 must be known when the upload starts (it is the object's metadata): one read to
      // hash, one to upload, both from the same open file.
      const hash = createHash('sha256');
      for await (const chunk of fh.createReadStream({ autoClose: false, start: 0, end: st.size - 1 }))
        hash.update(chunk as Buffer);
      const sha256 = hash.digest('hex');
      const base = { Bucket: this.config.bucket, Key: s3Key, ContentType: opts.mediaType, Metadata: { sha256 } };
      if (st.size < PART_SIZE) {
        const buf = Buffer.alloc(st.size);
        if (st.size > 0) await fh.read(buf, 0, st.size, 0);
        await this.client.send(new PutObjectCommand({ ...base, Body: buf, ContentLength: st.size }));
      } else {
        const body = fh.createReadStream({ autoClose: false, start: 0, end: st.size - 1, highWaterMark: 1 << 20 });
        await new Upload({
          client: this.client,
          params: { ...base, Body: body },
          partSize: PART_SIZE,
          queueSize: QUEUE_SIZE,
          leavePartsOnError: false,
        }).done();
      }
      return { key: checkKey(key), size: st.size, sha256, mediaType: opts.mediaType };
    } finally {
      await fh.close();
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.s3Key(key) }));
      return infoFrom(checkKey(key), r);
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
    const info = infoFrom(checkKey(key), { ...r, ContentLength: total });
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
