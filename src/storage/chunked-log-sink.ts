// The LogSink for an S3 store: a log is a series of small chunk objects, one per flush, under
// `<prefix>/.trainyard-logs/<key>/<start ms>-<writer>-<seq>`. A writer flushes what it has every
// FLUSH_MS (and at once past FLUSH_BYTES), so a line printed on any host is readable through the API
// within about a second (flush ≤ 500 ms + the API's 250 ms poll). Chunk names sort by the writer's
// start time, then its sequence: a log reads in order across attempts. Readers list the chunks
// incrementally (StartAfter the last one seen) and fetch only those the requested offset range
// covers. Sealing concatenates the chunks into the object `<key>` (what listings and downloads see).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { LRUCache } from 'lru-cache';
import { DEFAULT_READ_MAX, type LogChunk, type LogSink, type LogWriter } from './log-sink';
import { mediaTypeFor } from './media-types';
import { checkKey, type ObjectInfo } from './object-store';
import type { S3ObjectStore } from './s3-object-store';

const FLUSH_MS = 500;
const FLUSH_BYTES = 1 << 20;
/** A writer that cannot flush (store down) keeps at most this much, then drops the oldest with a note. */
const MAX_BUFFERED = 16 << 20;

interface Chunk {
  name: string;
  size: number;
  /** Offset of the chunk's first byte in the whole log. */
  start: number;
}

interface Listing {
  chunks: Chunk[];
  size: number;
}

export class ChunkedLogSink implements LogSink {
  /** Chunk listings already read, per log: later reads list only what came after. */
  private readonly listings = new LRUCache<string, Listing>({ max: 2000 });

  constructor(
    private readonly store: S3ObjectStore,
    private readonly opts: { flushMs?: number } = {},
  ) {}

  private chunkPrefix(key: string): string {
    return this.store.reservedKey(`logs/${checkKey(key)}/`);
  }

  private async putChunk(key: string, name: string, body: Buffer): Promise<void> {
    await this.store.client.send(
      new PutObjectCommand({
        Bucket: this.store.config.bucket,
        Key: this.chunkPrefix(key) + name,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: 'text/plain',
      }),
    );
  }

  async append(key: string, text: string): Promise<void> {
    if (!text) return;
    await this.putChunk(key, `${chunkStamp()}-${PROCESS_ID}-${nextSeq()}-000000`, Buffer.from(text, 'utf8'));
  }

  open(key: string): LogWriter {
    checkKey(key);
    // One writer's chunks sort together, after everything this process wrote to the log before it.
    const stamp = `${chunkStamp()}-${PROCESS_ID}-${nextSeq()}`;
    let seq = 0;
    let buffered: Buffer[] = [];
    let bytes = 0;
    let dropped = 0;
    let flushing: Promise<void> | undefined;
    let closed = false;
    const flush = async (): Promise<void> => {
      if (bytes === 0 && dropped === 0) return;
      const parts = dropped
        ? [Buffer.from(`[trainyard] ${dropped} bytes of log were lost while the store was unreachable\n`), ...buffered]
        : buffered;
      const body = Buffer.concat(parts);
      const name = `${stamp}-${String(seq).padStart(6, '0')}`;
      buffered = [];
      bytes = 0;
      dropped = 0;
      try {
        await this.putChunk(key, name, body);
        seq++;
      } catch {
        // Kept for the next flush (the store may be back by then), bounded: past the bound the oldest goes.
        buffered = [body, ...buffered];
        bytes += body.byteLength;
        while (bytes > MAX_BUFFERED && buffered.length > 1) {
          const b = buffered.shift()!;
          bytes -= b.byteLength;
          dropped += b.byteLength;
        }
      }
    };
    const kick = (): void => {
      if (flushing) return;
      flushing = flush().finally(() => (flushing = undefined));
    };
    const timer = setInterval(kick, this.opts.flushMs ?? FLUSH_MS);
    timer.unref();
    return {
      write(text) {
        if (closed || !text) return;
        const b = Buffer.from(text, 'utf8');
        buffered.push(b);
        bytes += b.byteLength;
        if (bytes >= FLUSH_BYTES) kick();
      },
      async close() {
        closed = true;
        clearInterval(timer);
        if (flushing) await flushing;
        await flush();
        // One retry for a flush that failed just now; after that the tail is lost with the attempt.
        if (bytes > 0) {
          await new Promise((r) => setTimeout(r, 1000));
          await flush();
        }
      },
    };
  }

  /** The log's chunks, listing only those newer than the ones already known. */
  private async listing(key: string): Promise<Listing> {
    const prefix = this.chunkPrefix(key);
    const known = this.listings.get(key) ?? { chunks: [], size: 0 };
    let startAfter = known.chunks.at(-1)?.name;
    const chunks = [...known.chunks];
    let size = known.size;
    let token: string | undefined;
    do {
      const r = await this.store.client.send(
        new ListObjectsV2Command({
          Bucket: this.store.config.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: prefix + startAfter } : {}),
        }),
      );
      for (const o of r.Contents ?? []) {
        const name = o.Key!.slice(prefix.length);
        chunks.push({ name, size: o.Size ?? 0, start: size });
        size += o.Size ?? 0;
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      startAfter = undefined;
    } while (token);
    const listing = { chunks, size };
    if (chunks.length) this.listings.set(key, listing);
    return listing;
  }

  async read(key: string, offset: number, maxBytes = DEFAULT_READ_MAX): Promise<LogChunk | undefined> {
    const { chunks, size } = await this.listing(key);
    if (chunks.length === 0) return undefined;
    const start = Math.min(Math.max(0, offset), size);
    const end = Math.min(size, start + Math.max(0, maxBytes));
    const parts: Buffer[] = [];
    for (const c of chunks) {
      if (c.start + c.size <= start || c.start >= end || c.size === 0) continue;
      const from = Math.max(0, start - c.start);
      const to = Math.min(c.size, end - c.start) - 1;
      const r = await this.store.client.send(
        new GetObjectCommand({
          Bucket: this.store.config.bucket,
          Key: this.chunkPrefix(key) + c.name,
          ...((from > 0 || to < c.size - 1) && { Range: `bytes=${from}-${to}` }),
        }),
      );
      parts.push(Buffer.from(await r.Body!.transformToByteArray()));
    }
    const data = Buffer.concat(parts);
    return { data, size, next: start + data.length };
  }

  async size(key: string): Promise<number | undefined> {
    const { chunks, size } = await this.listing(key);
    return chunks.length ? size : undefined;
  }

  async seal(key: string, mediaType = mediaTypeFor(key)): Promise<ObjectInfo | undefined> {
    const total = await this.size(key);
    if (total === undefined) return undefined;
    // Through a local temp file: the object's sha256 is set when its upload starts.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'trainyard-seal-'));
    const file = path.join(dir, 'log');
    try {
      const fh = await fs.open(file, 'w');
      try {
        let at = 0;
        while (at < total) {
          const chunk = await this.read(key, at, 8 << 20);
          if (!chunk || chunk.data.length === 0) break;
          await fh.write(chunk.data);
          at = chunk.next;
        }
      } finally {
        await fh.close();
      }
      return await this.store.putFile(key, file, { mediaType });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}

const PROCESS_ID = randomBytes(4).toString('hex');
let processSeq = 0;
function nextSeq(): string {
  return String(processSeq++).padStart(9, '0');
}

/** Milliseconds since the epoch, zero-padded: chunk names sort by time. */
function chunkStamp(): string {
  return String(Date.now()).padStart(14, '0');
}
