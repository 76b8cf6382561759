// A real MinIO server for a test file, like the Temporal dev server (test/helpers/temporal.ts):
// started in beforeAll, stopped in afterAll. MinIO is built from the Go module proxy by
// `node scripts/install-go-tools.js minio` (CI does it before the tests). Without it, on a
// developer machine, the S3 tests are skipped with a note; in CI (CI=true) they fail.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { minioBinary, startMinio, type MinioServer } from '../../src/storage/minio-server';

export interface TestMinio {
  minio: MinioServer;
  bucket: string;
  tmpDir: string;
  teardown(): Promise<void>;
}

/** True when MinIO can run here; false (with a note) when it is not installed outside CI. */
export function minioAvailable(): boolean {
  if (minioBinary(process.env.TRAINYARD_MINIO_BIN)) return true;
  if (process.env.CI)
    throw new Error('MinIO is not installed: CI must run `node scripts/install-go-tools.js minio` first');
  console.warn('MinIO is not installed (node scripts/install-go-tools.js minio): skipping the S3 tests');
  return false;
}

export async function startTestMinio(bucket = 'trainyard-test'): Promise<TestMinio> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-minio-'));
  const minio = await startMinio({
    dataDir: path.join(tmpDir, 'data'),
    logFile: path.join(tmpDir, 'minio.log'),
    binary: minioBinary(process.env.TRAINYARD_MINIO_BIN),
    searchPath: process.env.PATH,
  });
  await minio.createBucket(bucket);
  return {
    minio,
    bucket,
    tmpDir,
    async teardown() {
      await minio.stop();
      if (!process.env.TRAINYARD_KEEP_TEST_TMP) fs.rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}
