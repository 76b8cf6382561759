// Ties a GPU worker's activity slots to its free GPUs (TunerHolder + CustomSlotSupplier).
//
// Design. Temporal reserves a slot *before* it polls for an activity task, and the reservation
// context carries no task input — so when a slot is handed out nobody knows how many GPUs the next
// task will ask for. We therefore treat one slot as one GPU (the rule is in allocator.ts):
//
//   - Each queue (train, export) may keep one poll open while some GPU is not committed to a
//     running step; once every GPU is committed the worker stops polling, and further tasks stay in
//     Temporal's queue — in priority order — where any other worker of the pool can take them.
//   - A task that arrives on a slot commits one GPU (markSlotUsed). A 1-GPU step (the common case,
//     and `train`'s default) finds its GPU free when it starts.
//   - A step asking for k > 1 GPUs holds one slot; the allocation interceptor (interceptor.ts) then
//     waits inside the activity for the other k − 1 GPUs, first in line, heartbeating
//     `{ phase: 'waiting_for_gpu' }`; while it waits no new slot is handed out, and once it holds
//     them they count as committed.
//   - Known limits, both bounded and visible as waiting_for_gpu: when the train and the export poll
//     both receive a task for the last free GPU, one of them waits in the activity; likewise a task
//     that arrives while a multi-GPU step is taking GPUs. At most one per open poll; we keep one
//     poll per queue.
//   - A step with no GPU on a GPU queue (an export without `resources.gpus`) still uses a slot.
//
// One supplier (one allocator) is shared by the train and export Workers of a process, because they
// share the GPUs.
import type {
  CustomSlotSupplier,
  SlotPermit,
  SlotReserveContext,
  TunerHolder,
  ActivitySlotInfo,
  SlotMarkUsedContext,
  SlotReleaseContext,
} from '@temporalio/worker';
import type { GpuAllocator, GpuSlot } from './allocator';
import { abortError } from './allocator';

interface GpuPermit extends SlotPermit {
  slot: GpuSlot;
}

export class GpuSlotSupplier implements CustomSlotSupplier<ActivitySlotInfo> {
  readonly type = 'custom' as const;
  private used = 0;

  constructor(private readonly allocator: GpuAllocator) {}

  async reserveSlot(ctx: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit> {
    try {
      const slot = await this.allocator.reserveSlot(ctx.taskQueue, abortSignal);
      return { slot } satisfies GpuPermit;
    } catch (err) {
      // The SDK expects the abort signal's own reason when it gives up on a reservation.
      if (abortSignal.aborted) throw abortSignal.reason;
      throw (err as Error).name === 'AbortError' ? err : abortError(err);
    }
  }

  tryReserveSlot(ctx: SlotReserveContext): SlotPermit | null {
    const slot = this.allocator.tryReserveSlot(ctx.taskQueue);
    return slot ? ({ slot } satisfies GpuPermit) : null;
  }

  markSlotUsed(ctx: SlotMarkUsedContext<ActivitySlotInfo>): void {
    this.used++;
    const permit = ctx.permit as Partial<GpuPermit> | null | undefined;
    if (permit?.slot) this.allocator.markSlotUsed(permit.slot);
  }

  releaseSlot(ctx: SlotReleaseContext<ActivitySlotInfo>): void {
    if (ctx.slotInfo) this.used = Math.max(0, this.used - 1);
    const permit = ctx.permit as Partial<GpuPermit> | null | undefined;
    if (permit?.slot) this.allocator.releaseSlot(permit.slot);
  }

  /** Slots currently running a task (for logs and readiness). */
  get slotsInUse(): number {
    return this.used;
  }
}

/** A TunerHolder for a GPU Worker: GPU-tied activity slots; fixed sizes for the rest (all four are required). */
export function gpuTuner(supplier: GpuSlotSupplier): TunerHolder {
  return {
    activityTaskSlotSupplier: supplier,
    // Activity-only Workers: no workflow, local-activity or Nexus tasks, but the holder needs all four.
    workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
    localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
    nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 1 },
  };
}
