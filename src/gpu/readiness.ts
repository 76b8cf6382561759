// What /readyz reports about GPU pools: for every configured pool, the workers polling its train and
// export task queues (from Temporal) and the GPUs each of them announced in its worker identity.
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { queueNames } from '../domain/task-queues';
import type { AnnouncedGpus } from '../http/contracts';
import type { GpuInventory } from './discovery';

export type { AnnouncedGpus };

/** A GPU worker's identity announces its GPUs: "<pid>@<host> gpu[pool=default gpus=2x16GB simulated]". */
export function gpuWorkerIdentity(base: string, pool: string, inventory: GpuInventory): string {
  const mem = inventory.gpus.map((g) => g.memoryGb);
  const same = mem.every((m) => m === mem[0]);
  const shape = same && mem.length ? `${mem.length}x${mem[0]}GB` : `${mem.length}x[${mem.join('/')}]GB`;
  return `${base} gpu[pool=${pool} gpus=${shape}${inventory.simulated ? ' simulated' : ''}]`;
}

export function parseGpuWorkerIdentity(identity: string): AnnouncedGpus | null {
  const m = /gpu\[pool=([a-z0-9-]+) gpus=(\d+)x(?:(\d+(?:\.\d+)?)|\[([\d./]*)\])GB( simulated)?\]/.exec(identity);
  if (!m) return null;
  const count = Number(m[2]);
  const memoryGb =
    m[3] !== undefined
      ? Array.from({ length: count }, () => Number(m[3]))
      : (m[4] ?? '').split('/').filter(Boolean).map(Number);
  return { pool: m[1]!, count, memoryGb, simulated: Boolean(m[5]) };
}

export interface QueuePollers {
  taskQueue: string;
  pollers: { identity: string; lastAccessTime: string | null; gpus: AnnouncedGpus | null }[];
}

export interface PoolReadiness {
  pool: string;
  /** Declared shape: GPUs per worker and memory per GPU. */
  gpusPerWorker: number;
  memoryGb: number;
  train: QueuePollers;
  export: QueuePollers;
  /** Distinct workers polling either queue. */
  workers: { identity: string; gpus: AnnouncedGpus | null }[];
  /** GPUs announced by those workers. */
  gpus: number;
  /** True when at least one worker polls both queues of the pool. */
  ready: boolean;
  error?: string;
}

/**
 * Describes each pool's GPU-train and GPU-export activity task queues. Temporal lists a poller for
 * a few minutes after its last poll, so a just-killed worker may still show up briefly.
 */
export async function describeGpuPools(
  client: Client,
  config: Pick<Config, 'queuePrefix' | 'gpuPools' | 'temporal'>,
  opts: { namespace?: string } = {},
): Promise<PoolReadiness[]> {
  const q = queueNames(config.queuePrefix);
  const namespace = opts.namespace ?? client.options.namespace ?? config.temporal.namespace;
  return Promise.all(
    config.gpuPools.map(async (p): Promise<PoolReadiness> => {
      const base = { pool: p.name, gpusPerWorker: p.gpusPerWorker, memoryGb: p.memoryGb };
      try {
        const [train, exp] = await Promise.all([
          describeQueue(client, namespace, q.gpuTrain(p.name)),
          describeQueue(client, namespace, q.gpuExport(p.name)),
        ]);
        const byIdentity = new Map<string, AnnouncedGpus | null>();
        for (const poller of [...train.pollers, ...exp.pollers]) byIdentity.set(poller.identity, poller.gpus);
        const workers = [...byIdentity].map(([identity, gpus]) => ({ identity, gpus }));
        const both = train.pollers.some((t) => exp.pollers.some((e) => e.identity === t.identity));
        return {
          ...base,
          train,
          export: exp,
          workers,
          gpus: workers.reduce((n, w) => n + (w.gpus?.count ?? 0), 0),
          ready: both,
        };
      } catch (err) {
        const empty = (taskQueue: string): QueuePollers => ({ taskQueue, pollers: [] });
        return {
          ...base,
          train: empty(q.gpuTrain(p.name)),
          export: empty(q.gpuExport(p.name)),
          workers: [],
          gpus: 0,
          ready: false,
          error: (err as Error).message,
        };
      }
    }),
  );
}

// temporal.api.enums.v1 values (@temporalio/proto is not a direct dependency of this package).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

async function describeQueue(client: Client, namespace: string, taskQueue: string): Promise<QueuePollers> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_ACTIVITY,
  });
  return {
    taskQueue,
    pollers: (res.pollers ?? []).map((p) => ({
      identity: p.identity ?? '',
      lastAccessTime:
        p.lastAccessTime?.seconds != null
          ? new Date(
              Number(p.lastAccessTime.seconds) * 1000 + Math.floor((p.lastAccessTime.nanos ?? 0) / 1e6),
            ).toISOString()
          : null,
      gpus: parseGpuWorkerIdentity(p.identity ?? ''),
    })),
  };
}
