// Shared plumbing for the ML steps: named refs carried down the DAG, JSON artifacts, the node log.
import fs from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ArtifactStore } from '../../src/artifacts/artifact-store';
import type { ArtifactRef, StepInput } from '../../src/domain/step-io';

/** Names of the refs the ML steps carry forward (StepOutput.refs). */
export const REFS = {
  dataset: 'dataset',
  trainData: 'trainData',
  testData: 'testData',
  preprocessor: 'preprocessor',
  trainProcessed: 'trainProcessed',
  testProcessed: 'testProcessed',
  model: 'model',
  lossHistory: 'lossHistory',
  onnx: 'onnx',
  modelCard: 'modelCard',
  metrics: 'metrics',
  predictions: 'predictions',
} as const;

export const MISSING_INPUT = 'TrainyardMissingInput';

/** Refs of every upstream output, merged in node-id order (so the result does not depend on map order). */
export function upstreamRefs(input: StepInput): Record<string, ArtifactRef> {
  const out: Record<string, ArtifactRef> = {};
  for (const id of Object.keys(input.upstream).sort()) Object.assign(out, input.upstream[id]?.refs ?? {});
  return out;
}

export function requireRef(refs: Record<string, ArtifactRef>, name: string, input: StepInput, hint: string): ArtifactRef {
  const r = refs[name];
  if (!r) {
    throw ApplicationFailure.create({
      type: MISSING_INPUT,
      nonRetryable: true,
      message: `node ${input.nodeId} (${input.nodeType}) needs "${name}" from upstream — ${hint}`,
    });
  }
  return r;
}

export async function readJson<T>(store: ArtifactStore, ref: ArtifactRef): Promise<T> {
  return JSON.parse((await store.get(ref)).toString('utf8')) as T;
}

export function putJson(store: ArtifactStore, input: StepInput, name: string, value: unknown): Promise<ArtifactRef> {
  return store.put(input.outputDir, input.nodeId, name, JSON.stringify(value), 'application/json');
}

/** Appends a line to the node's persisted log and to the activity logger. */
export async function nodeLog(store: ArtifactStore, input: StepInput, message: string): Promise<void> {
  try {
    log.info(message, { nodeId: input.nodeId });
  } catch {
    // No activity context (plain unit test): the file below is enough.
  }
  const file = store.logPath(input.outputDir, input.nodeId);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.appendFile(file, `${new Date().toISOString()} ${message}\n`);
}

export function invalid(message: string, type = 'TrainyardInvalidData'): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Sleeps, but wakes early (and rejects) when the signal aborts. */
export function cancellableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('cancelled'));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason ?? new Error('cancelled'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Lets heartbeats and cancellation through between units of CPU-bound work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
