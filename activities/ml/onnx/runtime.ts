// Running ONNX models with onnxruntime-node (CPU provider bundled; CUDA when the worker has it).
import * as ort from 'onnxruntime-node';
import type { Matrix } from '../preprocess';

export interface OnnxSession {
  session: ort.InferenceSession;
  /** Execution provider the session was created with. */
  provider: 'cuda' | 'cpu';
  /** Why CUDA was not used, when it was asked for. */
  fallbackReason?: string;
}

/** Opens a model from a file path or bytes; tries CUDA first when `cuda` is true, then CPU. */
export async function openSession(model: string | Uint8Array, opts: { cuda?: boolean } = {}): Promise<OnnxSession> {
  let fallbackReason: string | undefined;
  if (opts.cuda) {
    try {
      const session = await create(model, ['cuda']);
      return { session, provider: 'cuda' };
    } catch (err) {
      fallbackReason = err instanceof Error ? err.message : String(err);
    }
  }
  const session = await create(model, ['cpu']);
  return { session, provider: 'cpu', ...(fallbackReason !== undefined && { fallbackReason }) };
}

function create(model: string | Uint8Array, providers: string[]): Promise<ort.InferenceSession> {
  const o: ort.InferenceSession.SessionOptions = { executionProviders: providers, graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
}

export interface OnnxOutputs {
  [name: string]: { data: Float32Array | BigInt64Array; dims: readonly number[] };
}

/** Runs the model on row-major float64 raw features (converted to float32). */
export async function runOnnx(s: OnnxSession, raw: Matrix): Promise<OnnxOutputs> {
  const input = new ort.Tensor('float32', Float32Array.from(raw.data), [raw.rows, raw.cols]);
  const res = await s.session.run({ [s.session.inputNames[0]!]: input });
  const out: OnnxOutputs = {};
  for (const [k, t] of Object.entries(res)) out[k] = { data: t.data as Float32Array | BigInt64Array, dims: t.dims };
  return out;
}

/** Latency percentiles (ms) of `runs` single runs at a batch size (rows repeated to fill the batch). */
export async function measureLatency(s: OnnxSession, raw: Matrix, batch: number, runs: number): Promise<{ batch: number; runs: number; p50Ms: number; p99Ms: number; meanMs: number }> {
  const data = new Float32Array(batch * raw.cols);
  for (let r = 0; r < batch; r++) for (let j = 0; j < raw.cols; j++) data[r * raw.cols + j] = raw.data[(r % raw.rows) * raw.cols + j]!;
  const feeds = { [s.session.inputNames[0]!]: new ort.Tensor('float32', data, [batch, raw.cols]) };
  for (let i = 0; i < Math.min(5, runs); i++) await s.session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await s.session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number): number => times[Math.min(times.length - 1, Math.max(0, Math.ceil(p * times.length) - 1))]!;
  return { batch, runs, p50Ms: round3(pct(0.5)), p99Ms: round3(pct(0.99)), meanMs: round3(times.reduce((a, b) => a + b, 0) / times.length) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
