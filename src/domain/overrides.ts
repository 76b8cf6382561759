// Overrides of fields of a job spec, `path → value`: what `trainyard submit --set train.config.lr=0.1`
// applies to a job file before sending it (src/cli/set-values.ts parses the values) and what
// POST /v1/jobs/:id/rerun applies to the old job's spec. The first segment of a path names a node
// when the spec has a node with that id (`train.config.lr`); otherwise the path starts at the
// spec's root (`priority`, `params.lr` in the single-job form). Pure and sandbox-safe.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

/** One segment of an override path: a field name. */
const FIELD_RE = /^[A-Za-z0-9_-]+$/;
export const OVERRIDE_PATH_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** `{ "train.config.lr": 0.1, "priority": 2 }`: each path's new value (any JSON; the spec's own schema checks it). */
export const Overrides = cachedSchema('src/domain/overrides#Overrides', () =>
  z
    .record(
      z.string().max(256).regex(OVERRIDE_PATH_RE, 'must be a dotted path of field names, e.g. train.config.lr'),
      z.unknown(),
    )
    .refine((o) => Object.keys(o).length <= 100, 'at most 100 overrides'),
);
export type Overrides = z.infer<typeof Overrides>;

/** An override that cannot be applied; `path` is the override's own path. */
export class OverrideError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'OverrideError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Where an override lands: `nodes[<index>].<rest>` when its first segment names a node, else the
 * path itself (the spec's own field names), in the form validation errors name fields, so a caller can tell which override an error comes from.
 */
export function overrideTarget(spec: unknown, path: string): string {
  const keys = path.split('.');
  const nodes = isRecord(spec) && Array.isArray(spec.nodes) ? spec.nodes : undefined;
  const index = nodes?.findIndex((n) => isRecord(n) && n.id === keys[0]) ?? -1;
  return index >= 0 && keys.length > 1 ? [`nodes[${index}]`, ...keys.slice(1)].join('.') : path;
}

/** Applies overrides to a copy of the spec, in order. */
export function applyOverrides(spec: unknown, overrides: Readonly<Record<string, unknown>>): unknown {
  const entries = Object.entries(overrides);
  if (entries.length === 0) return spec;
  if (!isRecord(spec)) throw new OverrideError('', 'overrides need a spec that is a mapping');
  const out = structuredClone(spec);
  for (const [path, value] of entries) {
    const keys = path.split('.');
    const bad = keys.find((k) => !FIELD_RE.test(k));
    if (bad !== undefined) throw new OverrideError(path, `"${bad}" is not a field name`);
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
      if (!isRecord(next)) throw new OverrideError(path, `"${k}" is not a mapping in the spec`);
      target = next;
    }
    target[keys[keys.length - 1]!] = structuredClone(value);
  }
  return out;
}
