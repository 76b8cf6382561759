// Rerun: a finished job (completed, failed, cancelled, terminated, timed out) started again as a NEW
// job from its stored snapshot, with overrides applied. What is reused is decided by the step
// cache's keys, not here: the new job runs with the cache on (the spec's own `cache`, else
// `cache: true`), so every node whose inputs the change does not reach hits the entries the old job
// stored; `fromNode` turns the cache off for that node and everything downstream of it, so they
// run again. The new job's snapshot, memo and view record `rerunOf`.
import { descendants } from '../domain/dag';
import type { JobSpecInput } from '../domain/job-spec';
import { OverrideError, applyOverrides, overrideTarget, type Overrides } from '../domain/overrides';
import { isTerminalJobStatus } from '../domain/status-sets';
import type { ErrorDetail } from '../domain/issues';
import { JobNotFoundError, SpecValidationError, TrainyardError } from '../sdk/errors';
import type { JobStatusReads } from './status';
import type { JobSubmission } from './submission';
import type { OwnerScope, SubmitResult } from './types';

export interface RerunInput {
  overrides?: Overrides;
  fromNode?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The override an error of the overridden spec comes from (its landing path is a prefix of the error's). */
function blame(spec: unknown, overrides: Overrides, d: ErrorDetail): ErrorDetail {
  for (const path of Object.keys(overrides)) {
    const target = overrideTarget(spec, path);
    if (d.path === target || d.path.startsWith(`${target}.`) || d.path.startsWith(`${target}[`))
      return { path: `overrides.${path}`, message: `${d.path}: ${d.message}` };
    // The override replaced a parent of the field that is wrong (train.config={...}).
    if (target.startsWith(`${d.path}.`)) return { path: `overrides.${path}`, message: `${d.path}: ${d.message}` };
  }
  return d;
}

/**
 * The spec a rerun submits: the old spec with the overrides applied, the cache on for the job (a
 * node's own `cache: false` stays), and off for `fromNode` and its descendants. 400s name the
 * override or `fromNode`.
 */
export function rerunSpec(old: JobSpecInput, input: RerunInput): Record<string, unknown> {
  const overrides = input.overrides ?? {};
  let spec: unknown;
  try {
    spec = applyOverrides(old, overrides);
  } catch (err) {
    if (!(err instanceof OverrideError)) throw err;
    throw new SpecValidationError(
      [{ path: `overrides.${err.path}`, message: err.message }],
      `overrides.${err.path}: ${err.message}`,
    );
  }
  if (!isRecord(spec) || !Array.isArray(spec.nodes))
    throw new SpecValidationError([{ path: 'overrides', message: 'the spec must keep its nodes' }]);
  const nodes = spec.nodes.filter(isRecord);
  if (spec.cache === undefined || spec.cache === false) spec.cache = true;
  if (input.fromNode !== undefined) {
    const ids = nodes.map((n) => n.id);
    if (!ids.includes(input.fromNode))
      throw new SpecValidationError(
        [{ path: 'fromNode', message: `no node ${JSON.stringify(input.fromNode)} in the job` }],
        `fromNode: no node ${JSON.stringify(input.fromNode)} in the job`,
      );
    const dagNodes = nodes.map((n) => ({
      id: String(n.id),
      dependsOn: Array.isArray(n.dependsOn) ? n.dependsOn.map(String) : [],
    }));
    const forced = descendants(dagNodes, input.fromNode);
    forced.add(input.fromNode);
    for (const n of nodes) if (forced.has(String(n.id))) n.cache = false;
  }
  return spec;
}

/** Starts the rerun of `jobId` (the caller's, unless admin) as a new job of `owner`. */
export async function rerunJob(
  parts: { status: JobStatusReads; submission: JobSubmission },
  jobId: string,
  input: RerunInput,
  opts: { owner: string; scope: OwnerScope },
): Promise<SubmitResult & { rerunOf: string }> {
  const view = await parts.status.getJobStatus(jobId, opts.scope);
  if (!isTerminalJobStatus(view.status))
    throw new TrainyardError(
      409,
      'job_not_finished',
      `job ${jobId} is ${view.status}: only a finished job (completed, failed, cancelled, terminated, timed out) can be rerun; cancel it first or wait for it to end`,
    );
  const snapshot = await parts.status.getSnapshot(jobId, opts.scope);
  if (!snapshot) throw new JobNotFoundError(jobId);
  const spec = rerunSpec(snapshot.spec, input);
  const overrides = input.overrides ?? {};
  let result: SubmitResult;
  try {
    result = await parts.submission.submitJob(spec, { owner: opts.owner, rerunOf: jobId });
  } catch (err) {
    if (err instanceof SpecValidationError && Object.keys(overrides).length > 0) {
      const details = err.details.map((d) => blame(spec, overrides, d));
      throw new SpecValidationError(
        details,
        `the overridden spec is invalid: ${details.map((d) => d.path).join(', ')}`,
      );
    }
    throw err;
  }
  return { ...result, rerunOf: jobId };
}
