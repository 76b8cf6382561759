// train step: fits a model with our own mini-batch Adam loop (k-means: Lloyd). Heartbeats every epoch,
// checkpoints weights + optimizer state + history every `checkpointEvery` epochs and puts the
// checkpoint ref in the heartbeat, so a retried attempt (or a paused job) resumes from it. Stops
// within one epoch when cancelled. Deterministic for a seed, resumed or not.
import { z } from 'zod';
import { FAILURE_TYPES } from '../src/domain/failure-types';
import { TrainConfig } from '../src/domain/node-types';
import type { ArtifactRef } from '../src/domain/step-io';
import { loggedStep } from './define-step';
import {
  cancellableSleep,
  carriedRefs,
  invalid,
  nodeLog,
  putJson,
  readJson,
  REFS,
  requireRef,
  yieldToEventLoop,
} from './ml/io';
import { Model, TrainState, createTrainer, taskOf, type LossHistory } from './ml/models';
import { splitIndices } from './ml/split';
import { ProcessedData } from './preprocess';
import type { StepDeps } from './step-deps';

/** The stored model artifact (model.json). */
export const ModelArtifact = z.object({
  model: Model,
  training: z.object({
    config: TrainConfig,
    epochsRun: z.number().int(),
    /** null when no epoch ran (JSON has no NaN). */
    finalLoss: z.number().nullable(),
    valMetric: z.number().nullable(),
    valMetricName: z.string(),
    fitRows: z.number().int(),
    validationRows: z.number().int(),
    resumedFromEpoch: z.number().int().optional(),
    /** sha256 of the training features artifact. */
    trainDataSha256: z.string(),
  }),
});
export type ModelArtifact = z.infer<typeof ModelArtifact>;

/** checkpoints/epoch-NNNNNN.json: everything a resumed attempt needs. */
export const CheckpointFile = z.object({
  version: z.literal(1),
  nodeId: z.string(),
  config: TrainConfig,
  state: TrainState,
});
export type CheckpointFile = z.infer<typeof CheckpointFile>;

export function makeTrainStep(deps: StepDeps) {
  return loggedStep({ store: deps.store }, TrainConfig, async (input, ctx) => {
    const cfg = input.config;
    const trainRef = requireRef(input, REFS.trainProcessed, 'put a preprocess node upstream');
    const data = await readJson(deps.store, trainRef, ProcessedData);
    const task = taskOf(cfg.model);
    if (task !== data.task && !(task === 'clustering')) {
      throw invalid(
        `node ${input.nodeId}: model "${cfg.model}" is for ${task}, but the dataset's task is ${data.task}`,
      );
    }

    // Deterministic validation hold-out for the per-epoch valMetric.
    const n = data.rows;
    let fitIdx = Array.from({ length: n }, (_, i) => i);
    let valIdx: number[] = [];
    if (cfg.validationFraction > 0 && n >= 10) {
      const s = splitIndices(n, cfg.validationFraction, cfg.seed, task === 'classification' ? data.y : undefined);
      fitIdx = s.train;
      valIdx = s.test;
    }
    const take = (idx: number[]) => {
      const out = new Float64Array(idx.length * data.cols);
      idx.forEach((r, i) => {
        for (let j = 0; j < data.cols; j++) out[i * data.cols + j] = data.data[r * data.cols + j]!;
      });
      return {
        x: { rows: idx.length, cols: data.cols, data: out },
        y: data.y.length ? idx.map((r) => data.y[r]!) : [],
      };
    };

    // Resume from a checkpoint of a previous attempt (Temporal retry) or a paused execution.
    let resume: TrainState | undefined;
    let resumedFromEpoch: number | undefined;
    if (ctx.resumeCheckpoint) {
      const ck = await readJson(deps.store, ctx.resumeCheckpoint, CheckpointFile);
      if (ck.version !== 1 || ck.state.kind !== cfg.model)
        throw invalid(`node ${input.nodeId}: checkpoint ${ctx.resumeCheckpoint.path} does not match this node's model`);
      resume = ck.state;
      resumedFromEpoch = ck.state.epoch;
      await nodeLog(
        deps.store,
        input,
        `resumed from checkpoint at epoch ${resumedFromEpoch} (${ctx.resumeCheckpoint.path}), attempt ${ctx.attempt}`,
      );
    }

    let trainer;
    try {
      trainer = createTrainer(
        {
          kind: cfg.model,
          hiddenLayers: cfg.hiddenLayers,
          learningRate: cfg.learningRate,
          batchSize: cfg.batchSize,
          l2: cfg.l2,
          seed: cfg.seed,
          clusters: cfg.clusters,
        },
        take(fitIdx),
        take(valIdx),
        { featureNames: data.featureNames, classes: data.classes },
        resume,
      );
    } catch (err) {
      throw invalid(`node ${input.nodeId}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const startEpoch = (resume?.epoch ?? 0) + 1;
    if (startEpoch === 1)
      await nodeLog(
        deps.store,
        input,
        `training ${cfg.model} for ${cfg.epochs} epochs on ${fitIdx.length} rows (${valIdx.length} held out), seed ${cfg.seed}`,
      );
    let checkpoint: ArtifactRef | undefined = ctx.resumeCheckpoint;
    let last = resume?.history.at(-1);
    // A checkpoint-now request (the GPU worker's preemption notice) is answered by a checkpoint at
    // the end of the epoch in progress: an epoch runs without yielding, and the training state is
    // whole only between epochs.
    const asked: ((ref: ArtifactRef | undefined) => void)[] = [];
    const unregister = deps.checkpointRequests?.register(
      `${input.jobId}/${input.nodeId}#${ctx.attempt}`,
      (request) =>
        new Promise<ArtifactRef | undefined>((resolve) => {
          asked.push(resolve);
          setTimeout(() => resolve(undefined), Math.max(0, request.deadlineMs - Date.now())).unref();
        }),
    );
    try {
      for (let epoch = startEpoch; epoch <= cfg.epochs; epoch++) {
        ctx.throwIfCancelled();
        last = trainer.runEpoch(epoch);
        if (!Number.isFinite(last.loss))
          throw invalid(
            `node ${input.nodeId}: loss diverged at epoch ${epoch} (${last.loss}); lower the learning rate`,
            FAILURE_TYPES.Diverged,
          );
        const answering = asked.splice(0);
        if ((epoch % cfg.checkpointEvery === 0 || answering.length > 0) && epoch < cfg.epochs) {
          ctx.heartbeat({
            phase: 'checkpointing',
            epoch,
            epochs: cfg.epochs,
            loss: last.loss,
            valMetric: last.valMetric,
            percent: pct(epoch, cfg.epochs),
          });
          const ck: CheckpointFile = { version: 1, nodeId: input.nodeId, config: cfg, state: trainer.state() };
          // One file per checkpoint: the ref in an older heartbeat stays valid (its sha256 still matches).
          checkpoint = await putJson(deps.store, input, `checkpoints/epoch-${String(epoch).padStart(6, '0')}.json`, ck);
        }
        ctx.heartbeat({
          phase: 'running',
          epoch,
          epochs: cfg.epochs,
          loss: last.loss,
          valMetric: last.valMetric,
          percent: pct(epoch, cfg.epochs),
          ...(checkpoint && { checkpoint }),
        });
        if (answering.length) {
          await nodeLog(deps.store, input, `checkpoint now (preemption notice): checkpointed at epoch ${epoch}`);
          for (const answer of answering) answer(epoch < cfg.epochs ? checkpoint : undefined);
        }
        await yieldToEventLoop();
        if (cfg.epochDelayMs > 0) await cancellableSleep(cfg.epochDelayMs, ctx.signal);
      }
    } finally {
      unregister?.();
      for (const answer of asked.splice(0)) answer(undefined);
    }
    ctx.throwIfCancelled();
    ctx.heartbeat({
      phase: 'finishing',
      epoch: cfg.epochs,
      epochs: cfg.epochs,
      percent: 100,
      ...(last && { loss: last.loss, valMetric: last.valMetric }),
    });

    const state = trainer.state();
    const artifact: ModelArtifact = {
      model: trainer.model(),
      training: {
        config: cfg,
        epochsRun: state.epoch,
        finalLoss: last?.loss ?? null,
        valMetric: last?.valMetric ?? null,
        valMetricName: trainer.valMetricName,
        fitRows: fitIdx.length,
        validationRows: valIdx.length,
        ...(resumedFromEpoch !== undefined && { resumedFromEpoch }),
        trainDataSha256: trainRef.sha256,
      },
    };
    const modelRef = await putJson(deps.store, input, 'model.json', artifact);
    const history: LossHistory = { metricName: trainer.valMetricName, epochs: state.history };
    const histRef = await putJson(deps.store, input, 'loss-history.json', history);
    await nodeLog(
      deps.store,
      input,
      `trained ${cfg.model}: epoch ${state.epoch}, loss ${last?.loss.toFixed(5)}, ${trainer.valMetricName} ${last?.valMetric.toFixed(4)}`,
    );
    return {
      summary: {
        model: cfg.model,
        epochs: state.epoch,
        finalLoss: last?.loss,
        valMetric: last?.valMetric,
        valMetricName: trainer.valMetricName,
        fitRows: fitIdx.length,
        validationRows: valIdx.length,
        features: data.cols,
        /** Model complexity (the credits cost model's `parameter` term). */
        parameters: state.params.reduce((k, p) => k + p.length, 0),
        ...(resumedFromEpoch !== undefined && { resumedFromEpoch }),
        ...(checkpoint && { lastCheckpoint: checkpoint.path }),
      },
      artifacts: [modelRef, histRef],
      refs: { ...carriedRefs(input), [REFS.model]: modelRef, [REFS.lossHistory]: histRef },
    };
  });
}

function pct(epoch: number, epochs: number): number {
  return Math.round((1000 * epoch) / epochs) / 10;
}
