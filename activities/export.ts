// export step: writes model.onnx (preprocessing folded in as leading ops, so it takes the raw input
// vector), loads it back from disk in onnxruntime-node, checks parity against the trained model on
// the test split, measures latency and writes a model card. Every write is atomic (temp + rename),
// so a retried attempt never finds a partial model.onnx.
import { ApplicationFailure } from '@temporalio/common';
import { ExportConfig } from '../src/domain/node-types';
import { loggedStep } from './define-step';
import { metricsFor, predictionsFromOnnx, scalarMetrics, toPredictionsFile } from './ml/evaluation';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { carriedRefs, nodeLog, putJson, readJson, REFS, requireRef } from './ml/io';
import type { ModelCard } from './ml/model-card';
import { predict } from './ml/models';
import { buildOnnx } from './ml/onnx/build';
import { openSession, type LatencyStats } from './ml/onnx/runtime';
import { PreprocessorParams, encodeRaw, transformDataset } from './ml/preprocess';
import { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';
import { ModelArtifact } from './train';

export function makeExportStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, ExportConfig, async (input, ctx) => {
    const cfg = input.config;
    const hint = 'put a train node upstream';
    const modelRef = requireRef(input, REFS.model, hint);
    const { model, training } = await readJson(deps.store, modelRef, ModelArtifact);
    const pre = await readJson(deps.store, requireRef(input, REFS.preprocessor, hint), PreprocessorParams);
    const test = await readJson(deps.store, requireRef(input, REFS.testData, hint), Dataset);
    ctx.heartbeat({ phase: 'running', percent: 10, message: 'building ONNX graph' });

    const built = buildOnnx(model, pre, { opset: cfg.opset, name: `${input.jobId}/${input.nodeId}` });
    const onnxRef = await deps.store.put(input.outputDir, input.nodeId, 'model.onnx', built.bytes, 'application/onnx');
    // Loaded back from the store (sha256-checked), so parity is measured on what was stored.
    const session = await openSession(await deps.store.get(onnxRef), { cuda: deps.cudaAvailable });
    let parity: ModelCard['parity'];
    let metrics: Record<string, number>;
    const latency: LatencyStats[] = [];
    try {
      const raw = encodeRaw(test, pre);
      const out = await session.run(raw);
      ctx.throwIfCancelled();
      // Parity: ONNX (float32) vs the trained model (float64) on the same rows.
      const js = predict(model, transformDataset(test, pre));
      const ref = js.probabilities ?? js.values ?? js.distances!;
      const got = out[built.primaryOutput]!.data as ArrayLike<number>;
      let maxAbs = 0;
      let maxScaled = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(got[i]! - ref[i]!);
        maxAbs = Math.max(maxAbs, d);
        maxScaled = Math.max(maxScaled, d / Math.max(1, Math.abs(ref[i]!)));
      }
      if (got.length !== ref.length) maxAbs = maxScaled = Infinity;
      const onnxPreds = predictionsFromOnnx(model, out);
      const labelAgreement =
        js.labels && onnxPreds.labels
          ? js.labels.filter((l, i) => l === onnxPreds.labels![i]).length / js.labels.length
          : undefined;
      parity = {
        output: built.primaryOutput,
        rows: test.rowIds.length,
        maxAbsDiff: maxAbs,
        maxScaledDiff: maxScaled,
        tolerance: cfg.parityTolerance,
        ...(labelAgreement !== undefined && { labelAgreement }),
        passed: maxScaled <= cfg.parityTolerance,
      };
      if (!parity.passed) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.OnnxParity,
          nonRetryable: true,
          message: `ONNX parity failed on ${parity.rows} test rows: max |onnx − model| on "${parity.output}" = ${maxAbs.toExponential(3)} (scaled ${maxScaled.toExponential(3)}) > tolerance ${cfg.parityTolerance}`,
          details: [parity],
        });
      }
      const pf = toPredictionsFile(model, test, onnxPreds);
      metrics = scalarMetrics(metricsFor(model, pf, model.kind === 'kmeans' ? transformDataset(test, pre) : undefined));
      ctx.heartbeat({ phase: 'running', percent: 50, message: 'measuring latency' });
      for (const batch of [1, 256]) {
        ctx.throwIfCancelled();
        latency.push(await session.latency(raw, batch, cfg.latencyRuns));
      }
    } finally {
      await session.close();
    }

    const card: ModelCard = {
      name: `${input.jobId}/${input.nodeId}`,
      createdAt: new Date().toISOString(),
      model: {
        kind: model.kind,
        task: model.task,
        ...(model.kind !== 'kmeans' && model.classes && { classes: model.classes }),
      },
      format: {
        type: 'onnx',
        opset: built.opset,
        irVersion: built.irVersion,
        ops: built.ops,
        file: onnxRef.path,
        sha256: onnxRef.sha256,
        size: onnxRef.size,
      },
      inputs: [built.input],
      outputs: built.outputs,
      inputEncoding: {
        columns: pre.inputColumns,
        missing: 'NaN (missing numeric value, or missing/unknown category)',
        excluded: pre.excluded,
      },
      preprocessing: { impute: pre.impute, scale: pre.scale, encodedFeatures: pre.encodedNames, foldedIntoGraph: true },
      metrics,
      parity,
      latency,
      executionProvider: session.provider,
      training: { ...training },
      data: {
        datasetSha256: carriedRefs(input)[REFS.dataset]?.sha256,
        trainFeaturesSha256: training.trainDataSha256,
        testRows: test.rowIds.length,
      },
    };
    const cardRef = await putJson(deps.store, input, 'model-card.json', card);
    await nodeLog(
      deps.store,
      input,
      `exported ${onnxRef.path} (opset ${built.opset}, ${session.provider}); parity max diff ${parity.maxAbsDiff.toExponential(2)}; p50 batch 1 ${latency[0]?.p50Ms} ms`,
    );
    return {
      summary: {
        onnx: onnxRef.path,
        opset: built.opset,
        executionProvider: session.provider,
        ...(session.fallbackReason !== undefined && { cudaFallbackReason: session.fallbackReason }),
        parity,
        latency,
        metrics,
        input: built.input,
        outputs: built.outputs.map((o) => ({ name: o.name, shape: o.shape, dtype: o.dtype })),
      },
      artifacts: [onnxRef, cardRef],
      refs: { ...carriedRefs(input), [REFS.onnx]: onnxRef, [REFS.modelCard]: cardRef },
    };
  });
}
