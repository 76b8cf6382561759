// The quota entity's state machine: grants within the limit, priority then arrival order, a big
// request not starved by small ones, idempotent requests and releases, limit changes, reclaiming
// closed jobs — and, over random interleavings, never more GPUs held than the limit.
import fc from 'fast-check';
import { defaultGpuLimit, parseGpuQuotas, type LeaseRequest } from '../../src/domain/quota';
import { loadConfig } from '../../src/config';
import { QuotaBook } from '../../workflows/quota-book';

const T = '2026-12-02T00:00:00.000Z';
function req(leaseId: string, gpus = 1, extra: Partial<LeaseRequest> = {}): LeaseRequest {
  return { leaseId, jobId: leaseId.split('/')[0]!, nodeId: 'n', gpus, priority: 3, defaultLimit: 2, ...extra };
}

describe('QuotaBook', () => {
  test('grants up to the limit, then queues; a release lets the next one through', () => {
    const b = new QuotaBook();
    expect(b.request(req('j1/a'), T).answer).toEqual({ granted: true, held: 1, limit: 2, ahead: 0 });
    expect(b.request(req('j1/b'), T).answer.granted).toBe(true);
    expect(b.request(req('j2/a'), T).answer).toEqual({ granted: false, held: 2, limit: 2, ahead: 0 });
    expect(b.request(req('j2/b'), T).answer.ahead).toBe(1);
    const next = b.release('j1/a', T);
    expect(next.map((l) => l.leaseId)).toEqual(['j2/a']);
    expect(b.held).toBe(2);
  });

  test('requests and releases are idempotent', () => {
    const b = new QuotaBook();
    b.request(req('j1/a'), T);
    expect(b.request(req('j1/a'), T)).toEqual({ answer: { granted: true, held: 1, limit: 2, ahead: 0 }, granted: [] });
    expect(b.release('j1/a', T)).toEqual([]);
    expect(b.release('j1/a', T)).toEqual([]);
    expect(b.held).toBe(0);
  });

  test('priority first, then arrival; a request that fits later blocks smaller ones behind it', () => {
    const b = new QuotaBook();
    b.request(req('j0/x', 2), T);
    b.request(req('low/a', 1, { priority: 5 }), T);
    b.request(req('big/a', 2), T);
    b.request(req('hi/a', 1, { priority: 1 }), T);
    expect(b.state().waiting.map((w) => w.leaseId)).toEqual(['hi/a', 'big/a', 'low/a']);
    // One GPU back: hi/a fits, big/a (2) does not yet — and low/a waits behind it.
    b.request(req('j0/y', 1, { defaultLimit: 3 }), T); // the default rises to 3 with this call
    expect(
      b
        .state()
        .leases.map((l) => l.leaseId)
        .sort(),
    ).toEqual(['hi/a', 'j0/x']);
    expect(b.release('j0/x', T).map((l) => l.leaseId)).toEqual(['big/a']);
  });

  test('a request larger than the limit waits without blocking the others, until the limit is raised', () => {
    const b = new QuotaBook();
    expect(b.request(req('huge/a', 4), T).answer.granted).toBe(false);
    expect(b.request(req('small/a', 1), T).answer.granted).toBe(true);
    expect(b.setExplicitLimit(8, T).map((l) => l.leaseId)).toEqual(['huge/a']);
    expect(b.limit).toBe(8);
    b.setExplicitLimit(undefined, T);
    expect(b.limit).toBe(2);
    expect(b.setExplicitLimit(null, T)).toEqual([]);
    expect(b.limit).toBeNull();
  });

  test('dropping closed jobs frees their leases and requests', () => {
    const b = new QuotaBook();
    b.request(req('dead/a', 2), T);
    b.request(req('live/a', 1), T);
    expect(b.holders()).toEqual(['dead', 'live']);
    expect(b.dropJobs(['dead'], T).map((l) => l.leaseId)).toEqual(['live/a']);
    expect(b.holders()).toEqual(['live']);
  });

  test('the state survives continue-as-new', () => {
    const b = new QuotaBook();
    b.setExplicitLimit(1, T);
    b.request(req('j1/a'), T);
    b.request(req('j2/a'), T);
    const c = new QuotaBook(JSON.parse(JSON.stringify(b.state())));
    expect(c.state()).toEqual(b.state());
    expect(c.release('j1/a', T).map((l) => l.leaseId)).toEqual(['j2/a']);
  });

  test('property: under any interleaving of requests, repeats, releases, drops and limit changes, a grant never takes the owner over the limit, and every lease held was told exactly once', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('req' as const),
        id: fc.integer({ min: 0, max: 7 }),
        gpus: fc.integer({ min: 1, max: 3 }),
        prio: fc.integer({ min: 1, max: 5 }),
      }),
      fc.record({ k: fc.constant('rel' as const), id: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ k: fc.constant('limit' as const), limit: fc.option(fc.integer({ min: 0, max: 5 })) }),
      fc.record({ k: fc.constant('drop' as const), id: fc.integer({ min: 0, max: 7 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const b = new QuotaBook();
        /** Leases the caller knows are granted: by the answer, or told in a `granted` list. */
        const known = new Set<string>();
        for (const o of ops) {
          const id = `j${'id' in o ? o.id : 0}/n`;
          let grants: { leaseId: string }[];
          if (o.k === 'req') {
            const r = b.request(req(id, o.gpus, { priority: o.prio }), T);
            grants = r.granted;
            if (r.answer.granted && !known.has(id)) grants = [...grants, { leaseId: id }];
          } else if (o.k === 'rel') {
            known.delete(id);
            grants = b.release(id, T);
          } else if (o.k === 'drop') {
            known.delete(id);
            grants = b.dropJobs([`j${o.id}`], T);
          } else grants = b.setExplicitLimit(o.limit ?? null, T);
          for (const g of grants) {
            expect(known.has(g.leaseId)).toBe(false);
            known.add(g.leaseId);
          }
          if (grants.length && b.limit !== null) expect(b.held).toBeLessThanOrEqual(b.limit);
          expect(new Set(b.state().leases.map((l) => l.leaseId))).toEqual(known);
        }
      }),
    );
  });
});

describe('TRAINYARD_GPU_QUOTAS', () => {
  test('the most specific entry wins; unlisted is unlimited', () => {
    const d = parseGpuQuotas('on, *=8, alice=2, a100-80g/*=4, a100-80g/alice=1, bob=unlimited');
    expect(defaultGpuLimit(d, 'default', 'carol')).toBe(8);
    expect(defaultGpuLimit(d, 'default', 'alice')).toBe(2);
    expect(defaultGpuLimit(d, 'a100-80g', 'carol')).toBe(4);
    expect(defaultGpuLimit(d, 'a100-80g', 'alice')).toBe(1);
    expect(defaultGpuLimit(d, 'default', 'bob')).toBeNull();
    expect(defaultGpuLimit(parseGpuQuotas('on'), 'default', 'x')).toBeNull();
  });

  test('off by default; a bad entry or sweep is refused naming the variable', () => {
    expect(loadConfig({}).gpuQuotas).toEqual({ enabled: false, defaults: [], sweepMs: 60_000 });
    expect(loadConfig({ TRAINYARD_GPU_QUOTAS: 'on' }).gpuQuotas.enabled).toBe(true);
    expect(() => loadConfig({ TRAINYARD_GPU_QUOTAS: 'alice=two' })).toThrow(/TRAINYARD_GPU_QUOTAS: "alice=two"/);
    expect(() => loadConfig({ TRAINYARD_GPU_QUOTA_SWEEP: '10ms' })).toThrow(/TRAINYARD_GPU_QUOTA_SWEEP/);
  });
});
