// The job plan a workflow started by reference loads (src/snapshots/snapshot-loader.ts builds it,
// workflows/job-workflow.ts reads it). Sandbox-safe.
//
// Why this shape: whatever a workflow holds came through its history, so a run of a 50,000-node
// job must read its graph from history each run; the question is only how many bytes. The spec as
// submitted is ~100 bytes a node (5 MB at 50k), ~260 parsed (13 MB) — over the 2 MiB payload
// limit as one payload, and past the 4 MiB history size at which the server suggests
// continue-as-new, so every run would be told to end before it starts. The compact plan is the
// parsed spec with each node's body (everything but `id` and `dependsOn`) stored once per distinct
// body and the dependencies as node indexes: ~20 bytes a node when the nodes share a shape (a
// layered no-op DAG: ~1 MB at 50k), in chunks of at most PLAN_CHUNK_CHARS, each one activity result
// far under the payload limit. The workflow parses only the distinct bodies (not 50,000 nodes), so
// the per-run cost of a continued run is a JSON.parse and an object spread per node.
import { z } from 'zod';
import { JobSpec, NODE_ID_RE, NodeSpec } from './job-spec';
import { ErrorDetail } from './issues';
import { cachedSchema } from './schema-cache';

/** Characters per chunk: at most ~1.5 MiB as a JSON payload even if every character were escaped as \uXXXX. */
export const PLAN_CHUNK_CHARS = 256 * 1024;

/** A node without its id and dependencies: what many nodes of a large job share. */
export const NodeBody = cachedSchema('src/domain/job-plan-chunks#NodeBody', () =>
  NodeSpec.omit({ id: true, dependsOn: true }),
);
export type NodeBody = z.infer<typeof NodeBody>;

/** The compact plan (as JSON, split into chunks). */
export const CompactPlan = cachedSchema('src/domain/job-plan-chunks#CompactPlan', () =>
  z.object({
    v: z.literal(1),
    /** The spec without its nodes. */
    job: JobSpec.omit({ nodes: true }),
    /** Distinct node bodies. */
    bodies: z.array(NodeBody),
    /** Per node, in spec order: [id, body index, ...dependency node indexes]. */
    nodes: z.array(z.array(z.union([z.string(), z.number()]))),
    /** The snapshot's GPU pool per node (snapshot.pools). */
    pools: z.record(z.string(), z.string()),
  }),
);
export type CompactPlan = z.infer<typeof CompactPlan>;

/** One chunk of a loaded plan: the n-th slice of its JSON, how many there are, and (first run, chunk 0) the validation result. */
export const PlanChunk = cachedSchema('src/domain/job-plan-chunks#PlanChunk', () =>
  z.object({
    sha256: z.string(),
    index: z.number().int().min(0),
    count: z.number().int().min(1),
    /** Characters of the whole plan JSON. */
    chars: z.number().int().min(0),
    text: z.string(),
    /** Set when the snapshot's spec is invalid (then there is no plan: count 1, text ''). */
    errors: z.array(ErrorDetail).optional(),
  }),
);
export type PlanChunk = z.infer<typeof PlanChunk>;

/** What the workflow asks of the loader: chunk `index` of the plan of the snapshot `ref`. */
export interface PlanChunkRequest {
  ref: { sha256: string; size: number; key: string };
  index: number;
  /** The first run asks for full validation (the graph checks); continued runs were validated. */
  validate: boolean;
}

export interface SnapshotActivities {
  loadPlanChunk(req: PlanChunkRequest): Promise<PlanChunk>;
}

/** The compact plan of a parsed spec (the spec's node order is kept; dependencies on unknown ids are dropped). */
export function compactPlan(spec: JobSpec, pools: Record<string, string>): CompactPlan {
  const { nodes, ...job } = spec;
  const indexOf = new Map(nodes.map((n, i) => [n.id, i]));
  const bodyIndex = new Map<string, number>();
  const bodies: NodeBody[] = [];
  const rows: (string | number)[][] = [];
  for (const n of nodes) {
    const { id, dependsOn, ...body } = n;
    const key = JSON.stringify(body);
    let b = bodyIndex.get(key);
    if (b === undefined) {
      b = bodies.length;
      bodyIndex.set(key, b);
      bodies.push(body);
    }
    const row: (string | number)[] = [id, b];
    for (const d of dependsOn) {
      const p = indexOf.get(d);
      if (p !== undefined) row.push(p);
    }
    rows.push(row);
  }
  return { v: 1, job, bodies, nodes: rows, pools };
}

/** Splits a plan's JSON into chunks. */
export function chunkText(text: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < text.length; k += PLAN_CHUNK_CHARS) out.push(text.slice(k, k + PLAN_CHUNK_CHARS));
  return out.length ? out : [''];
}

/**
 * The spec and pools of a plan's JSON. The distinct bodies and the job fields are parsed with their
 * schemas; each node row is checked by hand (zod over 50,000 rows would cost more than the rest of
 * the run's start). Nodes that share a body share its nested objects (config, retry, resources):
 * nothing mutates a node's spec.
 */
export function expandPlan(text: string): { spec: JobSpec; pools: Record<string, string> } {
  const raw: unknown = JSON.parse(text);
  const head = CompactPlan.omit({ nodes: true }).parse(raw);
  const rows = (raw as { nodes?: unknown }).nodes;
  if (!Array.isArray(rows)) throw new Error('plan: nodes is not an array');
  const ids: string[] = new Array<string>(rows.length);
  rows.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || typeof row[0] !== 'string' || !NODE_ID_RE.test(row[0]))
      throw new Error(`plan: node ${i} has no valid id`);
    ids[i] = row[0];
  });
  const nodes: NodeSpec[] = (rows as unknown[][]).map((row, i) => {
    const body = head.bodies[row[1] as number];
    if (body === undefined) throw new Error(`plan: node ${ids[i]} names body ${String(row[1])}, which is not there`);
    const dependsOn: string[] = [];
    for (let k = 2; k < row.length; k++) {
      const p = row[k];
      if (typeof p !== 'number' || ids[p] === undefined)
        throw new Error(`plan: node ${ids[i]} depends on node ${String(p)}, which is not there`);
      dependsOn.push(ids[p]);
    }
    return { ...body, id: ids[i]!, dependsOn };
  });
  return { spec: { ...head.job, nodes }, pools: head.pools };
}
