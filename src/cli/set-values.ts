// `trainyard submit job.yaml --set train.params.lr=0.1`: overrides in a job file before it is sent.
// The first segment names a node when the spec has a node with that id (`train.params.lr`);
// otherwise the path starts at the spec's root (`priority=2`, `params.lr=0.1` in the single-job
// form). Values are YAML scalars or flow collections: 0.1 is a number, true a boolean, [1, 2] a list.
import YAML from 'yaml';

export class SetValueError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const KEY_RE = /^[A-Za-z0-9_-]+$/;

/** Applies `path=value` overrides to a copy of the spec. */
export function applySets(spec: unknown, sets: readonly string[]): unknown {
  if (sets.length === 0) return spec;
  if (!isRecord(spec)) throw new SetValueError('--set needs a job file that holds a mapping');
  const out = structuredClone(spec);
  for (const arg of sets) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new SetValueError(`--set ${arg}: expected PATH=VALUE, e.g. train.params.lr=0.1`);
    const keys = arg.slice(0, eq).split('.');
    const bad = keys.find((k) => !KEY_RE.test(k));
    if (bad !== undefined) throw new SetValueError(`--set ${arg}: "${bad}" is not a field name`);
    let value: unknown;
    try {
      value = YAML.parse(arg.slice(eq + 1));
    } catch (err) {
      throw new SetValueError(`--set ${arg}: cannot parse the value: ${(err as Error).message.split('\n')[0]}`);
    }
    let target: Record<string, unknown> = out;
    const nodes = Array.isArray(out.nodes) ? out.nodes : undefined;
    const node = nodes?.find((n) => isRecord(n) && n.id === keys[0]);
    if (node !== undefined && keys.length > 1) {
      target = node as Record<string, unknown>;
      keys.shift();
    }
    for (const k of keys.slice(0, -1)) {
      if (target[k] === undefined) target[k] = {};
      const next = target[k];
      if (!isRecord(next)) throw new SetValueError(`--set ${arg}: "${k}" is not a mapping in the job file`);
      target = next;
    }
    target[keys[keys.length - 1]!] = value;
  }
  return out;
}
