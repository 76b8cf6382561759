// Tabular data: parsing CSV/JSON into typed columns, a compact stored form, and profiling.
import { z } from 'zod';

export const Task = z.enum(['classification', 'regression', 'clustering']);
export type Task = z.infer<typeof Task>;
export const Cell = z.union([z.number(), z.string(), z.null()]);
export type Cell = z.infer<typeof Cell>;

/** A feature column. `text` columns (free text, ids) are kept in the data but are not model features. */
export const ColumnMeta = z.object({
  name: z.string(),
  kind: z.enum(['numeric', 'categorical', 'text']),
  missing: z.number(),
  /** Sorted distinct values of a categorical column. */
  categories: z.array(z.string()).optional(),
});
export type ColumnMeta = z.infer<typeof ColumnMeta>;

/** The stored, compact dataset (dataset.json, train.json, test.json): feature columns column-major, target encoded. */
export const Dataset = z.object({
  name: z.string(),
  task: Task,
  /** Target column name (absent for clustering without labels). */
  target: z.string().optional(),
  /** Class names, index = encoded label (classification, or clustering with a label column). */
  classes: z.array(z.string()).optional(),
  columns: z.array(ColumnMeta),
  /** values[c][r]: number for numeric, string for categorical/text, null when missing. */
  values: z.array(z.array(Cell)),
  /** Target per row: class index (classification) or value (regression); empty without a target. */
  y: z.array(z.number()),
  /** Original row index in the source file (after dropping rows with a missing target). */
  rowIds: z.array(z.number()),
});
export type Dataset = z.infer<typeof Dataset>;

/** RFC 4180-ish CSV parser: quotes, escaped quotes, CRLF; returns rows of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field.length === 0) quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (!(row.length === 1 && row[0] === '')) rows.push(row);
      row = [];
    } else field += ch;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
  }
  return rows;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '?']);

function cellOf(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return String(v);
  const s = String(v).trim();
  return MISSING.has(s.toLowerCase()) ? null : s;
}

/** Records (header + rows) from CSV text. */
export function recordsFromCsv(text: string): { header: string[]; rows: Cell[][] } {
  const all = parseCsv(text);
  const header = (all[0] ?? []).map((h) => h.trim());
  if (header.length === 0) throw new Error('CSV has no header row');
  const rows = all.slice(1).map((r, i) => {
    if (r.length !== header.length)
      throw new Error(`CSV row ${i + 2} has ${r.length} fields, header has ${header.length}`);
    return r.map(cellOf);
  });
  return { header, rows };
}

/** Records from JSON: an array of objects (or { data: [...] }). */
export function recordsFromJson(text: string): { header: string[]; rows: Cell[][] } {
  let data: unknown = JSON.parse(text);
  if (!Array.isArray(data) && data && typeof data === 'object' && Array.isArray((data as { data?: unknown }).data))
    data = (data as { data: unknown[] }).data;
  if (!Array.isArray(data)) throw new Error('JSON data must be an array of objects');
  const header: string[] = [];
  const seen = new Set<string>();
  for (const rec of data) {
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new Error('JSON data must be an array of objects');
    for (const k of Object.keys(rec)) {
      if (!seen.has(k)) {
        seen.add(k);
        header.push(k);
      }
    }
  }
  const rows = data.map((rec: Record<string, unknown>) => header.map((h) => cellOf(rec[h])));
  return { header, rows };
}

function isNumeric(s: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s);
}

function sortCategories(vals: string[]): string[] {
  const allNum = vals.every(isNumeric);
  return [...vals].sort((a, b) => (allNum ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** Builds a Dataset: types the columns, encodes the target, drops rows with a missing target. */
export function buildDataset(
  name: string,
  records: { header: string[]; rows: Cell[][] },
  opts: { target?: string; task: Task },
): Dataset {
  const { header, rows } = records;
  const tIdx = opts.target === undefined ? -1 : header.indexOf(opts.target);
  if (opts.target !== undefined && tIdx < 0)
    throw new Error(`target column "${opts.target}" not found; columns: ${header.join(', ')}`);
  if (opts.task !== 'clustering' && tIdx < 0) throw new Error(`a ${opts.task} dataset needs a target column`);
  const kept: number[] = [];
  rows.forEach((r, i) => {
    if (tIdx < 0 || r[tIdx] !== null) kept.push(i);
  });
  let y: number[] = [];
  let classes: string[] | undefined;
  if (tIdx >= 0) {
    const tv = kept.map((i) => rows[i]![tIdx]!);
    if (opts.task === 'regression') {
      y = tv.map((v) => {
        const n = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(n))
          throw new Error(`regression target "${opts.target}" has a non-numeric value: ${JSON.stringify(v)}`);
        return n;
      });
    } else {
      classes = sortCategories([...new Set(tv.map(String))]);
      const idx = new Map(classes.map((c, i) => [c, i]));
      y = tv.map((v) => idx.get(String(v))!);
      if (opts.task === 'classification' && classes.length < 2)
        throw new Error(`target "${opts.target}" has fewer than 2 classes`);
      if (classes.length > 1000)
        throw new Error(
          `target "${opts.target}" has ${classes.length} classes (max 1000) — is it a regression target?`,
        );
    }
  }
  const columns: ColumnMeta[] = [];
  const values: Cell[][] = [];
  header.forEach((h, c) => {
    if (c === tIdx) return;
    const raw = kept.map((i) => rows[i]![c]!);
    const present = raw.filter((v): v is string | number => v !== null);
    const missing = raw.length - present.length;
    const numeric = present.every((v) => typeof v === 'number' || isNumeric(v));
    if (numeric) {
      columns.push({ name: h, kind: 'numeric', missing });
      values.push(raw.map((v) => (v === null ? null : typeof v === 'number' ? v : Number(v))));
    } else {
      const strs = raw.map((v) => (v === null ? null : String(v)));
      const distinct = [...new Set(present.map(String))];
      const categorical = distinct.length <= 50 && distinct.length <= Math.max(2, 0.5 * present.length);
      columns.push(
        categorical
          ? { name: h, kind: 'categorical', missing, categories: sortCategories(distinct) }
          : { name: h, kind: 'text', missing },
      );
      values.push(strs);
    }
  });
  return {
    name,
    task: opts.task,
    target: tIdx >= 0 ? opts.target : undefined,
    classes,
    columns,
    values,
    y,
    rowIds: kept,
  };
}

/** Rows of a dataset by index (same columns and metadata). */
export function subset(ds: Dataset, idx: number[]): Dataset {
  return {
    ...ds,
    values: ds.values.map((col) => idx.map((i) => col[i]!)),
    y: ds.y.length ? idx.map((i) => ds.y[i]!) : [],
    rowIds: idx.map((i) => ds.rowIds[i]!),
  };
}

export function rowCount(ds: Dataset): number {
  return ds.rowIds.length;
}

export interface DatasetProfile {
  rows: number;
  columns: number;
  droppedRowsMissingTarget: number;
  task: Task;
  target?: string;
  features: {
    name: string;
    kind: ColumnMeta['kind'];
    missing: number;
    distinct?: number;
    min?: number;
    max?: number;
    mean?: number;
  }[];
  classBalance?: Record<string, number>;
  targetStats?: { min: number; max: number; mean: number };
}

export function profile(ds: Dataset, sourceRows: number): DatasetProfile {
  const features = ds.columns.map((c, i) => {
    const col = ds.values[i]!;
    if (c.kind === 'numeric') {
      const xs = col.filter((v): v is number => typeof v === 'number');
      const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
      return {
        name: c.name,
        kind: c.kind,
        missing: c.missing,
        min: Math.min(...xs),
        max: Math.max(...xs),
        mean: round(mean),
      };
    }
    return { name: c.name, kind: c.kind, missing: c.missing, distinct: new Set(col.filter((v) => v !== null)).size };
  });
  const p: DatasetProfile = {
    rows: rowCount(ds),
    columns: ds.columns.length + (ds.target ? 1 : 0),
    droppedRowsMissingTarget: sourceRows - rowCount(ds),
    task: ds.task,
    ...(ds.target !== undefined && { target: ds.target }),
    features,
  };
  if (ds.classes)
    p.classBalance = Object.fromEntries(ds.classes.map((c, k) => [c, ds.y.filter((v) => v === k).length]));
  else if (ds.y.length)
    p.targetStats = {
      min: Math.min(...ds.y),
      max: Math.max(...ds.y),
      mean: round(ds.y.reduce((a, b) => a + b, 0) / ds.y.length),
    };
  return p;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
