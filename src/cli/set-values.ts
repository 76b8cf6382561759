// `trainyard submit job.yaml --set train.params.lr=0.1`: overrides in a job file before it is sent.
// The paths follow the shared override format (src/domain/overrides.ts): the first segment names a
// node when the spec has a node with that id (`train.params.lr`); otherwise the path starts at the
// spec's root (`priority=2`, `params.lr=0.1` in the single-job form). Values are YAML scalars or
// flow collections: 0.1 is a number, true a boolean, [1, 2] a list.
import YAML from 'yaml';
import { OverrideError, Overrides, applyOverrides } from '../domain/overrides';

export class SetValueError extends Error {}

const KEY_RE = /^[A-Za-z0-9_-]+$/;

/** Parses `path=value` arguments into overrides (`trainyard rerun --set` sends these to the API). */
export function parseSets(sets: readonly string[]): Overrides {
  const out: Record<string, unknown> = {};
  for (const arg of sets) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new SetValueError(`--set ${arg}: expected PATH=VALUE, e.g. train.params.lr=0.1`);
    const path = arg.slice(0, eq);
    const bad = path.split('.').find((k) => !KEY_RE.test(k));
    if (bad !== undefined) throw new SetValueError(`--set ${arg}: "${bad}" is not a field name`);
    try {
      out[path] = YAML.parse(arg.slice(eq + 1));
    } catch (err) {
      throw new SetValueError(`--set ${arg}: cannot parse the value: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const parsed = Overrides.safeParse(out);
  if (!parsed.success)
    throw new SetValueError(`--set: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** Applies `path=value` overrides to a copy of the spec. */
export function applySets(spec: unknown, sets: readonly string[]): unknown {
  if (sets.length === 0) return spec;
  const overrides = parseSets(sets);
  try {
    return applyOverrides(spec, overrides);
  } catch (err) {
    if (!(err instanceof OverrideError)) throw err;
    if (err.path === '') throw new SetValueError('--set needs a job file that holds a mapping');
    const arg = sets.find((s) => s.startsWith(`${err.path}=`)) ?? err.path;
    throw new SetValueError(`--set ${arg}: ${err.message.replace(/in the spec$/, 'in the job file')}`);
  }
}
