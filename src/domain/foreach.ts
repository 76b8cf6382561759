// Dynamic fan-out (`foreach`): the list an upstream node produced, and the item nodes it becomes.
// The job workflow expands a foreach node when its list's node completes — deterministically, from
// that node's recorded output — into in-run item nodes `<map>-i<index>` (see workflows/job-state.ts
// for why in-run nodes and not child workflows). Pure and sandbox-safe.
import type { NodeSpec } from './job-spec';
import type { StepOutput } from './step-io';
import { MAX_FOREACH_ITEMS, MAX_FOREACH_LIST_BYTES, itemNodeId } from './sweep-spec';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The list at `field` (a dotted path into the output's summary; a leading `summary.` is allowed),
 * or why there is none.
 */
export function listAt(output: StepOutput | undefined, field: string): { items: unknown[] } | { error: string } {
  if (!output) return { error: 'its output is not available' };
  const keys = field.split('.');
  if (keys[0] === 'summary' && keys.length > 1 && !('summary' in output.summary)) keys.shift();
  let v: unknown = output.summary;
  const walked: string[] = [];
  for (const k of keys) {
    if (!isRecord(v) || !(k in v)) {
      const has = isRecord(v) ? Object.keys(v).slice(0, 20).join(', ') || 'nothing' : typeof v;
      return {
        error: `its output has no "${[...walked, k].join('.')}" (${walked.length ? walked.join('.') : 'the summary'} has: ${has})`,
      };
    }
    v = v[k];
    walked.push(k);
  }
  if (!Array.isArray(v)) return { error: `"${field}" in its output is ${v === null ? 'null' : typeof v}, not a list` };
  if (v.length > MAX_FOREACH_ITEMS)
    return { error: `"${field}" has ${v.length} items; a foreach takes at most ${MAX_FOREACH_ITEMS}` };
  const bytes = JSON.stringify(v).length;
  if (bytes > MAX_FOREACH_LIST_BYTES)
    return {
      error: `"${field}" is ${bytes} bytes as JSON; a foreach list may be at most ${MAX_FOREACH_LIST_BYTES} (pass references — paths, shard names — not data)`,
    };
  return { items: v };
}

/**
 * The spec of item `index` of a map: the map node's own spec, under the item's id, with no
 * dependencies of its own (the map node's completed before it expanded) and the item in it: a
 * command (or template) node gets it as `params.item`; another node type gets a mapping item's
 * fields merged into its config. Returns a message when the item cannot go into that node type.
 */
export function itemSpec(map: NodeSpec, index: number, item: unknown, count: number): NodeSpec | string {
  const { foreach: _foreach, ...base } = map;
  const id = itemNodeId(map.id, index, count);
  if (map.type === 'command') return { ...base, id, dependsOn: [], params: { ...(map.params ?? {}), item } };
  if (!isRecord(item))
    return `item ${index} is ${Array.isArray(item) ? 'a list' : typeof item}; the items of a ${map.type} node must be mappings (their fields are merged into its config)`;
  return { ...base, id, dependsOn: [], config: { ...map.config, ...item } };
}
