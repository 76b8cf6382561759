// The median stopping rule against a hand calculation.
import { heartbeatMetric, median, medianStops, type GroupMetrics } from '../../src/domain/early-stop';
import { EarlyStop } from '../../src/domain/sweep-spec';

// Four trials' accuracy per epoch (index → curve; epoch e is curve[e - 1]).
const CURVES = [
  [0.5, 0.6, 0.7, 0.8],
  [0.4, 0.5, 0.55, 0.6],
  [0.3, 0.35, 0.4, 0.45],
  [0.6, 0.7, 0.75, 0.85],
];
const book = (upTo: number[]): GroupMetrics =>
  new Map(upTo.map((last, t) => [t, new Map(CURVES[t]!.slice(0, last).map((v, k) => [k + 1, v]))]));

test('median of odd and even lists', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([0.6, 0.35, 0.7, 0.5])).toBeCloseTo(0.55);
});

test('when every trial reached epoch 2 (afterEpochs 2, max), then exactly the two below the others’ median stop', () => {
  const rule = EarlyStop.parse({ metric: 'acc', mode: 'max', afterEpochs: 2 });
  // Epoch 2: t0 0.6 vs median(0.5, 0.35, 0.7) = 0.5 → keeps; t1 0.5 vs median(0.6, 0.35, 0.7) = 0.6 → stops;
  // t2 0.35 vs median(0.6, 0.5, 0.7) = 0.6 → stops; t3 0.7 vs median(0.6, 0.5, 0.35) = 0.5 → keeps.
  expect(medianStops(rule, book([2, 2, 2, 2]), 2, [0, 1, 2, 3])).toEqual([
    { index: 1, value: 0.5, median: 0.6, others: 3 },
    { index: 2, value: 0.35, median: 0.6, others: 3 },
  ]);
  // Epoch 1 is before afterEpochs: nobody is judged.
  expect(medianStops(rule, book([2, 2, 2, 2]), 1, [0, 1, 2, 3])).toEqual([]);
});

test('when fewer than minTrials others reached the epoch, then nobody is judged; mode min flips the comparison', () => {
  const rule = EarlyStop.parse({ metric: 'loss', mode: 'min', afterEpochs: 1, minTrials: 3 });
  expect(medianStops(rule, book([1, 1, 1, 0]), 1, [0, 1, 2])).toEqual([]);
  // Lower is better: t3 0.6 vs median(0.5, 0.4, 0.3) = 0.4 → stops; t0 0.5 vs median(0.4, 0.3, 0.6) = 0.4 → stops.
  expect(medianStops(rule, book([1, 1, 1, 1]), 1, [0, 1, 2, 3]).map((s) => s.index)).toEqual([0, 3]);
});

test('when the rule reports every 2 epochs, then odd epochs are not judged', () => {
  const rule = EarlyStop.parse({ metric: 'acc', mode: 'max', afterEpochs: 1, every: 2 });
  expect(medianStops(rule, book([3, 3, 3, 3]), 3, [0, 1, 2, 3])).toEqual([]);
  expect(medianStops(rule, book([3, 3, 3, 3]), 2, [0, 1, 2, 3]).map((s) => s.index)).toEqual([1, 2]);
});

test('the metric in a heartbeat: metrics, valMetric, loss', () => {
  expect(heartbeatMetric({ metrics: { acc: 0.5 } }, 'acc')).toBe(0.5);
  expect(heartbeatMetric({ valMetric: 0.7 }, 'valMetric')).toBe(0.7);
  expect(heartbeatMetric({ loss: 0.2 }, 'loss')).toBe(0.2);
  expect(heartbeatMetric({ epoch: 1 }, 'acc')).toBeUndefined();
});
