// Runs MinIO (the S3-compatible server the tests, CI and `npm run prod:local` use) as a separate,
// unmodified process — it is AGPL-3.0 and never linked into Trainyard. The binary is built from
// the Go module proxy by scripts/install-go-tools.js (deploy/go-tools.json) into the tools cache.
// Like the Temporal dev server: start, wait until it answers, stop (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { freePort, isPortOpen } from '../temporal/dev-server';
import { s3Client, type S3StoreConfig } from './s3-object-store';

export interface MinioOptions {
  /** Its data folder (kept across restarts of the same server). */
  dataDir: string;
  port?: number;
  host?: string;
  user?: string;
  password?: string;
  /** The binary; default: the one install-go-tools.js built. */
  binary?: string;
  /** PATH of the server process (default /usr/bin:/bin). */
  searchPath?: string;
  logFile?: string;
  readyTimeoutMs?: number;
}

export interface MinioServer {
  endpoint: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  process: ChildProcess;
  /** An S3 store config for `bucket/prefix` on this server. */
  storeConfig(bucket: string, prefix?: string): S3StoreConfig;
  createBucket(bucket: string): Promise<void>;
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder (after stop/kill). */
  restart(): Promise<void>;
}

/** The MinIO binary: `explicit` (the caller's TRAINYARD_MINIO_BIN), else the one install-go-tools.js built, else undefined. */
export function minioBinary(explicit?: string): string | undefined {
  if (explicit) return explicit;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tools = require('../../scripts/install-go-tools.js') as {
    toolPath(name: string): string | undefined;
  };
  return tools.toolPath('minio');
}

export async function startMinio(opts: MinioOptions): Promise<MinioServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || (await freePort(host));
  const user = opts.user ?? 'trainyard';
  const password = opts.password ?? 'trainyard-secret';
  const binary = opts.binary ?? minioBinary();
  if (!binary)
    throw new Error('MinIO is not installed: run `node scripts/install-go-tools.js minio` (builds it with go install)');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  const endpoint = `http://${host}:${port}`;
  let child!: ChildProcess;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    if (await isPortOpen(port, host)) throw new Error(`port ${port} on ${host} is already in use`);
    const out = opts.logFile ? fs.openSync(opts.logFile, 'a') : 'ignore';
    child = spawn(
      binary,
      [
        'server',
        opts.dataDir,
        '--address',
        `${host}:${port}`,
        '--console-address',
        `${host}:${await freePort(host)}`,
        '--quiet',
      ],
      {
        stdio: ['ignore', out, out],
        env: {
          PATH: opts.searchPath ?? '/usr/bin:/bin',
          HOME: opts.dataDir,
          MINIO_ROOT_USER: user,
          MINIO_ROOT_PASSWORD: password,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
      },
    );
    if (typeof out === 'number') fs.closeSync(out);
    let gone = false;
    exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        gone = true;
        resolve();
      }),
    );
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (gone) throw new Error(`minio exited during start-up${opts.logFile ? `; see ${opts.logFile}` : ''}`);
      try {
        const r = await fetch(`${endpoint}/minio/health/ready`);
        if (r.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`minio did not become ready on ${endpoint} within ${opts.readyTimeoutMs ?? 60_000} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await launch();

  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  const storeConfig = (bucket: string, prefix = ''): S3StoreConfig => ({
    bucket,
    prefix,
    endpoint,
    region: 'us-east-1',
    accessKeyId: user,
    secretAccessKey: password,
    forcePathStyle: true,
  });
  return {
    endpoint,
    port,
    user,
    password,
    dataDir: opts.dataDir,
    get process() {
      return child;
    },
    storeConfig,
    createBucket: (bucket) => ensureBucket(storeConfig(bucket)),
    stop,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await stop();
      await launch();
    },
  };
}

/** Creates the config's bucket on its server; one that already exists is fine. */
export async function ensureBucket(config: S3StoreConfig): Promise<void> {
  const client = s3Client(config);
  try {
    await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
  } catch (err) {
    if (!(err instanceof S3ServiceException && ['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name)))
      throw err;
  } finally {
    client.destroy();
  }
}

/** For logs: where a MinIO data folder is. */
export function describeMinio(m: MinioServer): string {
  return `MinIO ${m.endpoint} (data ${path.resolve(m.dataDir)})`;
}
