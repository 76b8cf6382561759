// evaluate step: measures what ships — the exported ONNX file run through onnxruntime-node when an
// export node is upstream, else the trained model converted to ONNX in memory — on the test split.
import { EvaluateConfig } from '../src/domain/node-types';
import { defineStep } from './define-step';
import { metricsFor, predictionsFromOnnx, scalarMetrics, toPredictionsFile } from './ml/evaluation';
import { nodeLog, putJson, readJson, REFS, requireRef, upstreamRefs } from './ml/io';
import { buildOnnx } from './ml/onnx/build';
import { openSession } from './ml/onnx/runtime';
import { encodeRaw, transformDataset, type PreprocessorParams } from './ml/preprocess';
import type { Dataset } from './ml/table';
import type { StepDeps } from './step-deps';
import type { ModelArtifact } from './train';

export function makeEvaluateStep(deps: StepDeps) {
  return defineStep(EvaluateConfig, async (input, ctx) => {
    const refs = upstreamRefs(input);
    const hint = 'put a train node upstream';
    const { model } = await readJson<ModelArtifact>(deps.store, requireRef(refs, REFS.model, input, hint));
    const pre = await readJson<PreprocessorParams>(deps.store, requireRef(refs, REFS.preprocessor, input, hint));
    const test = await readJson<Dataset>(deps.store, requireRef(refs, REFS.testData, input, hint));
    ctx.heartbeat({ phase: 'running', percent: 10, message: 'running the model on the test split' });
    const onnxRef = input.config.preferOnnx ? refs[REFS.onnx] : undefined;
    let source: string;
    let modelBytes: string | Uint8Array;
    if (onnxRef) {
      await deps.store.get(onnxRef); // verifies the sha256 of what export wrote
      modelBytes = deps.store.resolve(onnxRef.path);
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
    await nodeLog(deps.store, input, `evaluated ${source} on ${test.rowIds.length} test rows: ${JSON.stringify(scalars)}`);
    return {
      summary: { source, executionProvider: session.provider, testRows: test.rowIds.length, metrics: scalars, ...(metrics.task === 'classification' && { confusionMatrix: metrics.confusionMatrix, classes: metrics.classes }) },
      artifacts: [mRef, pRef],
      refs: { ...refs, [REFS.metrics]: mRef, [REFS.predictions]: pRef },
    };
  });
}
