// Shared plumbing for the ML steps: named refs carried down the DAG (found by parent), JSON
// artifacts parsed with their schemas, the node log.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { Artifacts } from '../../src/storage/artifacts';
import { FAILURE_TYPES, type FailureType } from '../../src/domain/failure-types';
import { detailsMessage, issueDetails } from '../../src/domain/issues';
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

/** An upstream artifact of a kind, and the parent it came through. */
export interface FoundRef {
  ref: ArtifactRef;
  /** The direct parent whose output carried it (refs travel down the DAG). */
  via: string;
}

/**
 * Every distinct artifact named `name` that the node's parents carry, each with the parent it came
 * through, in parent-id order. The same artifact reaching the node through two parents (a diamond)
 * counts once.
 */
export function refsNamed(input: StepInput, name: string): FoundRef[] {
  const found = new Map<string, FoundRef>();
  for (const via of Object.keys(input.upstream).sort()) {
    const ref = input.upstream[via]?.refs?.[name];
    if (ref && !found.has(ref.path)) found.set(ref.path, { ref, via });
  }
  return [...found.values()];
}

/** "train-a/model.json (through train-a)" — paths relative to the job folder. */
function describeFound(input: StepInput, found: FoundRef[]): string {
  const prefix = `${input.outputDir}/`;
  return found
    .map(({ ref, via }) => `${ref.path.startsWith(prefix) ? ref.path.slice(prefix.length) : ref.path} (through ${via})`)
    .join(', ');
}

/** The one upstream artifact named `name`, if any; several distinct ones fail non-retryably, naming them. */
export function optionalRef(input: StepInput, name: string): ArtifactRef | undefined {
  const found = refsNamed(input, name);
  if (found.length > 1) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.AmbiguousInput,
      nonRetryable: true,
      message: `node ${input.nodeId} (${input.nodeType}) needs exactly one "${name}" from upstream but finds ${found.length}: ${describeFound(input, found)}; give it a single path to one of them`,
    });
  }
  return found[0]?.ref;
}

/** The one upstream artifact named `name`: none or several fail non-retryably (several are named). */
export function requireRef(input: StepInput, name: string, hint: string): ArtifactRef {
  const r = optionalRef(input, name);
  if (!r) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.MissingInput,
      nonRetryable: true,
      message: `node ${input.nodeId} (${input.nodeType}) needs "${name}" from upstream — ${hint}`,
    });
  }
  return r;
}

/**
 * The refs a step carries forward to the steps below it: every upstream ref that names one
 * artifact. A name with several distinct artifacts upstream (two trains' models) is not carried:
 * which one would be a guess; a step below that needs it must reach exactly one.
 */
export function carriedRefs(input: StepInput): Record<string, ArtifactRef> {
  const names = new Set(Object.values(input.upstream).flatMap((o) => Object.keys(o.refs ?? {})));
  const out: Record<string, ArtifactRef> = {};
  for (const name of [...names].sort()) {
    const found = refsNamed(input, name);
    if (found.length === 1) out[name] = found[0]!.ref;
  }
  return out;
}

/** Reads a JSON artifact and parses it with its schema; a file that does not match fails non-retryably. */
export async function readJson<S extends z.ZodType>(
  store: Artifacts,
  ref: ArtifactRef,
  schema: S,
): Promise<z.output<S>> {
  let value: unknown;
  try {
    value = JSON.parse((await store.get(ref)).toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw invalid(`artifact ${ref.path} is not valid JSON: ${err.message}`);
    throw err;
  }
  const r = schema.safeParse(value);
  if (!r.success)
    throw invalid(
      `artifact ${ref.path} is not what its step writes: ${detailsMessage(issueDetails(r.error.issues), 5)}`,
    );
  return r.data;
}

export function putJson(store: Artifacts, input: StepInput, name: string, value: unknown): Promise<ArtifactRef> {
  return store.put(input.outputDir, input.nodeId, name, JSON.stringify(value), 'application/json');
}

/** Appends a line to the node's persisted log and to the activity logger. */
export async function nodeLog(store: Artifacts, input: StepInput, message: string): Promise<void> {
  try {
    log.info(message, { nodeId: input.nodeId });
  } catch {
    // No activity context (plain unit test): the file below is enough.
  }
  await store.logs.append(store.logKey(input.outputDir, input.nodeId), `${new Date().toISOString()} ${message}\n`);
}

export function invalid(message: string, type: FailureType = FAILURE_TYPES.InvalidData): ApplicationFailure {
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
