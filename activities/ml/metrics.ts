// Evaluation metrics for classification, regression and clustering.

export interface ClassificationMetrics {
  accuracy: number;
  precisionMacro: number;
  recallMacro: number;
  f1Macro: number;
  /** confusionMatrix[true][predicted] */
  confusionMatrix: number[][];
  classes: string[];
  /** Binary only: ROC-AUC of the positive class (index 1). */
  rocAuc?: number;
}

export function classificationMetrics(
  yTrue: number[],
  yPred: number[],
  classes: string[],
  positiveScores?: number[],
): ClassificationMetrics {
  const C = classes.length;
  const cm = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < yTrue.length; i++) cm[yTrue[i]!]![yPred[i]!]!++;
  let correct = 0;
  let p = 0;
  let r = 0;
  let f = 0;
  for (let k = 0; k < C; k++) {
    correct += cm[k]![k]!;
    const tp = cm[k]![k]!;
    const predicted = cm.reduce((s, row) => s + row[k]!, 0);
    const actual = cm[k]!.reduce((s, v) => s + v, 0);
    const prec = predicted ? tp / predicted : 0;
    const rec = actual ? tp / actual : 0;
    p += prec;
    r += rec;
    f += prec + rec > 0 ? (2 * prec * rec) / (prec + rec) : 0;
  }
  const out: ClassificationMetrics = {
    accuracy: yTrue.length ? correct / yTrue.length : 0,
    precisionMacro: p / C,
    recallMacro: r / C,
    f1Macro: f / C,
    confusionMatrix: cm,
    classes,
  };
  if (C === 2 && positiveScores) out.rocAuc = rocAuc(yTrue, positiveScores);
  return out;
}

/** ROC-AUC by the rank statistic (ties get half credit). */
export function rocAuc(yTrue: number[], scores: number[]): number {
  const idx = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  let nPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (yTrue[idx[t]![1]] === 1) {
        rankSumPos += avgRank;
        nPos++;
      }
    }
    i = j + 1;
  }
  const nNeg = yTrue.length - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** ROC curve points (false-positive rate, true-positive rate), from the highest threshold down. */
export function rocCurve(yTrue: number[], scores: number[]): { fpr: number; tpr: number; threshold: number }[] {
  const idx = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const P = yTrue.filter((y) => y === 1).length;
  const N = yTrue.length - P;
  const pts = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (yTrue[idx[i]![1]] === 1) tp++;
    else fp++;
    if (i === idx.length - 1 || idx[i + 1]![0] !== idx[i]![0])
      pts.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0, threshold: idx[i]![0] });
  }
  return pts;
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

export function regressionMetrics(yTrue: number[], yPred: ArrayLike<number>): RegressionMetrics {
  const n = yTrue.length;
  const mean = yTrue.reduce((a, b) => a + b, 0) / n;
  let se = 0;
  let ae = 0;
  let st = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!;
    se += e * e;
    ae += Math.abs(e);
    st += (yTrue[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, r2: st > 0 ? 1 - se / st : 0 };
}

export interface ClusteringMetrics {
  silhouette: number;
  inertia: number;
  clusterSizes: number[];
}

/** Mean silhouette (Euclidean) and inertia (sum of squared distances to the assigned centroid). */
export function clusteringMetrics(
  x: { rows: number; cols: number; data: ArrayLike<number> },
  labels: number[],
  centroids: number[][],
): ClusteringMetrics {
  const n = x.rows;
  const d = x.cols;
  const k = centroids.length;
  let inertia = 0;
  for (let r = 0; r < n; r++) {
    const c = centroids[labels[r]!]!;
    for (let j = 0; j < d; j++) inertia += (x.data[r * d + j]! - c[j]!) ** 2;
  }
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]!++;
  let sil = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array<number>(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += (x.data[i * d + t]! - x.data[j * d + t]!) ** 2;
      sums[labels[j]!] = sums[labels[j]!]! + Math.sqrt(s);
    }
    const own = labels[i]!;
    if (sizes[own]! <= 1) continue;
    const a = sums[own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && sizes[c]! > 0) b = Math.min(b, sums[c]! / sizes[c]!);
    if (!Number.isFinite(b)) continue;
    sil += (b - a) / Math.max(a, b);
  }
  return { silhouette: n ? sil / n : 0, inertia, clusterSizes: sizes };
}
