// Reads Prometheus text metrics (the Temporal server's --metrics-port, the SDK runtime's exporter)
// and turns two snapshots into per-histogram means: how long a kind of task took on average between
// them. Only _sum and _count series are kept; buckets would add nothing to a mean.

export type PromSnapshot = Map<string, number>;

/** `name{labels}` → value for every `_sum` / `_count` series; empty when the endpoint cannot be read. */
export async function scrape(url: string | undefined): Promise<PromSnapshot> {
  const out: PromSnapshot = new Map();
  if (!url) return out;
  let text: string;
  try {
    const res = await fetch(url);
    if (!res.ok) return out;
    text = await res.text();
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const key = line.slice(0, sp);
    const name = key.split('{')[0]!;
    if (!name.endsWith('_sum') && !name.endsWith('_count')) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out.set(key, v);
  }
  return out;
}

function labelsOf(key: string): Record<string, string> {
  const i = key.indexOf('{');
  const labels: Record<string, string> = {};
  if (i < 0) return labels;
  for (const m of key.slice(i + 1, -1).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
  return labels;
}

export interface HistogramMean {
  count: number;
  /** Mean in the metric's own unit (the server's timers: seconds; the SDK's: ms unless configured otherwise). */
  mean: number;
}

/**
 * Mean of histogram `metric` between two snapshots, grouped by the value of label `by` (all series
 * together under '' when `by` is omitted); `where` keeps only series whose labels match.
 */
export function histogramMeans(
  before: PromSnapshot,
  after: PromSnapshot,
  metric: string,
  o: { by?: string; where?: Record<string, string> } = {},
): Record<string, HistogramMean> {
  const acc = new Map<string, { sum: number; count: number }>();
  for (const [key, v] of after) {
    const name = key.split('{')[0]!;
    const isSum = name === `${metric}_sum`;
    if (!isSum && name !== `${metric}_count`) continue;
    const labels = labelsOf(key);
    if (o.where && Object.entries(o.where).some(([k, want]) => labels[k] !== want)) continue;
    const group = o.by ? (labels[o.by] ?? '') : '';
    const d = v - (before.get(key) ?? 0);
    const a = acc.get(group) ?? { sum: 0, count: 0 };
    if (isSum) a.sum += d;
    else a.count += d;
    acc.set(group, a);
  }
  const out: Record<string, HistogramMean> = {};
  for (const [g, a] of acc) if (a.count > 0) out[g] = { count: a.count, mean: a.sum / a.count };
  return out;
}
