// DAG shapes for the benchmarks, as job specs of no-op `command` nodes, and the snapshot the job
// workflow runs from (built the way the SDK builds it: spec as submitted, hash, queue prefix).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { JobSpecInput, NodeSpecInput } from '../../src/domain/job-spec';
import type { JobSnapshot } from '../../src/domain/snapshot';

export interface Shape {
  name: string;
  /** Node ids in topological order with their dependencies. */
  nodes: { id: string; deps: string[] }[];
}

export function chain(n: number): Shape {
  return {
    name: `chain-${n}`,
    nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, deps: i ? [`n${i - 1}`] : [] })),
  };
}

/** One root and n-1 leaves that all depend on it. */
export function fanOut(n: number): Shape {
  return { name: `fanout-${n}`, nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, deps: i ? ['n0'] : [] })) };
}

/** One root, `width` nodes that depend on it, and one join that depends on them all. */
export function fanOutIn(width: number): Shape {
  const mid = Array.from({ length: width }, (_, i) => `m${i}`);
  return {
    name: `fanout-in-${width}`,
    nodes: [{ id: 'root', deps: [] }, ...mid.map((id) => ({ id, deps: ['root'] })), { id: 'join', deps: mid }],
  };
}

/** rows × cols grid: (r,c) depends on (r-1,c) and (r,c-1). */
export function lattice(rows: number, cols: number): Shape {
  const nodes: Shape['nodes'] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const deps: string[] = [];
      if (r) deps.push(`n${r - 1}-${c}`);
      if (c) deps.push(`n${r}-${c - 1}`);
      nodes.push({ id: `n${r}-${c}`, deps });
    }
  return { name: `lattice-${rows}x${cols}`, nodes };
}

/** Layers of `width` nodes; each node depends on two nodes of the layer before (n nodes in all). */
export function layered(n: number, width: number): Shape {
  const nodes: Shape['nodes'] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const j = i % width;
    const deps = layer
      ? [...new Set([`n${(layer - 1) * width + j}`, `n${(layer - 1) * width + ((j + 1) % width)}`])]
      : [];
    nodes.push({ id: `n${i}`, deps });
  }
  return { name: `layered-${n}`, nodes };
}

export function specOf(
  shape: Shape,
  parallelism: number,
  extra: Partial<JobSpecInput> = {},
  o: { retryOnce?: boolean; command?: string[] } = { retryOnce: true },
): JobSpecInput {
  const nodes: NodeSpecInput[] = shape.nodes.map((n) => ({
    id: n.id,
    type: 'command',
    ...(n.deps.length && { dependsOn: n.deps }),
    config: { command: o.command ?? ['node', '--version'] },
    ...(o.retryOnce && { retry: { maxAttempts: 1 } }),
  }));
  return { name: `bench ${shape.name}`, parallelism, recoveryWindow: 0, nodes, ...extra };
}

export function snapshotOf(jobId: string, spec: JobSpecInput, queuePrefix: string, owner = 'bench'): JobSnapshot {
  const specHash = createHash('sha256').update(JSON.stringify(spec)).digest('hex');
  return {
    jobId,
    owner,
    spec,
    specHash,
    submittedAt: new Date().toISOString(),
    queuePrefix,
    pools: {},
    defaults: { stepTimeoutMs: 30 * 60_000, heartbeatTimeoutMs: 60_000 },
  };
}

/** The demo pipeline (examples/pipeline.yaml, what `npm run demo` runs) as a submission body. */
export function demoPipeline(): Record<string, unknown> {
  return YAML.parse(
    fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'pipeline.yaml'), 'utf8'),
  ) as Record<string, unknown>;
}
