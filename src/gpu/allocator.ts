// Exclusive GPU allocation for one GPU worker process. Pure (no Temporal, no I/O), so every race
// is unit-testable. Two kinds of claims share the GPUs:
//
// - Leases: a running step holds k distinct GPUs with ≥ m GB each until it releases them.
//   Waiters are served strictly first-in first-out, so a step asking for many GPUs is not starved
//   by a stream of 1-GPU steps.
// - Slots: the Temporal slot supplier (slot-supplier.ts) asks for one slot per task queue before
//   each activity poll. A slot that received a task ("used") stands for that task's first GPU; a
//   lease of k GPUs also commits its k − 1 others. A slot for queue Q is granted only while a GPU
//   is free and
//       used slots + Σ leases (GPUs held − 1)  <  GPUs
//   and, beyond one idle slot per queue, also counting the idle slots. So each queue (train,
//   export) may keep one poll open while any GPU is uncommitted, and with every GPU committed
//   nobody polls: tasks stay in Temporal's queue for other workers. GPU waiters go first: no slot
//   is granted while a step waits for GPUs.
import type { GpuAssignment } from '../domain/step-io';
import type { GpuDevice, GpuInventory, InventoryChange } from './discovery';

export interface GpuRequest {
  /** Number of distinct GPUs (0 = none: resolves at once with an empty lease). */
  gpus: number;
  /** Minimum memory per GPU in GB (0 = any). */
  memoryGb: number;
}

/** GPUs held by one step. Hand it back with release(); releasing twice is harmless. */
export interface GpuLease {
  readonly id: number;
  readonly indices: readonly number[];
  readonly uuids: readonly string[];
  readonly simulated: boolean;
}

/** A reserved slot (see the header). Hand it back with releaseSlot(); idempotent. */
export interface GpuSlot {
  readonly slotId: number;
  readonly queue: string;
}

export interface WaitingInfo {
  /** GPUs requested / free right now / with enough memory in total. */
  requested: number;
  free: number;
  eligible: number;
  /** Waiters ahead of this one. */
  ahead: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /** Called once, synchronously, when the request cannot be granted at once. */
  onWaiting?(info: WaitingInfo): void;
}

/** Thrown when a request can never be satisfied by this worker's GPUs. */
export class GpuRequestUnsatisfiableError extends Error {
  override name = 'GpuRequestUnsatisfiableError';
}

export interface AllocatorSnapshot {
  simulated: boolean;
  total: number;
  free: number;
  devices: { index: number; uuid: string; name: string; memoryGb: number; heldBy: number | null; retiring: boolean }[];
  leases: { id: number; indices: number[] }[];
  /** Steps waiting for GPUs. */
  waiting: number;
  slots: { reserved: number; used: number; capacity: number; waiting: number };
}

interface Device {
  gpu: GpuDevice;
  heldBy: number | null;
  /** No longer listed by discovery; removed when its holder releases it. */
  retiring: boolean;
}

interface LeaseWaiter {
  req: GpuRequest;
  resolve(lease: GpuLease): void;
  reject(err: Error): void;
  detach(): void;
}

interface SlotWaiter {
  queue: string;
  resolve(slot: GpuSlot): void;
  detach(): void;
}

export function abortError(reason?: unknown): Error {
  const err = new Error(reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted');
  err.name = 'AbortError';
  return err;
}

export class GpuAllocator {
  private readonly devices = new Map<number, Device>();
  private readonly leases = new Map<number, number[]>();
  /** slotId → queue and whether a task arrived on it. */
  private readonly slots = new Map<number, { queue: string; used: boolean }>();
  private readonly waiters: LeaseWaiter[] = [];
  private readonly slotWaiters: SlotWaiter[] = [];
  private nextId = 1;
  readonly simulated: boolean;

  constructor(inventory: GpuInventory) {
    this.simulated = inventory.simulated;
    for (const gpu of inventory.gpus) this.devices.set(gpu.index, { gpu, heldBy: null, retiring: false });
  }

  /** True when this worker's GPUs (all of them, free or not) could ever satisfy the request. */
  canSatisfy(req: GpuRequest): boolean {
    return this.eligible(req) >= req.gpus;
  }

  /**
   * Resolves with k distinct GPUs of ≥ m GB each, held exclusively until release(). Waits FIFO
   * behind earlier requests. Rejects with an AbortError when the signal aborts while waiting, and
   * with GpuRequestUnsatisfiableError when no combination of this worker's GPUs can ever fit.
   */
  acquire(req: GpuRequest, opts: AcquireOptions = {}): Promise<GpuLease> {
    if (!Number.isInteger(req.gpus) || req.gpus < 0)
      return Promise.reject(new RangeError(`gpus must be a whole number ≥ 0 (got ${req.gpus})`));
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal.reason));
    if (!this.canSatisfy(req)) return Promise.reject(this.unsatisfiable(req));
    if (this.waiters.length === 0) {
      const picked = this.pick(req);
      if (picked) return Promise.resolve(this.grant(picked));
    }
    return new Promise<GpuLease>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        reject(abortError(opts.signal?.reason));
        // The head may have been blocking others.
        this.pump();
      };
      const waiter: LeaseWaiter = {
        req,
        resolve,
        reject,
        detach: () => opts.signal?.removeEventListener('abort', onAbort),
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      opts.onWaiting?.({
        requested: req.gpus,
        free: this.freeCount(),
        eligible: this.eligible(req),
        ahead: this.waiters.length - 1,
      });
    });
  }

  /** Gives the lease's GPUs back. Returns false when it was already released. */
  release(lease: GpuLease): boolean {
    const indices = this.leases.get(lease.id);
    if (!indices) return false;
    this.leases.delete(lease.id);
    for (const i of indices) {
      const d = this.devices.get(i);
      if (!d || d.heldBy !== lease.id) continue;
      d.heldBy = null;
      if (d.retiring) this.devices.delete(i);
    }
    this.pump();
    return true;
  }

  /** Waits until a slot for the queue may be granted (see the header); AbortError when the signal aborts first. */
  reserveSlot(queue: string, signal?: AbortSignal): Promise<GpuSlot> {
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const now = this.tryReserveSlot(queue);
    if (now) return Promise.resolve(now);
    return new Promise<GpuSlot>((resolve, reject) => {
      const onAbort = () => {
        const i = this.slotWaiters.indexOf(waiter);
        if (i < 0) return;
        this.slotWaiters.splice(i, 1);
        reject(abortError(signal?.reason));
      };
      const waiter: SlotWaiter = { queue, resolve, detach: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(waiter);
    });
  }

  /** A slot now, or null; never waits. */
  tryReserveSlot(queue: string): GpuSlot | null {
    if (this.waiters.length > 0 || this.slotWaiters.some((w) => w.queue === queue) || !this.slotAvailable(queue))
      return null;
    return this.newSlot(queue);
  }

  /** A task arrived on the slot: from now on it counts as one committed GPU. */
  markSlotUsed(slot: GpuSlot): void {
    const s = this.slots.get(slot.slotId);
    if (!s || s.used) return;
    s.used = true;
    // An idle poll of this queue just turned into a task: the queue may poll again.
    this.pump();
  }

  /** Returns false when the slot was already released. */
  releaseSlot(slot: GpuSlot): boolean {
    if (!this.slots.delete(slot.slotId)) return false;
    this.pump();
    return true;
  }

  /**
   * Applies a re-discovered inventory: new GPUs become usable at once; vanished GPUs that a step
   * holds stay with it and disappear when released (running steps are never yanked).
   */
  updateInventory(gpus: readonly GpuDevice[]): InventoryChange {
    const listed = new Map(gpus.map((g) => [g.index, g]));
    const change: InventoryChange = { added: [], removed: [] };
    for (const [index, d] of [...this.devices]) {
      const now = listed.get(index);
      if (now && now.uuid === d.gpu.uuid) {
        d.gpu = now;
        if (d.retiring) {
          d.retiring = false;
          change.added.push(now);
        }
        continue;
      }
      if (d.retiring) continue;
      change.removed.push(d.gpu);
      if (d.heldBy === null) this.devices.delete(index);
      else d.retiring = true;
    }
    for (const g of gpus) {
      const d = this.devices.get(g.index);
      if (!d) {
        this.devices.set(g.index, { gpu: g, heldBy: null, retiring: false });
        change.added.push(g);
      }
      // A different uuid under an index still held by a step: wait for the release.
    }
    // Requests no remaining GPU set can ever satisfy must not wait forever.
    for (const w of [...this.waiters]) {
      if (!this.canSatisfy(w.req)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.detach();
        w.reject(this.unsatisfiable(w.req));
      }
    }
    this.pump();
    return change;
  }

  snapshot(): AllocatorSnapshot {
    const devices = [...this.devices.values()]
      .sort((a, b) => a.gpu.index - b.gpu.index)
      .map((d) => ({
        index: d.gpu.index,
        uuid: d.gpu.uuid,
        name: d.gpu.name,
        memoryGb: d.gpu.memoryGb,
        heldBy: d.heldBy,
        retiring: d.retiring,
      }));
    return {
      simulated: this.simulated,
      total: this.activeCount(),
      free: this.freeCount(),
      devices,
      leases: [...this.leases].map(([id, indices]) => ({ id, indices: [...indices] })),
      waiting: this.waiters.length,
      slots: {
        reserved: this.slots.size,
        used: [...this.slots.values()].filter((x) => x.used).length,
        capacity: this.activeCount(),
        waiting: this.slotWaiters.length,
      },
    };
  }

  /** The GpuAssignment a step sees (gpu-context.ts, CUDA_VISIBLE_DEVICES). */
  static assignment(lease: GpuLease): GpuAssignment {
    return { indices: [...lease.indices], uuids: [...lease.uuids], simulated: lease.simulated };
  }

  private activeCount(): number {
    let n = 0;
    for (const d of this.devices.values()) if (!d.retiring) n++;
    return n;
  }

  private freeCount(): number {
    let n = 0;
    for (const d of this.devices.values()) if (!d.retiring && d.heldBy === null) n++;
    return n;
  }

  private eligible(req: GpuRequest): number {
    let n = 0;
    for (const d of this.devices.values()) if (!d.retiring && d.gpu.memoryGb >= req.memoryGb) n++;
    return n;
  }

  private slotAvailable(queue: string): boolean {
    if (this.freeCount() === 0) return false;
    let committed = 0;
    let idle = 0;
    let idleHere = 0;
    for (const x of this.slots.values()) {
      if (x.used) committed++;
      else {
        idle++;
        if (x.queue === queue) idleHere++;
      }
    }
    for (const indices of this.leases.values()) committed += Math.max(0, indices.length - 1);
    const total = this.activeCount();
    if (committed >= total) return false;
    // One idle poll per queue while a GPU is uncommitted; more only if every idle slot has a GPU.
    return idleHere === 0 || committed + idle < total;
  }

  private newSlot(queue: string): GpuSlot {
    const slotId = this.nextId++;
    this.slots.set(slotId, { queue, used: false });
    return { slotId, queue };
  }

  /** The k free GPUs with the least memory that still fits (keeps big GPUs for big requests). */
  private pick(req: GpuRequest): Device[] | null {
    if (req.gpus === 0) return [];
    const free = [...this.devices.values()]
      .filter((d) => !d.retiring && d.heldBy === null && d.gpu.memoryGb >= req.memoryGb)
      .sort((a, b) => a.gpu.memoryGb - b.gpu.memoryGb || a.gpu.index - b.gpu.index);
    if (free.length < req.gpus) return null;
    return free.slice(0, req.gpus).sort((a, b) => a.gpu.index - b.gpu.index);
  }

  private grant(devices: Device[]): GpuLease {
    const id = this.nextId++;
    for (const d of devices) d.heldBy = id;
    const indices = devices.map((d) => d.gpu.index);
    this.leases.set(id, indices);
    return Object.freeze({
      id,
      indices: Object.freeze([...indices]),
      uuids: Object.freeze(devices.map((d) => d.gpu.uuid)),
      simulated: this.simulated,
    });
  }

  private pump(): void {
    // Strict FIFO among GPU waiters: the head blocks everyone behind it.
    while (this.waiters.length > 0) {
      const head = this.waiters[0]!;
      const picked = this.pick(head.req);
      if (!picked) break;
      this.waiters.shift();
      head.detach();
      head.resolve(this.grant(picked));
    }
    if (this.waiters.length > 0) return;
    // Slot waiters in arrival order; one whose queue cannot have a slot yet does not block others.
    for (let i = 0; i < this.slotWaiters.length;) {
      const w = this.slotWaiters[i]!;
      if (!this.slotAvailable(w.queue)) {
        i++;
        continue;
      }
      this.slotWaiters.splice(i, 1);
      w.detach();
      w.resolve(this.newSlot(w.queue));
    }
  }

  private unsatisfiable(req: GpuRequest): GpuRequestUnsatisfiableError {
    const sizes = [...this.devices.values()].filter((d) => !d.retiring).map((d) => d.gpu.memoryGb);
    return new GpuRequestUnsatisfiableError(
      `this worker can never run a step asking for ${req.gpus} GPU(s)${req.memoryGb > 0 ? ` with ${req.memoryGb} GB each` : ''}: ` +
        `it has ${sizes.length} GPU(s)${sizes.length ? ` (${sizes.join(', ')} GB)` : ''}${this.simulated ? ' (simulated)' : ''}`,
    );
  }
}
