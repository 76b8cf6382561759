// Ties a GPU worker's activity slots to its free GPUs (TunerHolder + CustomSlotSupplier).
//
// Design. Temporal reserves a slot *before* it polls for an activity task, and the reservation
// context carries no task input — so when a slot is handed out nobody knows how many GPUs the next
// task will ask for. We therefore treat one slot as one GPU:
//
//   - A slot is granted only while   slots + Σ leases (GPUs held − 1)  <  GPUs   (allocator.ts).
//     With every GPU busy (or claimed by a slot) the worker stops polling, and further tasks stay in
//     Temporal's queue — in priority order — where any other worker of the pool can take them.
//   - A 1-GPU step (the common case, and `train`'s default) finds its GPU free when it starts.
//   - A step asking for k > 1 GPUs holds one slot; the allocation interceptor (interceptor.ts) then
//     waits inside the activity for the other k − 1 GPUs, first in line, heartbeating
//     `{ phase: 'waiting_for_gpu' }`, and while it waits no new slot is handed out.
//   - Known limit: a slot reserved for an idle poll just before a multi-GPU step took "its" GPU may
//     still receive a task; that task then waits (heartbeating waiting_for_gpu) instead of being
//     left in the queue. At most one such task per idle poll; we keep polls to one per queue.
//   - A step with no GPU on a GPU queue (an export without `resources.gpus`) still uses a slot.
//
// One supplier (one allocator) is shared by the train and export Workers of a process, because they
// share the GPUs.
import type { CustomSlotSupplier, SlotPermit, SlotReserveContext, TunerHolder, ActivitySlotInfo, SlotMarkUsedContext, SlotReleaseContext } from '@temporalio/worker';
import type { GpuAllocator, GpuSlot } from './allocator';
import { abortError } from './allocator';

interface GpuPermit extends SlotPermit {
  slot: GpuSlot;
}

export class GpuSlotSupplier implements CustomSlotSupplier<ActivitySlotInfo> {
  readonly type = 'custom' as const;
  private used = 0;

  constructor(private readonly allocator: GpuAllocator) {}

  async reserveSlot(_ctx: SlotReserveContext, abortSignal: AbortSignal): Promise<SlotPermit> {
    try {
      const slot = await this.allocator.reserveSlot(abortSignal);
      return { slot } satisfies GpuPermit;
    } catch (err) {
      // The SDK accepts only AbortError from reserveSlot.
      throw (err as Error).name === 'AbortError' ? err : abortError(err);
    }
  }

  tryReserveSlot(_ctx: SlotReserveContext): SlotPermit | null {
    const slot = this.allocator.tryReserveSlot();
    return slot ? ({ slot } satisfies GpuPermit) : null;
  }

  markSlotUsed(_ctx: SlotMarkUsedContext<ActivitySlotInfo>): void {
    this.used++;
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
