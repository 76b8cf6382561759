// The ML demo pipeline (examples/pipeline.yaml) on the S3 store vs the local store, in one run:
// two whole stacks (dev server, CPU + simulated-GPU workers, API) side by side, one with
// TRAINYARD_ARTIFACT_STORE=s3://… on MinIO, one on the embedded local folder; the demo runs on
// each in turn, alternating which goes first. Per step: its duration on S3 / on local (every
// step reads its inputs from the store and publishes its outputs there), and the wall time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from '../dev/stack';
import { minioBinary, startMinio } from '../src/storage/minio-server';
import { freePort } from '../src/temporal/dev-server';
import { benchConfig } from './lib/api';
import { runDemoJob, type DemoRun } from './lib/demo-pipeline';
import { demoPipeline } from './lib/specs';
import { printTable, writeResult, type BenchOptions } from './lib/report';
import { fmtSpread, median, round, spread } from './lib/stats';

const KEY = 'bench-key-0123456789abcdef0123456789';
const TARGET = 1.2;

export async function mlStorage(opts: BenchOptions): Promise<Record<string, unknown>> {
  const binary = minioBinary(process.env.TRAINYARD_MINIO_BIN);
  if (!binary) throw new Error('no MinIO binary: run `node scripts/install-go-tools.js minio` first');
  const runs = opts.quick ? 1 : 5;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-bench-ml-storage-'));
  fs.chmodSync(tmp, 0o711); // the step sandbox's user must reach the stacks' work folders
  const minio = await startMinio({ dataDir: path.join(tmp, 'minio'), binary });
  const stacks: Partial<Record<'local' | 's3', Stack>> = {};
  try {
    const bucket = 'bench-ml';
    await minio.createBucket(bucket);
    const s3 = minio.storeConfig(bucket);
    const common = async () => ({
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      TRAINYARD_GPUS: '1x16',
      TRAINYARD_API_KEYS: `bench:${KEY}:admin`,
    });
    const configs = {
      local: benchConfig(path.join(tmp, 'local'), 'mllocal', await common()),
      s3: benchConfig(path.join(tmp, 's3'), 'mls3', {
        ...(await common()),
        TRAINYARD_ARTIFACT_STORE: `s3://${bucket}/demo`,
        AWS_ENDPOINT_URL: s3.endpoint!,
        AWS_REGION: s3.region,
        AWS_ACCESS_KEY_ID: s3.accessKeyId!,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey!,
      }),
    };
    for (const name of ['local', 's3'] as const)
      stacks[name] = await startStack(configs[name], { log: (l) => opts.log(`stack ${name}: ${l}`) });
    const spec = demoPipeline();
    // A warm-up job on each (bundle caches, first-run JIT), not counted.
    for (const name of ['local', 's3'] as const) await runDemoJob(stacks[name]!.apiUrl, KEY, spec);
    const results: Record<'local' | 's3', DemoRun[]> = { local: [], s3: [] };
    for (let r = 0; r < runs; r++) {
      const order = r % 2 ? (['s3', 'local'] as const) : (['local', 's3'] as const);
      for (const name of order) {
        const run = await runDemoJob(stacks[name]!.apiUrl, KEY, spec);
        results[name].push(run);
        opts.log(`ml-storage run ${r + 1}/${runs} ${name}: ${round(run.wallMs / 1000, 2)} s`);
      }
    }
    const stepIds = Object.keys(results.local[0]!.steps);
    const stepRows = stepIds.map((id) => {
      const local = spread(results.local.map((x) => x.steps[id]!));
      const onS3 = spread(results.s3.map((x) => x.steps[id]!));
      return { id, localMs: local, s3Ms: onS3, ratio: round(onS3.median / local.median, 3) };
    });
    // The per-step overhead ratio: the steps' summed durations on S3 / on local, per round.
    const sum = (x: DemoRun) => Object.values(x.steps).reduce((a, b) => a + b, 0);
    const stepSumRatio = spread(results.s3.map((x, i) => sum(x) / sum(results.local[i]!)));
    const wallRatio = spread(results.s3.map((x, i) => x.wallMs / results.local[i]!.wallMs));
    printTable(
      `ML demo pipeline on S3 (MinIO) vs the local store, ${runs} interleaved run(s) each: step duration ms, median (min–max)`,
      ['step', 'local', 'S3', 'S3 / local'],
      [
        ...stepRows.map((s) => [s.id, fmtSpread(s.localMs, 0), fmtSpread(s.s3Ms, 0), s.ratio]),
        [
          'all steps (sum)',
          round(median(results.local.map(sum)), 0),
          round(median(results.s3.map(sum)), 0),
          `${fmtSpread(stepSumRatio)} ${stepSumRatio.median <= TARGET ? '✅' : '❌'} ≤ ${TARGET}`,
        ],
        [
          'wall',
          round(median(results.local.map((x) => x.wallMs)), 0),
          round(median(results.s3.map((x) => x.wallMs)), 0),
          fmtSpread(wallRatio),
        ],
      ],
    );
    return {
      file: writeResult(
        'ml-storage',
        {
          runs,
          target: TARGET,
          steps: stepRows,
          stepSumRatio: { ...stepSumRatio, median: round(stepSumRatio.median, 3) },
          wallRatio: { ...wallRatio, median: round(wallRatio.median, 3) },
          wallMs: { local: spread(results.local.map((x) => x.wallMs)), s3: spread(results.s3.map((x) => x.wallMs)) },
        },
        opts.quick,
      ),
    };
  } finally {
    for (const s of Object.values(stacks)) await s?.stop();
    await minio.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
