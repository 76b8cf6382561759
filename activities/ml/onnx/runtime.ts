// Running ONNX models with onnxruntime-node (CPU provider bundled; CUDA when the worker has it).
// Each session lives in its own worker thread (ort-worker.js): see the note there.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Matrix } from '../preprocess';

export interface OnnxOutput {
  type: string;
  /** Float32Array for float outputs, BigInt64Array for int64 outputs. */
  data: ArrayLike<number> | ArrayLike<bigint>;
  dims: number[];
}
export type OnnxOutputs = Record<string, OnnxOutput>;

export interface LatencyStats {
  batch: number;
  runs: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export interface OnnxSession {
  /** Execution provider the session was created with. */
  readonly provider: 'cuda' | 'cpu';
  /** Why CUDA was not used, when it was asked for. */
  readonly fallbackReason?: string;
  readonly inputNames: string[];
  readonly outputNames: string[];
  run(raw: Matrix): Promise<OnnxOutputs>;
  /** Latency percentiles (ms) of `runs` runs at a batch size (rows repeated to fill the batch). */
  latency(raw: Matrix, batch: number, runs: number): Promise<LatencyStats>;
  close(): Promise<void>;
}

const WORKER_FILE = path.join(__dirname, 'ort-worker.js');

/** Opens a model from a file path or bytes; tries CUDA first when `cuda` is true, then CPU. */
export async function openSession(model: string | Uint8Array, opts: { cuda?: boolean } = {}): Promise<OnnxSession> {
  const worker = new Worker(WORKER_FILE);
  worker.unref();
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`onnxruntime: ${m.error}`));
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`onnxruntime worker exited (${code})`)));
  const call = <T>(msg: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ ...msg, id });
    }).finally(() => {
      if (pending.size === 0) worker.unref();
    });
  let info: { provider: 'cuda' | 'cpu'; fallbackReason?: string; inputNames: string[]; outputNames: string[] };
  try {
    info = await call(
      typeof model === 'string'
        ? { op: 'open', path: model, cuda: !!opts.cuda }
        : { op: 'open', bytes: model, cuda: !!opts.cuda },
    );
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  const f32 = (raw: Matrix): Float32Array => Float32Array.from(raw.data);
  return {
    provider: info.provider,
    ...(info.fallbackReason !== undefined && { fallbackReason: info.fallbackReason }),
    inputNames: info.inputNames,
    outputNames: info.outputNames,
    run: (raw) => call<OnnxOutputs>({ op: 'run', data: f32(raw), rows: raw.rows, cols: raw.cols }),
    latency: async (raw, batch, runs) => {
      const times = await call<number[]>({ op: 'latency', data: f32(raw), cols: raw.cols, batch, runs });
      times.sort((a, b) => a - b);
      const pct = (p: number): number =>
        times[Math.min(times.length - 1, Math.max(0, Math.ceil(p * times.length) - 1))]!;
      return {
        batch,
        runs,
        p50Ms: round3(pct(0.5)),
        p99Ms: round3(pct(0.99)),
        meanMs: round3(times.reduce((a, b) => a + b, 0) / times.length),
      };
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
