// A job of n one-GPU steps under one CPU root (a multi-node DAG has no orphans), every step `true`:
// the flood of the fair-share test and benchmark.
import type { JobSpecInput } from '../../src/domain/job-spec';

export function gpuFlood(name: string, n: number): JobSpecInput {
  return {
    name,
    parallelism: n,
    nodes: [
      { id: 'root', type: 'command', config: { command: ['true'] } },
      ...Array.from({ length: n }, (_, i) => ({
        id: `s${i}`,
        type: 'command' as const,
        dependsOn: ['root'],
        config: { command: ['true'] },
        resources: { gpus: 1 },
      })),
    ],
  };
}
