import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TrainConfig } from '../../src/domain/node-types';
import { loadDataset } from '../../activities/ml/datasets';
import { classificationMetrics, clusteringMetrics, regressionMetrics, rocAuc } from '../../activities/ml/metrics';
import { createTrainer, predict, type ModelKind, type TrainState } from '../../activities/ml/models';
import { buildOnnx } from '../../activities/ml/onnx/build';
import { openSession } from '../../activities/ml/onnx/runtime';
import { encodeRaw, fitPreprocessor, transformDataset, type PreprocessOptions } from '../../activities/ml/preprocess';
import { createRng } from '../../src/domain/random';
import { splitDataset, splitIndices } from '../../activities/ml/split';
import { parseCsv, type Dataset } from '../../activities/ml/table';

const PRE: PreprocessOptions = { scale: 'standard', impute: 'mean', oneHot: 'auto', dropColumns: [] };

async function builtin(name: 'iris' | 'breast_cancer' | 'diabetes' | 'penguins' | 'cars' | 'wine'): Promise<Dataset> {
  return (await loadDataset({ name }, '/nonexistent')).dataset;
}

function trainModel(train: Dataset, kind: ModelKind, overrides: Partial<TrainConfig> = {}, epochs?: number) {
  const cfg = TrainConfig.parse({ model: kind, ...overrides });
  const pre = fitPreprocessor(train, PRE);
  const x = transformDataset(train, pre);
  const trainer = createTrainer(
    {
      kind,
      hiddenLayers: cfg.hiddenLayers,
      learningRate: cfg.learningRate,
      batchSize: cfg.batchSize,
      l2: cfg.l2,
      seed: cfg.seed,
      clusters: cfg.clusters,
    },
    { x, y: train.y },
    { x: { rows: 0, cols: x.cols, data: new Float64Array() }, y: [] },
    { featureNames: pre.encodedNames, classes: train.classes },
  );
  for (let e = 1; e <= (epochs ?? cfg.epochs); e++) trainer.runEpoch(e);
  return { pre, trainer, model: trainer.model() };
}

describe('ml core', () => {
  test('built-in samples load with the right shapes, targets and missing values', async () => {
    const iris = await builtin('iris');
    expect([iris.rowIds.length, iris.columns.length, iris.classes]).toEqual([
      150,
      4,
      ['setosa', 'versicolor', 'virginica'],
    ]);
    const bc = await builtin('breast_cancer');
    expect([bc.rowIds.length, bc.columns.length, bc.classes]).toEqual([569, 30, ['benign', 'malignant']]);
    expect(bc.columns[0]!.name).toBe('mean radius');
    const wine = await builtin('wine');
    expect([wine.rowIds.length, wine.columns.length]).toEqual([178, 13]);
    const diabetes = await builtin('diabetes');
    expect([diabetes.rowIds.length, diabetes.columns.length, diabetes.task]).toEqual([442, 10, 'regression']);
    const penguins = await builtin('penguins');
    expect(penguins.rowIds.length).toBe(344);
    expect(penguins.columns.find((c) => c.name === 'Island')).toMatchObject({
      kind: 'categorical',
      categories: ['Biscoe', 'Dream', 'Torgersen'],
    });
    expect(penguins.columns.find((c) => c.name === 'Sex')!.missing).toBe(10);
    const cars = await builtin('cars');
    expect(cars.rowIds.length).toBe(398); // 8 rows without a target dropped
    expect(cars.columns.find((c) => c.name === 'Name')!.kind).toBe('text');
    expect(cars.columns.find((c) => c.name === 'Horsepower')!.missing).toBe(6);
  });

  test('CSV parser handles quotes, escaped quotes and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n1,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['1', ''],
    ]);
  });

  test('split is deterministic and stratified', async () => {
    const iris = await builtin('iris');
    const a = splitDataset(iris, 0.2, 7, true);
    const b = splitDataset(iris, 0.2, 7, true);
    const c = splitDataset(iris, 0.2, 8, true);
    expect(a.test.rowIds).toEqual(b.test.rowIds);
    expect(a.test.rowIds).not.toEqual(c.test.rowIds);
    expect(a.test.rowIds.length).toBe(30);
    for (let k = 0; k < 3; k++) expect(a.test.y.filter((y) => y === k).length).toBe(10);
    expect(new Set([...a.train.rowIds, ...a.test.rowIds]).size).toBe(150);
    const bc = await builtin('breast_cancer');
    const s = splitDataset(bc, 0.25, 1, true);
    const share = (d: Dataset) => d.y.filter((y) => y === 1).length / d.y.length;
    expect(Math.abs(share(s.test) - share(bc))).toBeLessThan(0.01);
    const idx = splitIndices(100, 0.3, 3);
    expect(idx.test.length).toBe(30);
  });

  test('preprocessing is fitted on training rows only (no leakage)', async () => {
    const penguins = await builtin('penguins');
    const { train, test } = splitDataset(penguins, 0.3, 42, true);
    const p = fitPreprocessor(train, PRE);
    const mass = train.columns.findIndex((c) => c.name === 'Body Mass (g)');
    const trainVals = train.values[mass]!.filter((v): v is number => typeof v === 'number');
    const mean = trainVals.reduce((a, b) => a + b, 0) / trainVals.length;
    const j = p.encodedNames.indexOf('Body Mass (g)');
    expect(p.offset[j]).toBeCloseTo(mean, 9);
    expect(p.fill[p.inputColumns.findIndex((c) => c.name === 'Body Mass (g)')]).toBeCloseTo(mean, 9);
    // Changing the test rows does not change the fitted parameters.
    const poisoned: Dataset = { ...test, values: test.values.map((col, c) => (c === mass ? col.map(() => 1e9) : col)) };
    const p2 = fitPreprocessor(train, PRE);
    expect(p2).toEqual(p);
    const xt = transformDataset(poisoned, p);
    expect(xt.data[j]).toBeCloseTo((1e9 - mean) / p.divisor[j]!, 0);
    // Training features are standardized to mean 0 / sd 1; one-hot and imputation applied.
    const x = transformDataset(train, p);
    let s = 0;
    for (let r = 0; r < x.rows; r++) s += x.data[r * x.cols + j]!;
    expect(Math.abs(s / x.rows)).toBeLessThan(1e-9);
    expect(p.encodedNames).toEqual(expect.arrayContaining(['Island=Biscoe', 'Sex=FEMALE', 'Sex=MALE']));
  });

  test('minmax scaling, median impute, drop columns', async () => {
    const cars = await builtin('cars');
    const p = fitPreprocessor(cars, { scale: 'minmax', impute: 'median', oneHot: 'auto', dropColumns: ['Year'] });
    expect(p.inputColumns.map((c) => c.name)).not.toContain('Year');
    expect(p.excluded).toEqual(
      expect.arrayContaining([
        { name: 'Year', reason: 'dropped' },
        { name: 'Name', reason: 'text' },
      ]),
    );
    const x = transformDataset(cars, p);
    expect(Math.min(...x.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...x.data)).toBeLessThanOrEqual(1);
    expect(() => fitPreprocessor(cars, { ...PRE, impute: 'none' })).toThrow(/Horsepower.*missing/);
  });

  test('iris: default MLP reaches test accuracy ≥ 0.9', async () => {
    const { train, test } = splitDataset(await builtin('iris'), 0.2, 42, true);
    const { pre, model } = trainModel(train, 'mlp');
    const p = predict(model, transformDataset(test, pre));
    const m = classificationMetrics(test.y, p.labels!, test.classes!);
    expect(m.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(m.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(30);
  });

  test('breast cancer: default MLP reaches ROC-AUC ≥ 0.97; logistic regression too', async () => {
    const { train, test } = splitDataset(await builtin('breast_cancer'), 0.2, 42, true);
    for (const kind of ['mlp', 'logistic_regression'] as const) {
      const { pre, model } = trainModel(train, kind);
      const p = predict(model, transformDataset(test, pre));
      const scores = test.y.map((_, r) => p.probabilities![r * 2 + 1]!);
      const m = classificationMetrics(test.y, p.labels!, test.classes!, scores);
      expect(m.rocAuc).toBeGreaterThanOrEqual(0.97);
      expect(m.accuracy).toBeGreaterThan(0.9);
    }
  });

  test('regression: linear and MLP regressor beat the mean on diabetes', async () => {
    const { train, test } = splitDataset(await builtin('diabetes'), 0.2, 42, false);
    for (const kind of ['linear_regression', 'mlp_regressor'] as const) {
      const { pre, model } = trainModel(train, kind);
      const p = predict(model, transformDataset(test, pre));
      const m = regressionMetrics(test.y, p.values!);
      expect(m.r2).toBeGreaterThan(0.3);
      expect(m.rmse).toBeLessThan(65);
    }
  });

  test('k-means finds iris-like clusters', async () => {
    const iris = await builtin('iris');
    const { pre, model } = trainModel({ ...iris, task: 'clustering' }, 'kmeans', { clusters: 3 }, 30);
    const x = transformDataset(iris, pre);
    const p = predict(model, x);
    const m = clusteringMetrics(x, p.labels!, model.kind === 'kmeans' ? model.centroids : []);
    expect(m.silhouette).toBeGreaterThan(0.4);
    expect(m.clusterSizes.reduce((a, b) => a + b, 0)).toBe(150);
  });

  test('metrics: ROC-AUC by hand', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    const m = classificationMetrics([0, 0, 1, 1], [0, 1, 1, 1], ['a', 'b']);
    expect(m.confusionMatrix).toEqual([
      [1, 1],
      [0, 2],
    ]);
    expect(m.precisionMacro).toBeCloseTo((1 + 2 / 3) / 2, 12);
    expect(m.recallMacro).toBeCloseTo((0.5 + 1) / 2, 12);
    expect(regressionMetrics([1, 2, 3], [1, 2, 4])).toEqual({ rmse: Math.sqrt(1 / 3), mae: 1 / 3, r2: 0.5 });
  });

  test('training is deterministic and resumes bit-for-bit from a checkpointed state', async () => {
    const { train } = splitDataset(await builtin('iris'), 0.2, 42, true);
    const full = trainModel(train, 'mlp', {}, 20);
    const pre = full.pre;
    const x = transformDataset(train, pre);
    const d = TrainConfig.parse({});
    const opts = {
      kind: 'mlp' as const,
      hiddenLayers: d.hiddenLayers,
      learningRate: d.learningRate,
      batchSize: d.batchSize,
      l2: d.l2,
      seed: d.seed,
    };
    const empty = { x: { rows: 0, cols: x.cols, data: new Float64Array() }, y: [] };
    const meta = { featureNames: pre.encodedNames, classes: train.classes };
    const first = createTrainer(opts, { x, y: train.y }, empty, meta);
    for (let e = 1; e <= 8; e++) first.runEpoch(e);
    const saved: TrainState = JSON.parse(JSON.stringify(first.state()));
    const resumed = createTrainer(opts, { x, y: train.y }, empty, meta, saved);
    expect(() => resumed.runEpoch(1)).toThrow(/does not follow 8/);
    for (let e = 9; e <= 20; e++) resumed.runEpoch(e);
    expect(resumed.model()).toEqual(full.model);
    expect(resumed.state().history).toEqual(full.trainer.state().history);
  });

  test('PRNG is seeded', () => {
    const a = createRng(1, 2);
    const b = createRng(1, 2);
    const c = createRng(1, 3);
    const xs = [a.next(), a.next()];
    expect([b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
  });

  describe('ONNX', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-onnx-'));
    });
    afterAll(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    const cases: [string, 'iris' | 'breast_cancer' | 'penguins' | 'diabetes' | 'cars', ModelKind][] = [
      ['iris mlp', 'iris', 'mlp'],
      ['breast cancer logistic', 'breast_cancer', 'logistic_regression'],
      ['penguins (impute + one-hot) mlp', 'penguins', 'mlp'],
      ['diabetes mlp regressor', 'diabetes', 'mlp_regressor'],
      ['cars linear regression', 'cars', 'linear_regression'],
      ['iris k-means', 'iris', 'kmeans'],
    ];
    test.each(cases)('%s: file loads from disk in onnxruntime-node with parity ≤ 1e-4', async (_label, name, kind) => {
      const ds = await builtin(name);
      const { train, test } = splitDataset(kind === 'kmeans' ? { ...ds, task: 'clustering' } : ds, 0.2, 42, true);
      const { pre, model } = trainModel(train, kind, { clusters: 3 }, 40);
      const built = buildOnnx(model, pre, { opset: 13 });
      const file = path.join(dir, `${name}-${kind}.onnx`);
      await fs.writeFile(file, built.bytes);
      const s = await openSession(file);
      expect(s.provider).toBe('cpu');
      const raw = encodeRaw(test, pre);
      const out = await s.run(raw).finally(() => s.close());
      const js = predict(model, transformDataset(test, pre));
      const ref = js.probabilities ?? js.values ?? js.distances!;
      const got = out[built.primaryOutput]!.data as ArrayLike<number>;
      expect(got.length).toBe(ref.length);
      let maxRel = 0;
      for (let i = 0; i < ref.length; i++)
        maxRel = Math.max(maxRel, Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
      expect(maxRel).toBeLessThanOrEqual(1e-4);
      if (js.labels && out.label) {
        const labels = Array.from(out.label.data as ArrayLike<bigint>, Number);
        const agree = labels.filter((l, i) => l === js.labels![i]).length / labels.length;
        expect(agree).toBeGreaterThanOrEqual(0.99);
      }
    });
  });
});
