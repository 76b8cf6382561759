// evaluate step: measures what ships — the exported ONNX file run through onnxruntime-node when an
// export node is upstream, else the trained model converted to ONNX in memory — on the test split.
import { EvaluateConfig } from '../src/domain/node-types';
import { loggedStep } from './define-step';
import { metricsFor, predictionsFromOnnx, scalarMetrics, toPredictionsFile } from './ml/evaluation';
import { carriedRefs, nodeLog, optionalRef, putJson, readJson, REFS, requireRef } from './ml/io';
import { buildOnnx } from './ml/onnx/build';
import { openSession } from './ml/onnx/runtime';
import { PreprocessorParams, encodeRaw, transformDataset } from './ml/preprocess';
import { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';
import { ModelArtifact } from './train';

export function makeEvaluateStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, EvaluateConfig, async (input, ctx) => {
    const hint = 'put a train node upstream';
    const { model } = await readJson(deps.store, requireRef(input, REFS.model, hint), ModelArtifact);
    const pre = await readJson(deps.store, requireRef(input, REFS.preprocessor, hint), PreprocessorParams);
    const test = await readJson(deps.store, requireRef(input, REFS.testData, hint), Dataset);
    ctx.heartbeat({ phase: 'running', percent: 10, message: 'running the model on the test split' });
    const onnxRef = input.config.preferOnnx ? optionalRef(input, REFS.onnx) : undefined;
    let source: string;
    let modelBytes: string | Uint8Array;
    if (onnxRef) {
      modelBytes = await deps.store.get(onnxRef); // verifies the sha256 of what export wrote
      source = `onnx file ${onnxRef.path}`;
    } else {
      modelBytes = buildOnnx(model, pre).bytes;
      source = 'trained model converted to ONNX in memory';
    }
    const session = await openSession(modelBytes, { cuda: deps.cudaAvailable });
    let out;
    try {
      out = await session.run(encodeRaw(test, pre));
    } finally {
      await session.close();
    }
    ctx.throwIfCancelled();
    const preds = toPredictionsFile(model, test, predictionsFromOnnx(model, out));
    const metrics = metricsFor(model, preds, model.kind === 'kmeans' ? transformDataset(test, pre) : undefined);
    const scalars = scalarMetrics(metrics);
    ctx.heartbeat({ phase: 'finishing', percent: 100, metrics: scalars });
    const mRef = await putJson(deps.store, input, 'metrics.json', { ...metrics, source, testRows: test.rowIds.length });
    const pRef = await putJson(deps.store, input, 'predictions.json', preds);
    await nodeLog(
      deps.store,
      input,
      `evaluated ${source} on ${test.rowIds.length} test rows: ${JSON.stringify(scalars)}`,
    );
    return {
      summary: {
        source,
        executionProvider: session.provider,
        testRows: test.rowIds.length,
        metrics: scalars,
        ...(metrics.task === 'classification' && {
          confusionMatrix: metrics.confusionMatrix,
          classes: metrics.classes,
        }),
      },
      artifacts: [mRef, pRef],
      refs: { ...carriedRefs(input), [REFS.metrics]: mRef, [REFS.predictions]: pRef },
    };
  });
}
