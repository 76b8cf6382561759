import fc from 'fast-check';
import { GpuAllocator, GpuRequestUnsatisfiableError, type GpuLease, type GpuSlot } from '../../../src/gpu/allocator';
import { simulatedInventory, type GpuDevice, type GpuInventory } from '../../../src/gpu/discovery';

const inv = (spec: string): GpuInventory => simulatedInventory(spec);
const mixed = (): GpuInventory => ({
  simulated: false,
  source: 'test',
  gpus: [
    { index: 0, uuid: 'a', name: 'small', memoryGb: 16, memoryUsedGb: 0 },
    { index: 1, uuid: 'b', name: 'big', memoryGb: 80, memoryUsedGb: 0 },
    { index: 2, uuid: 'c', name: 'small', memoryGb: 16, memoryUsedGb: 0 },
  ],
});
const tick = () => new Promise((r) => setImmediate(r));
/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(p: Promise<T>) {
  const s: { done: boolean; value?: T; error?: Error } = { done: false };
  p.then(
    (v) => Object.assign(s, { done: true, value: v }),
    (e: Error) => Object.assign(s, { done: true, error: e }),
  );
  return s;
}

describe('GpuAllocator leases', () => {
  it('when two 1-GPU steps ask, then each gets a different GPU', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l1 = await a.acquire({ gpus: 1, memoryGb: 0 });
    const l2 = await a.acquire({ gpus: 1, memoryGb: 0 });
    expect(new Set([...l1.indices, ...l2.indices]).size).toBe(2);
    expect(a.snapshot().free).toBe(0);
  });

  it('when a 2-GPU step asks on a 2-GPU worker, then it gets both distinct GPUs', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l = await a.acquire({ gpus: 2, memoryGb: 16 });
    expect([...l.indices]).toEqual([0, 1]);
    expect(l.uuids).toHaveLength(2);
    expect(l.simulated).toBe(true);
  });

  it('when memory is required, then only big-enough GPUs are given, smallest fit first', async () => {
    const a = new GpuAllocator(mixed());
    const small = await a.acquire({ gpus: 1, memoryGb: 8 });
    expect(small.indices).toEqual([0]);
    const big = await a.acquire({ gpus: 1, memoryGb: 40 });
    expect(big.indices).toEqual([1]);
  });

  it('when a request can never fit, then it is rejected at once with a clear message', async () => {
    const a = new GpuAllocator(inv('2x16'));
    await expect(a.acquire({ gpus: 3, memoryGb: 0 })).rejects.toThrow(GpuRequestUnsatisfiableError);
    await expect(a.acquire({ gpus: 1, memoryGb: 40 })).rejects.toThrow(
      /1 GPU\(s\) with 40 GB each.*2 GPU\(s\) \(16, 16 GB\) \(simulated\)/,
    );
  });

  it('when a step asks for no GPU, then it gets an empty lease at once', async () => {
    const a = new GpuAllocator(inv('1x16'));
    await a.acquire({ gpus: 1, memoryGb: 0 });
    const l = await a.acquire({ gpus: 0, memoryGb: 0 });
    expect(l.indices).toEqual([]);
  });

  it('when GPUs are busy, then waiters are served first-in first-out and a big head is not overtaken', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l1 = await a.acquire({ gpus: 1, memoryGb: 0 });
    const waitingInfo: unknown[] = [];
    const big = track(a.acquire({ gpus: 2, memoryGb: 0 }, { onWaiting: (w) => waitingInfo.push(w) }));
    const small = track(a.acquire({ gpus: 1, memoryGb: 0 }));
    await tick();
    // One GPU is free, but the 2-GPU request is first in line: the 1-GPU one must not jump ahead.
    expect(big.done).toBe(false);
    expect(small.done).toBe(false);
    expect(waitingInfo).toEqual([{ requested: 2, free: 1, eligible: 2, ahead: 0 }]);
    a.release(l1);
    await tick();
    expect(big.value?.indices).toEqual([0, 1]);
    expect(small.done).toBe(false);
    a.release(big.value!);
    await tick();
    expect(small.value?.indices).toHaveLength(1);
  });

  it('when a waiter is aborted, then it rejects with AbortError and the next waiter moves up', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l1 = await a.acquire({ gpus: 1, memoryGb: 0 });
    const ac = new AbortController();
    const big = track(a.acquire({ gpus: 2, memoryGb: 0 }, { signal: ac.signal }));
    const small = track(a.acquire({ gpus: 1, memoryGb: 0 }));
    await tick();
    expect(small.done).toBe(false);
    ac.abort();
    await tick();
    expect(big.error?.name).toBe('AbortError');
    expect(small.value?.indices).toHaveLength(1);
    a.release(l1);
    a.release(small.value!);
    expect(a.snapshot()).toMatchObject({ free: 2, leases: [], waiting: 0 });
  });

  it('when the signal is already aborted, then acquire rejects without taking anything', async () => {
    const a = new GpuAllocator(inv('1x16'));
    await expect(a.acquire({ gpus: 1, memoryGb: 0 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(a.snapshot().free).toBe(1);
  });

  it('when a lease is released twice, then the second release does nothing', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l1 = await a.acquire({ gpus: 1, memoryGb: 0 });
    expect(a.release(l1)).toBe(true);
    const l2 = await a.acquire({ gpus: 1, memoryGb: 0 });
    const l3 = await a.acquire({ gpus: 1, memoryGb: 0 });
    expect(a.release(l1)).toBe(false);
    // l1's stale release must not free GPUs now held by l2/l3.
    expect(a.snapshot().free).toBe(0);
    a.release(l2);
    a.release(l3);
    expect(a.snapshot().free).toBe(2);
  });

  it('when a held GPU vanishes from discovery, then its step keeps it until release, and it is then dropped', async () => {
    const a = new GpuAllocator(mixed());
    const l = await a.acquire({ gpus: 1, memoryGb: 40 });
    const gpus = mixed().gpus;
    const change = a.updateInventory([gpus[0]!, gpus[2]!]);
    expect(change.removed.map((g) => g.index)).toEqual([1]);
    expect(a.snapshot().devices.find((d) => d.index === 1)).toMatchObject({ heldBy: l.id, retiring: true });
    // Nobody can get a 40 GB GPU any more.
    await expect(a.acquire({ gpus: 1, memoryGb: 40 })).rejects.toThrow(GpuRequestUnsatisfiableError);
    a.release(l);
    expect(a.snapshot().devices.map((d) => d.index)).toEqual([0, 2]);
    const added: GpuDevice = { index: 3, uuid: 'd', name: 'new', memoryGb: 80, memoryUsedGb: 0 };
    a.updateInventory([gpus[0]!, gpus[2]!, added]);
    expect((await a.acquire({ gpus: 1, memoryGb: 40 })).indices).toEqual([3]);
  });

  it('when the inventory shrinks below a waiting request, then the waiter is rejected instead of waiting forever', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const l = await a.acquire({ gpus: 1, memoryGb: 0 });
    const w = track(a.acquire({ gpus: 2, memoryGb: 0 }));
    await tick();
    a.updateInventory([inv('2x16').gpus[0]!]);
    await tick();
    expect(w.error).toBeInstanceOf(GpuRequestUnsatisfiableError);
    a.release(l);
  });
});

describe('GpuAllocator slots (the slot supplier)', () => {
  const T = 'q-train';
  const E = 'q-export';

  it('when idle, then each queue gets one open poll, and a queue gets a second only for an unclaimed GPU', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const t1 = a.tryReserveSlot(T)!;
    const e1 = a.tryReserveSlot(E)!;
    expect(t1 && e1).toBeTruthy();
    // Two idle polls already cover both GPUs.
    expect(a.tryReserveSlot(T)).toBeNull();
    a.markSlotUsed(t1); // a 1-GPU task arrived on the train poll
    const t2 = a.tryReserveSlot(T);
    expect(t2).toBeTruthy(); // one GPU is still uncommitted: train polls again
    a.markSlotUsed(t2!);
    expect(a.tryReserveSlot(T)).toBeNull(); // both GPUs committed: nobody polls
    const t3 = track(a.reserveSlot(T));
    await tick();
    expect(t3.done).toBe(false);
    a.releaseSlot(t1);
    await tick();
    expect(t3.value).toBeTruthy();
    expect(a.releaseSlot(t1)).toBe(false);
    for (const s of [e1, t2!, t3.value!]) a.releaseSlot(s);
    expect(a.snapshot().slots).toMatchObject({ reserved: 0, used: 0, waiting: 0 });
  });

  it('when a task arrives on the open poll, then a waiting poll of that queue is granted at once', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const t1 = a.tryReserveSlot(T)!;
    a.tryReserveSlot(E);
    const t2 = track(a.reserveSlot(T));
    await tick();
    expect(t2.done).toBe(false);
    a.markSlotUsed(t1);
    await tick();
    expect(t2.value).toBeTruthy();
  });

  it('when four 1-GPU tasks arrive on a 2-GPU worker, then at most two are taken at a time', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const taken: GpuSlot[] = [];
    const take = async () => {
      const s = await a.reserveSlot(T);
      a.markSlotUsed(s);
      taken.push(s);
      return s;
    };
    const all = [take(), take(), take(), take()].map(track);
    await tick();
    expect(all.filter((x) => x.done)).toHaveLength(2);
    a.releaseSlot(taken[0]!);
    await tick();
    expect(all.filter((x) => x.done)).toHaveLength(3);
    a.releaseSlot(taken[1]!);
    a.releaseSlot(taken[2]!);
    await tick();
    expect(all.filter((x) => x.done)).toHaveLength(4);
    a.releaseSlot(taken[3]!);
  });

  it('when a step holds 2 GPUs on its one slot, then no other slot is granted until it releases', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const slot = a.tryReserveSlot(T)!;
    a.markSlotUsed(slot);
    const lease = await a.acquire({ gpus: 2, memoryGb: 0 });
    expect(a.tryReserveSlot(T)).toBeNull();
    expect(a.tryReserveSlot(E)).toBeNull();
    a.release(lease);
    const s2 = a.tryReserveSlot(E);
    expect(s2).toBeTruthy();
    a.releaseSlot(slot);
    a.releaseSlot(s2!);
    expect(a.snapshot().slots.reserved).toBe(0);
  });

  it('when a step waits for GPUs, then new slots wait behind it', async () => {
    const a = new GpuAllocator(inv('2x16'));
    const s1 = a.tryReserveSlot(T)!;
    a.markSlotUsed(s1);
    const l1 = await a.acquire({ gpus: 1, memoryGb: 0 });
    const s2 = a.tryReserveSlot(T)!; // a poll for the other GPU …
    a.markSlotUsed(s2); // … receives a 2-GPU step
    const big = track(a.acquire({ gpus: 2, memoryGb: 0 }));
    await tick();
    expect(big.done).toBe(false);
    expect(a.snapshot().waiting).toBe(1);
    const s3 = track(a.reserveSlot(E));
    await tick();
    expect(s3.done).toBe(false);
    a.release(l1);
    await tick();
    expect(big.value?.indices).toEqual([0, 1]);
    a.releaseSlot(s1);
    await tick();
    // The 2-GPU step holds both GPUs with one slot: still no slot for anyone else.
    expect(s3.done).toBe(false);
    a.release(big.value!);
    await tick();
    expect(s3.value).toBeTruthy();
    a.releaseSlot(s2);
    a.releaseSlot(s3.value!);
    expect(a.snapshot()).toMatchObject({ free: 2, leases: [], waiting: 0, slots: { reserved: 0, waiting: 0 } });
  });

  it('when a slot reservation is aborted, then it rejects with AbortError and holds nothing', async () => {
    const a = new GpuAllocator(inv('1x16'));
    const s1 = a.tryReserveSlot(T)!;
    a.markSlotUsed(s1);
    const ac = new AbortController();
    const s2 = track(a.reserveSlot(T, ac.signal));
    ac.abort();
    await tick();
    expect(s2.error?.name).toBe('AbortError');
    a.releaseSlot(s1);
    expect(a.snapshot().slots).toMatchObject({ reserved: 0, waiting: 0 });
  });
});

describe('GpuAllocator under random concurrent acquire / release / abort', () => {
  it('never double-books, never leaks, and drains to all-free', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            gpus: fc.integer({ min: 0, max: 3 }),
            memoryGb: fc.constantFrom(0, 16, 40, 80),
            holdTicks: fc.integer({ min: 0, max: 4 }),
            abortAfter: fc.option(fc.integer({ min: 0, max: 4 })),
            slot: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        async (ops) => {
          const a = new GpuAllocator(mixed());
          const holders = new Map<number, number>(); // gpu index → lease id
          const check = () => {
            const snap = a.snapshot();
            const seen = new Set<number>();
            for (const l of snap.leases)
              for (const i of l.indices) {
                expect(seen.has(i)).toBe(false);
                seen.add(i);
              }
            expect(snap.free + seen.size).toBe(snap.total);
          };
          const run = async (op: (typeof ops)[number]) => {
            const slot = op.slot ? await a.reserveSlot(op.gpus % 2 ? 'train' : 'export') : null;
            if (slot) a.markSlotUsed(slot);
            const ac = new AbortController();
            if (op.abortAfter !== null)
              void Promise.resolve().then(async () => {
                for (let i = 0; i < op.abortAfter!; i++) await tick();
                ac.abort();
              });
            let lease: GpuLease | undefined;
            try {
              lease = await a.acquire({ gpus: op.gpus, memoryGb: op.memoryGb }, { signal: ac.signal });
              for (const i of lease.indices) {
                expect(holders.has(i)).toBe(false);
                holders.set(i, lease.id);
              }
              expect(lease.indices).toHaveLength(op.gpus);
              check();
              for (let i = 0; i < op.holdTicks; i++) await tick();
            } catch (err) {
              expect(['AbortError', 'GpuRequestUnsatisfiableError']).toContain((err as Error).name);
            } finally {
              if (lease) {
                for (const i of lease.indices) holders.delete(i);
                a.release(lease);
                a.release(lease);
              }
              if (slot) a.releaseSlot(slot);
              check();
            }
          };
          await Promise.all(ops.map(run));
          expect(a.snapshot()).toMatchObject({
            free: 3,
            total: 3,
            leases: [],
            waiting: 0,
            slots: { reserved: 0, waiting: 0 },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
