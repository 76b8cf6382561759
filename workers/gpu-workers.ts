// The GPU worker kind: the GPU-train and GPU-export activity queues of one pool, as two Temporal
// Workers on one shared connection. Both share one GpuAllocator (the process's GPUs) and one slot
// supplier, so together they never take more tasks than there are free GPUs (src/gpu/slot-supplier.ts).
import os from 'node:os';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Config } from '../src/config';
import { queueNames } from '../src/domain/task-queues';
import { GpuAllocator } from '../src/gpu/allocator';
import { describeInventory, startRediscovery, type GpuInventory } from '../src/gpu/discovery';
import { gpuAllocationInterceptor } from '../src/gpu/interceptor';
import { gpuWorkerIdentity } from '../src/gpu/readiness';
import { GpuSlotSupplier, gpuTuner } from '../src/gpu/slot-supplier';
import { versioningOptions } from './versioning';

export interface GpuWorkerOptions {
  connection: NativeConnection;
  config: Config;
  /** The step activity table (activities/index.ts createActivities). */
  activities: object;
  /** From discoverGpus(config). */
  inventory: GpuInventory;
  /** Pool served (default config.gpuPool). */
  pool?: string;
  namespace?: string;
  /** Worker identity prefix (default "<pid>@<host>"); the GPU inventory is appended. */
  identity?: string;
  /** Re-run nvidia-smi this often (real GPUs only; default 60 s; 0 = never). */
  rediscoverMs?: number;
  log?: (line: string) => void;
}

/** The two Workers, plus the allocator they share (tests and readiness inspect it). */
export type GpuWorkers = Worker[] & {
  allocator: GpuAllocator;
  supplier: GpuSlotSupplier;
  inventory: GpuInventory;
  pool: string;
  queues: { train: string; export: string };
};

export async function createGpuWorkers(o: GpuWorkerOptions): Promise<GpuWorkers> {
  const pool = o.pool ?? o.config.gpuPool;
  const log = o.log ?? ((line: string) => console.log(line));
  const declared = o.config.gpuPools.find((p) => p.name === pool);
  if (!declared)
    throw new Error(
      `GPU pool "${pool}" is not declared (TRAINYARD_GPU_POOLS has ${o.config.gpuPools.map((p) => p.name).join(', ') || 'none'})`,
    );
  if (o.inventory.gpus.length === 0)
    throw new Error('the GPU worker needs at least one GPU (or TRAINYARD_GPUS=COUNTxMEMORY_GB)');
  const fitting = o.inventory.gpus.filter((g) => g.memoryGb >= declared.memoryGb).length;
  if (fitting < declared.gpusPerWorker) {
    // Submit-time validation trusts the pool's declared shape; steps this worker cannot fit fail non-retryably.
    log(
      `WARNING: pool "${pool}" declares ${declared.gpusPerWorker} GPU(s) of ${declared.memoryGb} GB per worker, but this worker has ${fitting} such GPU(s)`,
    );
  }

  const q = queueNames(o.config.queuePrefix);
  const queues = { train: q.gpuTrain(pool), export: q.gpuExport(pool) };
  const namespace = o.namespace ?? o.config.temporal.namespace;
  const allocator = new GpuAllocator(o.inventory);
  const supplier = new GpuSlotSupplier(allocator);
  const identity = gpuWorkerIdentity(o.identity ?? `${process.pid}@${os.hostname()}`, pool, o.inventory);
  const interceptor = gpuAllocationInterceptor(allocator);
  const common = {
    connection: o.connection,
    namespace,
    identity,
    activities: o.activities,
    tuner: gpuTuner(supplier),
    interceptors: { activity: [interceptor] },
    // One poll per queue: fewer idle slots holding a GPU claim (see slot-supplier.ts).
    maxConcurrentActivityTaskPolls: 1,
    shutdownGraceTime: o.config.shutdownGraceMs,
    // Live progress (epoch, loss) reaches Temporal and the API's stream at least every second.
    maxHeartbeatThrottleInterval: 1000,
    ...versioningOptions(o.config),
  };
  const train = await Worker.create({ ...common, taskQueue: queues.train });
  const exp = await Worker.create({ ...common, taskQueue: queues.export });
  const workers = [train, exp];

  const rediscoverMs = o.rediscoverMs ?? 60_000;
  const stopRediscovery =
    rediscoverMs > 0
      ? startRediscovery(o.inventory, {
          intervalMs: rediscoverMs,
          onChange: (inv, change) => {
            allocator.updateInventory(inv.gpus);
            const fmt = (gs: typeof inv.gpus) => gs.map((g) => `${g.index}:${g.uuid}`).join(', ');
            log(
              `GPU inventory changed: now ${describeInventory(inv)}${change.added.length ? `; added ${fmt(change.added)}` : ''}${change.removed.length ? `; removed ${fmt(change.removed)} (held GPUs stay with their steps until released)` : ''}`,
            );
          },
          onError: (err) => log(`GPU re-discovery failed (keeping the last inventory): ${err.message}`),
        })
      : () => undefined;
  // Stop background work once both Workers have stopped.
  let stopped = 0;
  for (const w of workers) {
    void waitStopped(w).then(() => {
      if (++stopped === workers.length) {
        stopRediscovery();
      }
    });
  }
  return Object.assign(workers, { allocator, supplier, inventory: o.inventory, pool, queues });
}

async function waitStopped(w: Worker): Promise<void> {
  while (w.getState() !== 'STOPPED' && w.getState() !== 'FAILED') await new Promise((r) => setTimeout(r, 500).unref());
}
