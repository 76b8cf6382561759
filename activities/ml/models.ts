// Small models with our own tested optimizer: dense nets (softmax logistic regression, MLP classifier,
// linear regression, MLP regressor) trained with mini-batch Adam in float64, and k-means (Lloyd).
// Every source of randomness is derived from the seed (init) and from (seed, epoch) (shuffles), and
// the whole training state is plain JSON, so a run resumed from a checkpoint continues bit-for-bit.
import { z } from 'zod';
import { EpochRecord, LossHistory } from '../../src/domain/metrics-history';
import { MODEL_KINDS } from '../../src/domain/node-types';
import type { Matrix } from './preprocess';
import { createRng, range, shuffleInPlace } from '../../src/domain/random';

/** The trainer's history contracts live in the domain (the API reads loss-history.json). */
export { EpochRecord, LossHistory };

export const ModelKind = z.enum(MODEL_KINDS);
export type ModelKind = z.infer<typeof ModelKind>;

/** Dense layer; W is row-major [in, out] (ONNX Gemm with transB = 0). */
export const DenseLayer = z.object({
  in: z.number().int(),
  out: z.number().int(),
  W: z.array(z.number()),
  b: z.array(z.number()),
});
export type DenseLayer = z.infer<typeof DenseLayer>;

export const NetModel = z.object({
  kind: z.enum(['logistic_regression', 'mlp', 'linear_regression', 'mlp_regressor']),
  task: z.enum(['classification', 'regression']),
  featureNames: z.array(z.string()),
  /** Hidden layers use ReLU; the last layer is linear (softmax for classification). */
  layers: z.array(DenseLayer),
  classes: z.array(z.string()).optional(),
  /** Regression: the net predicts (y − yMean) / yStd. */
  yMean: z.number().optional(),
  yStd: z.number().optional(),
});
export type NetModel = z.infer<typeof NetModel>;

export const KMeansModel = z.object({
  kind: z.literal('kmeans'),
  task: z.literal('clustering'),
  featureNames: z.array(z.string()),
  centroids: z.array(z.array(z.number())),
});
export type KMeansModel = z.infer<typeof KMeansModel>;

export const Model = z.union([NetModel, KMeansModel]);
export type Model = z.infer<typeof Model>;

export interface Predictions {
  /** Classification: row-major [n, classes]. */
  probabilities?: Float64Array;
  /** Classification: argmax; clustering: nearest centroid. */
  labels?: number[];
  /** Regression: predicted value per row. */
  values?: Float64Array;
  /** Clustering: squared distance to each centroid, row-major [n, k]. */
  distances?: Float64Array;
}

export interface TrainOptions {
  kind: ModelKind;
  hiddenLayers: number[];
  learningRate: number;
  batchSize: number;
  l2: number;
  seed: number;
  clusters?: number;
}

/** Everything needed to continue training exactly where it stopped. */
export const TrainState = z.object({
  kind: ModelKind,
  epoch: z.number().int(),
  /** Flat tensors: [W0, b0, W1, b1, …] for nets, [centroids] for k-means. */
  params: z.array(z.array(z.number())),
  adam: z.object({ m: z.array(z.array(z.number())), v: z.array(z.array(z.number())), t: z.number() }).optional(),
  history: z.array(EpochRecord),
});
export type TrainState = z.infer<typeof TrainState>;

export interface TrainData {
  x: Matrix;
  /** Class index (classification) or value (regression); ignored for k-means. */
  y: number[];
}

export interface Trainer {
  /** Trains one epoch (1-based number) and records it in the history. */
  runEpoch(epoch: number): EpochRecord;
  state(): TrainState;
  model(): Model;
  readonly valMetricName: string;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

export function isClassifier(kind: ModelKind): boolean {
  return kind === 'mlp' || kind === 'logistic_regression';
}

export function taskOf(kind: ModelKind): 'classification' | 'regression' | 'clustering' {
  return kind === 'kmeans' ? 'clustering' : isClassifier(kind) ? 'classification' : 'regression';
}

export function createTrainer(
  opts: TrainOptions,
  fit: TrainData,
  val: TrainData,
  meta: { featureNames: string[]; classes?: string[] },
  resume?: TrainState,
): Trainer {
  if (resume && resume.kind !== opts.kind)
    throw new Error(`checkpoint is for a ${resume.kind} model, not ${opts.kind}`);
  return opts.kind === 'kmeans'
    ? kmeansTrainer(opts, fit, val, meta, resume)
    : netTrainer(opts, fit, val, meta, resume);
}

// ---------------------------------------------------------------- dense nets

function netTrainer(
  opts: TrainOptions,
  fit: TrainData,
  val: TrainData,
  meta: { featureNames: string[]; classes?: string[] },
  resume?: TrainState,
): Trainer {
  const classifier = isClassifier(opts.kind);
  const d = fit.x.cols;
  const outDim = classifier ? (meta.classes?.length ?? 0) : 1;
  if (classifier && outDim < 2) throw new Error('classification needs at least 2 classes');
  const hidden = opts.kind === 'mlp' || opts.kind === 'mlp_regressor' ? opts.hiddenLayers : [];
  const sizes = [d, ...hidden, outDim];
  const nL = sizes.length - 1;
  // Regression targets are standardized on the fit rows; the scale is folded back in at predict/export.
  let yMean = 0;
  let yStd = 1;
  if (!classifier) {
    yMean = fit.y.reduce((a, b) => a + b, 0) / fit.y.length;
    const sd = Math.sqrt(fit.y.reduce((a, b) => a + (b - yMean) ** 2, 0) / fit.y.length);
    yStd = sd > 0 ? sd : 1;
  }
  const yFit = classifier ? fit.y : fit.y.map((v) => (v - yMean) / yStd);

  let params: Float64Array[];
  let m: Float64Array[];
  let v: Float64Array[];
  let t = 0;
  let history: EpochRecord[] = [];
  let lastEpoch = 0;
  if (resume) {
    params = resume.params.map((p) => Float64Array.from(p));
    m = resume.adam!.m.map((p) => Float64Array.from(p));
    v = resume.adam!.v.map((p) => Float64Array.from(p));
    t = resume.adam!.t;
    history = resume.history.map((h) => ({ ...h }));
    lastEpoch = resume.epoch;
    const expect = sizes.slice(1).flatMap((o, l) => [sizes[l]! * o, o]);
    if (params.length !== expect.length || params.some((p, i) => p.length !== expect[i]))
      throw new Error('checkpoint shapes do not match the model configuration');
  } else {
    const rng = createRng(opts.seed, 0x1217);
    params = [];
    for (let l = 0; l < nL; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const std = l < nL - 1 ? Math.sqrt(2 / fin) : Math.sqrt(1 / fin);
      const W = new Float64Array(fin * fout);
      for (let i = 0; i < W.length; i++) W[i] = rng.normal() * std;
      params.push(W, new Float64Array(fout));
    }
    m = params.map((p) => new Float64Array(p.length));
    v = params.map((p) => new Float64Array(p.length));
  }
  const grads = params.map((p) => new Float64Array(p.length));

  const bs = Math.max(1, Math.min(opts.batchSize, fit.x.rows));
  // Per-layer activation buffers for one batch.
  const acts = sizes.map((s) => new Float64Array(bs * s));
  const deltas = sizes.map((s) => new Float64Array(bs * s));

  const forwardBatch = (x: Float64Array, rowsIdx: number[] | null, B: number, src: Matrix): void => {
    const a0 = acts[0]!;
    for (let r = 0; r < B; r++) {
      const ri = rowsIdx ? rowsIdx[r]! : r;
      for (let j = 0; j < d; j++) a0[r * d + j] = x[ri * src.cols + j]!;
    }
    for (let l = 0; l < nL; l++) {
      const fin = sizes[l]!;
      const fout = sizes[l + 1]!;
      const W = params[2 * l]!;
      const b = params[2 * l + 1]!;
      const ain = acts[l]!;
      const aout = acts[l + 1]!;
      for (let r = 0; r < B; r++) {
        const o = r * fout;
        for (let k = 0; k < fout; k++) aout[o + k] = b[k]!;
        for (let i = 0; i < fin; i++) {
          const xi = ain[r * fin + i]!;
          if (xi === 0) continue;
          const wo = i * fout;
          for (let k = 0; k < fout; k++) aout[o + k] = aout[o + k]! + xi * W[wo + k]!;
        }
        if (l < nL - 1) for (let k = 0; k < fout; k++) if (aout[o + k]! < 0) aout[o + k] = 0;
      }
    }
  };

  const runEpoch = (epoch: number): EpochRecord => {
    if (epoch !== lastEpoch + 1) throw new Error(`epoch ${epoch} does not follow ${lastEpoch}`);
    const order = shuffleInPlace(range(fit.x.rows), createRng(opts.seed, 0xe90c, epoch));
    let lossSum = 0;
    for (let start = 0; start < order.length; start += bs) {
      const idx = order.slice(start, start + bs);
      const B = idx.length;
      forwardBatch(fit.x.data, idx, B, fit.x);
      const out = acts[nL]!;
      const dOut = deltas[nL]!;
      for (let r = 0; r < B; r++) {
        const o = r * outDim;
        if (classifier) {
          let mx = -Infinity;
          for (let k = 0; k < outDim; k++) mx = Math.max(mx, out[o + k]!);
          let s = 0;
          for (let k = 0; k < outDim; k++) s += Math.exp(out[o + k]! - mx);
          const yi = yFit[idx[r]!]!;
          for (let k = 0; k < outDim; k++) {
            const p = Math.exp(out[o + k]! - mx) / s;
            dOut[o + k] = (p - (k === yi ? 1 : 0)) / B;
          }
          lossSum += -(out[o + yi]! - mx - Math.log(s));
        } else {
          const diff = out[o]! - yFit[idx[r]!]!;
          dOut[o] = diff / B;
          lossSum += 0.5 * diff * diff;
        }
      }
      // Backprop.
      for (let l = nL - 1; l >= 0; l--) {
        const fin = sizes[l]!;
        const fout = sizes[l + 1]!;
        const W = params[2 * l]!;
        const gW = grads[2 * l]!;
        const gb = grads[2 * l + 1]!;
        const ain = acts[l]!;
        const dz = deltas[l + 1]!;
        gW.fill(0);
        gb.fill(0);
        for (let r = 0; r < B; r++) {
          for (let i = 0; i < fin; i++) {
            const xi = ain[r * fin + i]!;
            if (xi === 0) continue;
            const wo = i * fout;
            for (let k = 0; k < fout; k++) gW[wo + k] = gW[wo + k]! + xi * dz[r * fout + k]!;
          }
          for (let k = 0; k < fout; k++) gb[k] = gb[k]! + dz[r * fout + k]!;
        }
        if (opts.l2 > 0) for (let i = 0; i < gW.length; i++) gW[i] = gW[i]! + opts.l2 * W[i]!;
        if (l > 0) {
          const da = deltas[l]!;
          for (let r = 0; r < B; r++) {
            for (let i = 0; i < fin; i++) {
              if (ain[r * fin + i]! <= 0) {
                da[r * fin + i] = 0;
                continue;
              }
              let s = 0;
              const wo = i * fout;
              for (let k = 0; k < fout; k++) s += W[wo + k]! * dz[r * fout + k]!;
              da[r * fin + i] = s;
            }
          }
        }
      }
      // Adam.
      t++;
      const c1 = 1 - BETA1 ** t;
      const c2 = 1 - BETA2 ** t;
      for (let p = 0; p < params.length; p++) {
        const P = params[p]!;
        const G = grads[p]!;
        const M = m[p]!;
        const V = v[p]!;
        for (let i = 0; i < P.length; i++) {
          const g = G[i]!;
          M[i] = BETA1 * M[i]! + (1 - BETA1) * g;
          V[i] = BETA2 * V[i]! + (1 - BETA2) * g * g;
          P[i]! -= (opts.learningRate * (M[i]! / c1)) / (Math.sqrt(V[i]! / c2) + EPS);
        }
      }
    }
    const loss = lossSum / fit.x.rows;
    const rec: EpochRecord = { epoch, loss, valMetric: valMetric() };
    history.push(rec);
    lastEpoch = epoch;
    return rec;
  };

  const model = (): NetModel => {
    const layers: DenseLayer[] = [];
    for (let l = 0; l < nL; l++)
      layers.push({
        in: sizes[l]!,
        out: sizes[l + 1]!,
        W: Array.from(params[2 * l]!),
        b: Array.from(params[2 * l + 1]!),
      });
    return {
      kind: opts.kind as NetModel['kind'],
      task: classifier ? 'classification' : 'regression',
      featureNames: meta.featureNames,
      layers,
      ...(classifier ? { classes: meta.classes } : { yMean, yStd }),
    };
  };

  const valMetric = (): number => {
    const data = val.x.rows > 0 ? val : fit;
    const p = predict(model(), data.x);
    return classifier ? accuracyOf(p.labels!, data.y) : r2Of(p.values!, data.y);
  };

  return {
    runEpoch,
    model,
    valMetricName: classifier ? 'accuracy' : 'r2',
    state: () => ({
      kind: opts.kind,
      epoch: lastEpoch,
      params: params.map((p) => Array.from(p)),
      adam: { m: m.map((p) => Array.from(p)), v: v.map((p) => Array.from(p)), t },
      history: history.map((h) => ({ ...h })),
    }),
  };
}

function accuracyOf(pred: number[], y: number[]): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return y.length ? ok / y.length : 0;
}

function r2Of(pred: Float64Array, y: number[]): number {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i]! - pred[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
  }
  return sst > 0 ? 1 - ssr / sst : 0;
}

// ---------------------------------------------------------------- k-means

function kmeansTrainer(
  opts: TrainOptions,
  fit: TrainData,
  val: TrainData,
  meta: { featureNames: string[]; classes?: string[] },
  resume?: TrainState,
): Trainer {
  const k = opts.clusters ?? meta.classes?.length ?? 3;
  const d = fit.x.cols;
  const n = fit.x.rows;
  if (n < k) throw new Error(`k-means with ${k} clusters needs at least ${k} rows, got ${n}`);
  let C: Float64Array;
  let history: EpochRecord[] = [];
  let lastEpoch = 0;
  if (resume) {
    C = Float64Array.from(resume.params[0]!);
    if (C.length !== k * d) throw new Error('checkpoint shapes do not match the model configuration');
    history = resume.history.map((h) => ({ ...h }));
    lastEpoch = resume.epoch;
  } else {
    // k-means++ initialisation.
    const rng = createRng(opts.seed, 0x3ea5);
    C = new Float64Array(k * d);
    const first = rng.int(n);
    for (let j = 0; j < d; j++) C[j] = fit.x.data[first * d + j]!;
    const dist = new Float64Array(n).fill(Infinity);
    for (let c = 1; c < k; c++) {
      let total = 0;
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (fit.x.data[r * d + j]! - C[(c - 1) * d + j]!) ** 2;
        dist[r] = Math.min(dist[r]!, s);
        total += dist[r]!;
      }
      let pick = rng.next() * total;
      let chosen = n - 1;
      for (let r = 0; r < n; r++) {
        pick -= dist[r]!;
        if (pick <= 0) {
          chosen = r;
          break;
        }
      }
      for (let j = 0; j < d; j++) C[c * d + j] = fit.x.data[chosen * d + j]!;
    }
  }
  const model = (): KMeansModel => ({
    kind: 'kmeans',
    task: 'clustering',
    featureNames: meta.featureNames,
    centroids: range(k).map((c) => Array.from(C.subarray(c * d, (c + 1) * d))),
  });
  const runEpoch = (epoch: number): EpochRecord => {
    if (epoch !== lastEpoch + 1) throw new Error(`epoch ${epoch} does not follow ${lastEpoch}`);
    const sums = new Float64Array(k * d);
    const counts = new Array<number>(k).fill(0);
    let inertia = 0;
    for (let r = 0; r < n; r++) {
      let best = 0;
      let bd = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (fit.x.data[r * d + j]! - C[c * d + j]!) ** 2;
        if (s < bd) {
          bd = s;
          best = c;
        }
      }
      inertia += bd;
      counts[best]!++;
      for (let j = 0; j < d; j++) sums[best * d + j] = sums[best * d + j]! + fit.x.data[r * d + j]!;
    }
    for (let c = 0; c < k; c++)
      if (counts[c]! > 0) for (let j = 0; j < d; j++) C[c * d + j] = sums[c * d + j]! / counts[c]!;
    const data = val.x.rows > 0 ? val : fit;
    const p = predict(model(), data.x);
    let vi = 0;
    for (let r = 0; r < data.x.rows; r++) vi += p.distances![r * k + p.labels![r]!]!;
    const rec = { epoch, loss: inertia / n, valMetric: vi / data.x.rows };
    history.push(rec);
    lastEpoch = epoch;
    return rec;
  };
  return {
    runEpoch,
    model,
    valMetricName: 'inertia_per_row',
    state: () => ({
      kind: 'kmeans',
      epoch: lastEpoch,
      params: [Array.from(C)],
      history: history.map((h) => ({ ...h })),
    }),
  };
}

// ---------------------------------------------------------------- inference (float64 reference)

export function predict(model: Model, x: Matrix): Predictions {
  if (model.kind === 'kmeans') {
    const k = model.centroids.length;
    const d = x.cols;
    const distances = new Float64Array(x.rows * k);
    const labels: number[] = [];
    for (let r = 0; r < x.rows; r++) {
      let best = 0;
      for (let c = 0; c < k; c++) {
        const cen = model.centroids[c]!;
        let s = 0;
        for (let j = 0; j < d; j++) s += (x.data[r * d + j]! - cen[j]!) ** 2;
        distances[r * k + c] = s;
        if (s < distances[r * k + best]!) best = c;
      }
      labels.push(best);
    }
    return { distances, labels };
  }
  let a = x.data;
  let width = x.cols;
  model.layers.forEach((L, l) => {
    if (L.in !== width) throw new Error(`model expects ${L.in} features, got ${width}`);
    const out = new Float64Array(x.rows * L.out);
    for (let r = 0; r < x.rows; r++) {
      for (let k = 0; k < L.out; k++) out[r * L.out + k] = L.b[k]!;
      for (let i = 0; i < L.in; i++) {
        const xi = a[r * L.in + i]!;
        for (let k = 0; k < L.out; k++) out[r * L.out + k] = out[r * L.out + k]! + xi * L.W[i * L.out + k]!;
      }
      if (l < model.layers.length - 1)
        for (let k = 0; k < L.out; k++) if (out[r * L.out + k]! < 0) out[r * L.out + k] = 0;
    }
    a = out;
    width = L.out;
  });
  if (model.task === 'regression') {
    const values = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) values[r] = a[r]! * (model.yStd ?? 1) + (model.yMean ?? 0);
    return { values };
  }
  const C = width;
  const probabilities = new Float64Array(x.rows * C);
  const labels: number[] = [];
  for (let r = 0; r < x.rows; r++) {
    let mx = -Infinity;
    for (let k = 0; k < C; k++) mx = Math.max(mx, a[r * C + k]!);
    let s = 0;
    for (let k = 0; k < C; k++) s += Math.exp(a[r * C + k]! - mx);
    let best = 0;
    for (let k = 0; k < C; k++) {
      probabilities[r * C + k] = Math.exp(a[r * C + k]! - mx) / s;
      if (probabilities[r * C + k]! > probabilities[r * C + best]!) best = k;
    }
    labels.push(best);
  }
  return { probabilities, labels };
}
