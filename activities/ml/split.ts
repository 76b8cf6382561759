// Deterministic (stratified) train/test split.
import { createRng, shuffleInPlace } from '../../src/domain/random';
import type { Dataset } from './table';
import { rowCount, subset } from './table';

export interface SplitIndices {
  train: number[];
  test: number[];
}

/**
 * Splits row indices. Stratified: each class contributes round(n_c × testSize) rows to the test set
 * (at least one when the class has two or more rows), so class proportions are kept on both sides.
 * The same seed always gives the same split; indices are returned in ascending order.
 */
export function splitIndices(n: number, testSize: number, seed: number, strata?: number[]): SplitIndices {
  const rng = createRng(seed, 0x5917);
  const test: number[] = [];
  const train: number[] = [];
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const k = strata ? strata[i]! : 0;
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  for (const k of keys) {
    const g = shuffleInPlace(groups.get(k)!, rng);
    let nt = Math.round(g.length * testSize);
    if (strata && g.length >= 2) nt = Math.min(g.length - 1, Math.max(1, nt));
    test.push(...g.slice(0, nt));
    train.push(...g.slice(nt));
  }
  if (train.length === 0 || test.length === 0)
    throw new Error(`cannot split ${n} rows with testSize ${testSize}: one side would be empty`);
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

export function splitDataset(
  ds: Dataset,
  testSize: number,
  seed: number,
  stratify: boolean,
): { train: Dataset; test: Dataset; stratified: boolean } {
  const stratified = stratify && ds.task === 'classification' && ds.y.length > 0;
  const { train, test } = splitIndices(rowCount(ds), testSize, seed, stratified ? ds.y : undefined);
  return { train: subset(ds, train), test: subset(ds, test), stratified };
}
