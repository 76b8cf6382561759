// Preprocessing fitted on training rows only. The fitted parameters are plain JSON so export can
// fold them into the ONNX graph as leading ops.
//
// Pipeline (JS and ONNX do exactly the same):
//   raw vector  — one float per input column, in `inputColumns` order: numeric value, or for a
//                 categorical column the index of its value in `categories`; NaN = missing/unknown
//   impute      — NaN → fill[j] (numeric: mean/median/most-frequent; categorical: most-frequent code)
//   encode      — numeric columns first (input order), then one one-hot block per categorical column
//   scale       — (x − offset) / divisor per encoded column (one-hot columns: offset 0, divisor 1)
import { z } from 'zod';
import type { Dataset } from './table';

export const ScaleKind = z.enum(['standard', 'minmax', 'none']);
export type ScaleKind = z.infer<typeof ScaleKind>;
export const ImputeKind = z.enum(['mean', 'median', 'most_frequent', 'none']);
export type ImputeKind = z.infer<typeof ImputeKind>;

export const InputColumn = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical']),
  categories: z.array(z.string()).optional(),
});
export type InputColumn = z.infer<typeof InputColumn>;

/** The fitted preprocessing (preprocessor.json); export folds it into the ONNX graph. */
export const PreprocessorParams = z.object({
  version: z.literal(1),
  inputColumns: z.array(InputColumn),
  impute: ImputeKind,
  /** Per input column; null = nothing to fill with (then NaN stays NaN). */
  fill: z.array(z.number().nullable()),
  /** Encoded feature names (what the model layers see). */
  encodedNames: z.array(z.string()),
  scale: ScaleKind,
  offset: z.array(z.number()),
  divisor: z.array(z.number()),
  /** Columns left out: dropped by config, or free text. */
  excluded: z.array(z.object({ name: z.string(), reason: z.enum(['dropped', 'text', 'not one-hot encoded']) })),
  /** Rows the parameters were fitted on (the training rows' original ids count). */
  fittedOnRows: z.number(),
});
export type PreprocessorParams = z.infer<typeof PreprocessorParams>;

export interface PreprocessOptions {
  scale: ScaleKind;
  impute: ImputeKind;
  oneHot: 'auto' | string[];
  dropColumns: string[];
}

/** A numeric matrix ready for a model. */
export interface Matrix {
  rows: number;
  cols: number;
  /** Row-major values. */
  data: Float64Array;
}

export function fitPreprocessor(train: Dataset, opts: PreprocessOptions): PreprocessorParams {
  const names = new Set(train.columns.map((c) => c.name));
  for (const d of opts.dropColumns)
    if (!names.has(d)) throw new Error(`dropColumns: no feature column "${d}" (columns: ${[...names].join(', ')})`);
  if (opts.oneHot !== 'auto') {
    for (const c of opts.oneHot) {
      const col = train.columns.find((x) => x.name === c);
      if (!col) throw new Error(`oneHot: no feature column "${c}"`);
      if (col.kind === 'numeric')
        throw new Error(`oneHot: column "${c}" is numeric; one-hot encodes categorical columns only`);
    }
  }
  const inputColumns: InputColumn[] = [];
  const colIndex: number[] = [];
  const excluded: PreprocessorParams['excluded'] = [];
  train.columns.forEach((c, i) => {
    if (opts.dropColumns.includes(c.name)) excluded.push({ name: c.name, reason: 'dropped' });
    else if (c.kind === 'text') excluded.push({ name: c.name, reason: 'text' });
    else if (c.kind === 'categorical' && opts.oneHot !== 'auto' && !opts.oneHot.includes(c.name))
      excluded.push({ name: c.name, reason: 'not one-hot encoded' });
    else {
      inputColumns.push(
        c.kind === 'numeric'
          ? { name: c.name, kind: 'numeric' }
          : { name: c.name, kind: 'categorical', categories: [...c.categories!] },
      );
      colIndex.push(i);
    }
  });
  if (inputColumns.length === 0) throw new Error('no feature columns left after dropping columns');
  const raw = encodeRawColumns(train, inputColumns, colIndex);
  const n = train.rowIds.length;
  const fill = inputColumns.map((c, j) => {
    const present: number[] = [];
    for (let r = 0; r < n; r++) {
      const v = raw[r * inputColumns.length + j]!;
      if (!Number.isNaN(v)) present.push(v);
    }
    if (present.length < n && opts.impute === 'none' && c.kind === 'numeric') {
      throw new Error(
        `column "${c.name}" has ${n - present.length} missing values in the training rows; set impute to mean, median or most_frequent (or drop it)`,
      );
    }
    if (opts.impute === 'none' || present.length === 0) return null;
    if (c.kind === 'categorical' || opts.impute === 'most_frequent') return mostFrequent(present);
    if (opts.impute === 'median') return median(present);
    return present.reduce((a, b) => a + b, 0) / present.length;
  });
  const base: PreprocessorParams = {
    version: 1,
    inputColumns,
    impute: opts.impute,
    fill,
    encodedNames: encodedNamesOf(inputColumns),
    scale: opts.scale,
    offset: [],
    divisor: [],
    excluded,
    fittedOnRows: n,
  };
  const enc = encodeImputed(raw, n, base);
  const numericCount = inputColumns.filter((c) => c.kind === 'numeric').length;
  const m = base.encodedNames.length;
  base.offset = new Array<number>(m).fill(0);
  base.divisor = new Array<number>(m).fill(1);
  for (let j = 0; j < numericCount && opts.scale !== 'none'; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    let cnt = 0;
    for (let r = 0; r < n; r++) {
      const v = enc[r * m + j]!;
      if (Number.isNaN(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
      cnt++;
    }
    if (cnt === 0) continue;
    if (opts.scale === 'minmax') {
      base.offset[j] = lo;
      base.divisor[j] = hi - lo > 0 ? hi - lo : 1;
    } else {
      const mean = sum / cnt;
      let ss = 0;
      for (let r = 0; r < n; r++) {
        const v = enc[r * m + j]!;
        if (!Number.isNaN(v)) ss += (v - mean) ** 2;
      }
      const sd = Math.sqrt(ss / cnt);
      base.offset[j] = mean;
      base.divisor[j] = sd > 0 ? sd : 1;
    }
  }
  return base;
}

function encodedNamesOf(cols: InputColumn[]): string[] {
  const out = cols.filter((c) => c.kind === 'numeric').map((c) => c.name);
  for (const c of cols) if (c.kind === 'categorical') for (const k of c.categories!) out.push(`${c.name}=${k}`);
  return out;
}

function encodeRawColumns(ds: Dataset, cols: InputColumn[], colIndex: number[]): Float64Array {
  const n = ds.rowIds.length;
  const f = cols.length;
  const out = new Float64Array(n * f);
  cols.forEach((c, j) => {
    const vals = ds.values[colIndex[j]!]!;
    const codes = c.kind === 'categorical' ? new Map(c.categories!.map((k, i) => [k, i])) : undefined;
    for (let r = 0; r < n; r++) {
      const v = vals[r];
      let x = NaN;
      if (v !== null && v !== undefined) {
        if (codes) x = codes.get(String(v)) ?? NaN;
        else x = typeof v === 'number' ? v : Number(v);
      }
      out[r * f + j] = x;
    }
  });
  return out;
}

/** The raw input vector the ONNX model takes, for every row of a dataset (row-major [n, inputColumns]). */
export function encodeRaw(ds: Dataset, p: PreprocessorParams): Matrix {
  const colIndex = p.inputColumns.map((c) => {
    const i = ds.columns.findIndex((x) => x.name === c.name);
    if (i < 0) throw new Error(`column "${c.name}" the preprocessor was fitted on is missing from the data`);
    return i;
  });
  return { rows: ds.rowIds.length, cols: p.inputColumns.length, data: encodeRawColumns(ds, p.inputColumns, colIndex) };
}

function encodeImputed(raw: Float64Array, n: number, p: PreprocessorParams): Float64Array {
  const f = p.inputColumns.length;
  const m = p.encodedNames.length;
  const out = new Float64Array(n * m);
  const numeric: number[] = [];
  const cats: { j: number; k: number }[] = [];
  p.inputColumns.forEach((c, j) =>
    c.kind === 'numeric' ? numeric.push(j) : cats.push({ j, k: c.categories!.length }),
  );
  for (let r = 0; r < n; r++) {
    const get = (j: number): number => {
      const v = raw[r * f + j]!;
      const fv = p.fill[j];
      return Number.isNaN(v) && fv !== null && fv !== undefined && p.impute !== 'none' ? fv : v;
    };
    let o = r * m;
    for (const j of numeric) out[o++] = get(j);
    for (const { j, k } of cats) {
      const code = get(j);
      for (let t = 0; t < k; t++) out[o++] = code === t ? 1 : 0;
    }
  }
  return out;
}

/** Raw input vectors → model features (impute, one-hot, scale), exactly as the ONNX leading ops do. */
export function transformRaw(raw: Matrix, p: PreprocessorParams): Matrix {
  const m = p.encodedNames.length;
  const enc = encodeImputed(raw.data, raw.rows, p);
  for (let r = 0; r < raw.rows; r++) {
    for (let j = 0; j < m; j++) enc[r * m + j] = (enc[r * m + j]! - p.offset[j]!) / p.divisor[j]!;
  }
  return { rows: raw.rows, cols: m, data: enc };
}

export function transformDataset(ds: Dataset, p: PreprocessorParams): Matrix {
  const x = transformRaw(encodeRaw(ds, p), p);
  for (let i = 0; i < x.data.length; i++) {
    if (Number.isNaN(x.data[i]!)) {
      const r = Math.floor(i / x.cols);
      const name = p.encodedNames[i % x.cols];
      throw new Error(
        `feature "${name}" is missing in row ${ds.rowIds[r]} and impute is "none"; set impute to mean, median or most_frequent`,
      );
    }
  }
  return x;
}

function mostFrequent(xs: number[]): number {
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = xs[0]!;
  let bc = -1;
  for (const [v, c] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    if (c > bc) {
      best = v;
      bc = c;
    }
  }
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
