// The artifact store on a real S3-compatible server (MinIO, as in CI) against the raw AWS SDK on
// the same server, in one run, interleaved:
// 1) a 1 GiB checkpoint (256 MiB with --quick) uploaded with S3ObjectStore.putFile (a multipart
//    upload that hashes the bytes as they go up, then writes the facts sidecar) vs a raw
//    @aws-sdk/lib-storage Upload with the same part size and concurrency; downloaded with
//    S3ObjectStore.download (sha256-verified) vs a raw GetObject streamed to a file.
//    Ratio = store throughput / raw throughput (target ≥ 0.8).
// 2) listing a job folder of 1,000 artifacts: S3 (one ListObjectsV2 page and a HEAD per object for
//    its stored sha256 / media type, plus the facts sidecar's GET for a multipart object — never re-hashed) and the local store, time per listing.
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { LocalObjectStore } from '../src/storage/local-object-store';
import { minioBinary, startMinio } from '../src/storage/minio-server';
import { S3ObjectStore, s3Client } from '../src/storage/s3-object-store';
import type { ObjectStore } from '../src/storage/object-store';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fmtSpread, nowMs, round, spread } from './lib/stats';

const MiB = 1 << 20;
/** The raw upload uses the store's own multipart settings (src/storage/s3-object-store.ts). */
const PART_SIZE = 16 * MiB;
const QUEUE_SIZE = 4;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = nowMs();
  await fn();
  return nowMs() - t0;
}

async function writeRandomFile(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 8 * MiB)
    if (!out.write(randomBytes(Math.min(8 * MiB, left)))) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

async function listAll(store: ObjectStore, prefix: string): Promise<number> {
  let n = 0;
  let pageToken: string | undefined;
  do {
    const page = await store.list(prefix, pageToken ? { pageToken } : {});
    n += page.objects.length;
    pageToken = page.nextPageToken;
  } while (pageToken);
  return n;
}

export async function storage(opts: BenchOptions): Promise<Record<string, unknown>> {
  const binary = minioBinary(process.env.TRAINYARD_MINIO_BIN);
  if (!binary) throw new Error('no MinIO binary: run `node scripts/install-go-tools.js minio` first');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-bench-storage-'));
  const minio = await startMinio({ dataDir: path.join(tmp, 'minio'), binary });
  try {
    const bucket = 'bench';
    await minio.createBucket(bucket);
    const config = minio.storeConfig(bucket, 'store');
    const store = new S3ObjectStore(config);
    const raw = s3Client(config);
    const size = (opts.quick ? 256 : 1024) * MiB;
    const rounds = opts.quick ? 2 : 3;
    const src = path.join(tmp, 'checkpoint.bin');
    opts.log(`storage: writing a ${size / MiB} MiB checkpoint`);
    await writeRandomFile(src, size);

    const up = { store: [] as number[], raw: [] as number[] };
    const down = { store: [] as number[], raw: [] as number[] };
    let sha256 = '';
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first, so neither always meets a warm page cache or a busy server.
      const order = r % 2 ? (['raw', 'store'] as const) : (['store', 'raw'] as const);
      for (const who of order) {
        opts.log(`storage: round ${r + 1}/${rounds} upload (${who})`);
        if (who === 'store')
          up.store.push(
            await timed(async () => {
              sha256 = (await store.putFile('ckpt/store.bin', src, { mediaType: 'application/octet-stream' })).sha256;
            }),
          );
        else
          up.raw.push(
            await timed(() =>
              new Upload({
                client: raw,
                params: { Bucket: bucket, Key: 'raw/raw.bin', Body: createReadStream(src, { highWaterMark: MiB }) },
                partSize: PART_SIZE,
                queueSize: QUEUE_SIZE,
              }).done(),
            ),
          );
      }
      for (const who of order) {
        opts.log(`storage: round ${r + 1}/${rounds} download (${who})`);
        const dest = path.join(tmp, `down-${who}.bin`);
        if (who === 'store') down.store.push(await timed(() => store.download('ckpt/store.bin', dest, sha256)));
        else
          down.raw.push(
            await timed(async () => {
              const o = await raw.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw/raw.bin' }));
              await pipeline(o.Body as Readable, createWriteStream(dest));
            }),
          );
        fs.rmSync(dest, { force: true });
      }
    }
    fs.rmSync(src, { force: true });
    const mbps = (ms: number) => size / MiB / (ms / 1000);
    // Per round: store throughput / raw throughput = raw time / store time.
    const upRatio = spread(up.raw.map((t, i) => t / up.store[i]!));
    const downRatio = spread(down.raw.map((t, i) => t / down.store[i]!));

    // 2) Listing a job folder of 1,000 artifacts.
    const files = 1000;
    const local = new LocalObjectStore(path.join(tmp, 'local'));
    opts.log(`storage: writing ${files} small artifacts to each store`);
    const small = Buffer.alloc(2048, 7);
    for (const s of [store, local]) {
      const keys = Array.from({ length: files }, (_, i) => `runs/job-1/node-${i % 10}/file-${i}.json`);
      for (let i = 0; i < keys.length; i += 32)
        await Promise.all(keys.slice(i, i + 32).map((k) => s.put(k, small, { mediaType: 'application/json' })));
    }
    const listReps = opts.quick ? 3 : 7;
    const listing = { s3: [] as number[], local: [] as number[] };
    for (let r = 0; r < listReps; r++) {
      for (const [name, s] of [
        ['s3', store],
        ['local', local],
      ] as const) {
        let n = 0;
        listing[name].push(await timed(async () => (n = await listAll(s, 'runs/job-1'))));
        if (n !== files) throw new Error(`${name} listed ${n} of ${files} artifacts`);
      }
    }

    const rows = [
      [
        `upload ${size / MiB} MiB`,
        fmtSpread(spread(up.store.map(mbps)), 0),
        fmtSpread(spread(up.raw.map(mbps)), 0),
        fmtSpread(upRatio),
        upRatio.median >= 0.8 ? '✅ ≥ 0.8' : '❌ < 0.8',
      ],
      [
        `download ${size / MiB} MiB`,
        fmtSpread(spread(down.store.map(mbps)), 0),
        fmtSpread(spread(down.raw.map(mbps)), 0),
        fmtSpread(downRatio),
        downRatio.median >= 0.8 ? '✅ ≥ 0.8' : '❌ < 0.8',
      ],
    ];
    printTable(
      'Checkpoint through the store vs the raw S3 client (MinIO on this machine; MiB/s, median (min–max))',
      ['transfer', 'store MiB/s', 'raw MiB/s', 'store / raw', 'target'],
      rows,
    );
    const listRows = [
      ['S3 (MinIO)', files, fmtSpread(spread(listing.s3), 0)],
      ['local', files, fmtSpread(spread(listing.local), 0)],
    ];
    printTable('Listing a job folder of 1,000 artifacts (ms per full listing)', ['store', 'objects', 'ms'], listRows);
    return {
      file: writeResult(
        'storage',
        {
          checkpointMiB: size / MiB,
          rounds,
          uploadMs: up,
          downloadMs: down,
          uploadRatio: { ...upRatio, median: round(upRatio.median, 3) },
          downloadRatio: { ...downRatio, median: round(downRatio.median, 3) },
          listing1000Ms: { s3: spread(listing.s3), local: spread(listing.local) },
        },
        opts.quick,
      ),
    };
  } finally {
    await minio.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
