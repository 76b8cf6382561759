// The account entity's book: reserve / settle / grant / sweep, each keyed and applied once. Over
// random interleavings — operations retried any number of times, the book carried across
// continue-as-new (a JSON round trip) at any point — the book ends exactly as the same operations
// applied once each, no (job, kind) has two entries, and balance = grants − charges + refunds at
// every step.
import fc from 'fast-check';
import {
  costOf,
  estimateUsage,
  parseCostRates,
  toMilli,
  type AccountState,
  type GrantRequest,
  type LedgerEntry,
  type ReserveRequest,
  type SettleRequest,
} from '../../src/domain/credits';
import { JobSpec } from '../../src/domain/job-spec';
import { AccountBook, MAX_ENTRIES } from '../../workflows/account-book';

const T = '2026-12-02T00:00:00.000Z';
const reserve = (jobId: string, amount: number): ReserveRequest => ({ jobId, amount });
const settle = (jobId: string, outcome: SettleRequest['outcome'], actual: number, extra: Partial<SettleRequest> = {}) =>
  ({ jobId, outcome, actual, gpuCost: 0, refund: 'full', overrun: 'charge', ...extra }) satisfies SettleRequest;
const grant = (grantId: string, amount: number): GrantRequest => ({ grantId, amount, reason: 'test' });

/** balance = grants − (reservations + charges) + refunds, from the entries alone (milli-credits, exact). */
function balanceOf(entries: LedgerEntry[]): number {
  return entries.reduce((b, e) => b + (e.kind === 'grant' || e.kind === 'refund' ? 1 : -1) * toMilli(e.amount), 0);
}

describe('AccountBook', () => {
  test('a completed job: reserve the estimate, refund what it did not use', () => {
    const b = new AccountBook();
    b.grant(grant('g1', 100), T);
    expect(b.reserve(reserve('j1', 30), T)).toMatchObject({ applied: true, balance: 70, reserved: 30 });
    const s = b.settle(settle('j1', 'completed', 12.5), T);
    expect(s).toMatchObject({ applied: true, reserved: 30, charged: 12.5, refunded: 17.5, balance: 87.5 });
    expect(s.entries.map((e) => [e.kind, e.amount])).toEqual([['refund', 17.5]]);
    expect(b.summary('alice')).toMatchObject({ balance: 87.5, reserved: 0, openJobs: 0 });
  });

  test('overrun: `charge` takes the difference (the balance may go below zero); `cap` stops at the reservation', () => {
    const b = new AccountBook();
    b.grant(grant('g1', 10), T);
    b.reserve(reserve('j1', 8), T);
    expect(b.settle(settle('j1', 'completed', 15), T)).toMatchObject({ charged: 15, refunded: 0, balance: -5 });
    const c = new AccountBook();
    c.grant(grant('g1', 10), T);
    c.reserve(reserve('j1', 8), T);
    expect(c.settle(settle('j1', 'completed', 15, { overrun: 'cap' }), T)).toMatchObject({ charged: 8, balance: 2 });
  });

  test('cancelled / failed: `full` refunds the whole reservation; `gpu-used` keeps the GPU time consumed', () => {
    const b = new AccountBook();
    b.grant(grant('g1', 50), T);
    b.reserve(reserve('a', 20), T);
    b.reserve(reserve('b', 20), T);
    expect(b.settle(settle('a', 'cancelled', 5, { gpuCost: 3 }), T)).toMatchObject({ charged: 0, refunded: 20 });
    expect(b.settle(settle('b', 'failed', 5, { gpuCost: 3, refund: 'gpu-used' }), T)).toMatchObject({
      charged: 3,
      refunded: 17,
    });
    expect(b.summary('x').balance).toBe(47);
  });

  test('insufficient: the reservation is refused and nothing changes; a retry after a grant goes through', () => {
    const b = new AccountBook();
    b.grant(grant('g1', 5), T);
    expect(b.reserveRejection(reserve('j1', 6))).toMatch(/needs 6, the balance is 5/);
    expect(() => b.reserve(reserve('j1', 6), T)).toThrow(/insufficient/);
    expect(b.summary('x')).toMatchObject({ balance: 5, lastSeq: 1 });
    b.grant(grant('g2', 1), T);
    expect(b.reserve(reserve('j1', 6), T).applied).toBe(true);
  });

  test('every key is applied once: retried reserve, settle and grant answer from the book', () => {
    const b = new AccountBook();
    expect(b.grant(grant('g1', 10), T).applied).toBe(true);
    expect(b.grant(grant('g1', 10), T)).toMatchObject({ applied: false, balance: 10 });
    b.reserve(reserve('j1', 4), T);
    expect(b.reserve(reserve('j1', 4), T)).toMatchObject({ applied: false, balance: 6 });
    const first = b.settle(settle('j1', 'completed', 1), T);
    const again = b.settle(settle('j1', 'completed', 1), T);
    expect(again).toEqual({ ...first, applied: false });
    // A retried settle that claims another outcome still changes nothing: the first one stands.
    expect(b.settle(settle('j1', 'cancelled', 0), T)).toMatchObject({ applied: false, charged: 1 });
    expect(b.summary('x')).toMatchObject({ balance: 9, lastSeq: 3 });
  });

  test('the sweep refunds a job that closed without settling; a late settle then charges what it cost', () => {
    const b = new AccountBook();
    b.grant(grant('g1', 10), T);
    b.reserve(reserve('gone', 4), T);
    b.reserve(reserve('running', 4), T);
    expect(b.openJobIds(T).sort()).toEqual(['gone', 'running']);
    expect(b.sweep(['gone'], T).map((e) => [e.kind, e.jobId, e.amount])).toEqual([['refund', 'gone', 4]]);
    expect(b.sweep(['gone'], T)).toEqual([]);
    expect(b.summary('x')).toMatchObject({ balance: 6, reserved: 4 });
    expect(b.settle(settle('gone', 'completed', 2), T)).toMatchObject({ charged: 2, refunded: 4 });
    expect(b.summary('x').balance).toBe(4);
  });

  test('prune keeps open jobs and recent settlements, and bounds the entries', () => {
    const b = new AccountBook();
    b.grant(grant('g', 1e6), T);
    for (let i = 0; i < MAX_ENTRIES + 10; i++) b.reserve(reserve(`j${i}`, 1), T);
    b.settle(settle('j0', 'completed', 1), T);
    b.prune(Date.parse(T) + 1000);
    const s = b.state();
    expect(s.entries.length).toBeLessThanOrEqual(MAX_ENTRIES);
    expect(Object.keys(s.jobs)).toHaveLength(MAX_ENTRIES + 10);
    b.prune(Date.parse(T) + 8 * 24 * 3600_000);
    expect(b.job('j0')).toBeUndefined();
    expect(b.job('j1')?.state).toBe('open');
    expect(b.summary('x').balance).toBe(1e6 - (MAX_ENTRIES + 10) + 0);
  });

  test('paging: newest first, `before` continues below a seq', () => {
    const b = new AccountBook();
    for (let i = 1; i <= 7; i++) b.grant(grant(`g${i}`, i), T);
    expect(b.page({ limit: 3 }).map((e) => e.seq)).toEqual([7, 6, 5]);
    expect(b.page({ limit: 3, before: 5 }).map((e) => e.seq)).toEqual([4, 3, 2]);
    expect(b.page({ limit: 3, before: 2 }).map((e) => e.seq)).toEqual([1]);
  });
});

// ---- random interleavings ----

type Op =
  | { t: 'grant'; req: GrantRequest }
  | { t: 'reserve'; req: ReserveRequest }
  | { t: 'settle'; req: SettleRequest }
  | { t: 'sweep'; jobs: string[] };

const JOBS = ['j1', 'j2', 'j3', 'j4', 'j5'];
const amount = fc.integer({ min: 0, max: 50_000 }).map((m) => m / 1000);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant('grant' as const),
    req: fc.record({
      grantId: fc.constantFrom('g1', 'g2', 'g3', 'g4'),
      amount: amount.map((a) => a + 1),
      reason: fc.constant('t'),
    }),
  }),
  fc.record({ t: fc.constant('reserve' as const), req: fc.record({ jobId: fc.constantFrom(...JOBS), amount }) }),
  fc.record({
    t: fc.constant('settle' as const),
    req: fc.record({
      jobId: fc.constantFrom(...JOBS),
      outcome: fc.constantFrom('completed' as const, 'failed' as const, 'cancelled' as const),
      actual: amount,
      gpuCost: amount,
      refund: fc.constantFrom('full' as const, 'gpu-used' as const),
      overrun: fc.constantFrom('charge' as const, 'cap' as const),
    }),
  }),
  fc.record({ t: fc.constant('sweep' as const), jobs: fc.subarray(JOBS) }),
);

/** One step of a run: an operation, possibly delivered again (a retry), then maybe a continue-as-new. */
const stepArb = fc.record({ op: opArb, deliveries: fc.integer({ min: 1, max: 3 }), continueAsNew: fc.boolean() });

function keyOf(op: Op): string {
  switch (op.t) {
    case 'grant':
      return `grant:${op.req.grantId}`;
    case 'reserve':
      return `reserve:${op.req.jobId}`;
    case 'settle':
      return `settle:${op.req.jobId}`;
    case 'sweep':
      return `sweep:${op.jobs.join(',')}`;
  }
}

function apply(b: AccountBook, op: Op): void {
  switch (op.t) {
    case 'grant':
      b.grant(op.req, T);
      return;
    case 'reserve':
      // The workflow's validator refuses what the book cannot cover: nothing is applied.
      if (b.reserveRejection(op.req) === undefined) b.reserve(op.req, T);
      return;
    case 'settle':
      b.settle(op.req, T);
      return;
    case 'sweep':
      b.sweep(op.jobs, T);
      return;
  }
}

const roundTrip = (b: AccountBook) => {
  b.prune(Date.parse(T));
  return new AccountBook(JSON.parse(JSON.stringify(b.state())) as AccountState);
};

test('property: retried, interleaved and continued-as-new, the book ends as each operation applied once', () => {
  fc.assert(
    fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
      let book = new AccountBook();
      const once = new AccountBook();
      const seen = new Set<string>();
      for (const s of steps) {
        // A sweep is a fresh check every time; every other operation's retries carry its key, which
        // is used up once the operation is applied (a refused reservation leaves it unused).
        if (s.op.t === 'sweep' || !seen.has(keyOf(s.op))) {
          const refused = s.op.t === 'reserve' && once.reserveRejection(s.op.req) !== undefined;
          apply(once, s.op);
          if (!refused && s.op.t !== 'sweep') seen.add(keyOf(s.op));
        }
        for (let d = 0; d < s.deliveries; d++) apply(book, s.op);
        if (s.continueAsNew) book = roundTrip(book);
        const st = book.state();
        // balance = grants − charges + refunds, at every step, from the entries and from the totals.
        expect(book.balanceMilli).toBe(balanceOf(st.entries));
        expect(book.balanceMilli).toBe(st.grantedMilli - st.chargedMilli + st.refundedMilli);
        // One entry per (job, kind) and per grant id.
        const keys = st.entries.map((e) => `${e.kind}:${e.jobId ?? e.grantId}`);
        expect(new Set(keys).size).toBe(keys.length);
        // reserved = the reservations of jobs that have not ended.
        const open = Object.values(st.jobs).filter((j) => j.state === 'open');
        expect(book.reservedMilli).toBe(open.reduce((r, j) => r + j.reservedMilli, 0));
      }
      // Retries applied or not: the same entries and totals as each operation applied once.
      expect(book.state()).toEqual(once.state());
    }),
    { numRuns: 500 },
  );
});

test('property: a settled job costs what the rules say, whatever came before', () => {
  fc.assert(
    fc.property(
      amount,
      amount,
      amount,
      opArb.filter((o) => o.t === 'settle'),
      (granted, reserved, _x, op) => {
        if (op.t !== 'settle') return;
        const b = new AccountBook();
        b.grant(grant('g', granted + reserved + 1), T);
        b.reserve(reserve(op.req.jobId, reserved), T);
        const s = b.settle(op.req, T);
        const cost = op.req.outcome === 'completed' ? op.req.actual : op.req.refund === 'full' ? 0 : op.req.gpuCost;
        const want = op.req.overrun === 'cap' && reserved > 0 ? Math.min(cost, reserved) : cost;
        expect(toMilli(s.charged)).toBe(toMilli(want));
        expect(toMilli(s.refunded)).toBe(Math.max(0, toMilli(reserved) - toMilli(want)));
      },
    ),
  );
});

describe('the cost model', () => {
  test('TRAINYARD_CREDITS_COSTS: defaults, overrides, per-pool GPU rates, precise errors', () => {
    const r = parseCostRates('base=2,gpuSecond=0.02,gpuSecond.a100-80g=0.1,cell=0');
    expect(r).toMatchObject({ base: 2, cell: 0, preprocess: 0.5, gpuSecond: { '*': 0.02, 'a100-80g': 0.1 } });
    expect(parseCostRates('')).toMatchObject({ base: 1, gpuSecond: { '*': 0.01 } });
    expect(() => parseCostRates('bogus=1')).toThrow(/"bogus=1" is not KEY=NUMBER/);
    expect(() => parseCostRates('base=-1')).toThrow(/"base=-1"/);
  });

  test('an estimate: base + dataset cells + parameters + preprocess + visualizations + GPU time by pool', () => {
    const rates = parseCostRates(
      'base=1,cell=0.001,parameter=0.001,preprocess=0.5,visualization=0.25,gpuSecond=0.01,gpuSecond.big=0.1,assumedGpuSeconds=100',
    );
    const spec = JobSpec.parse({
      name: 'e',
      nodes: [
        { id: 'data', type: 'dataset', config: { name: 'iris' } },
        { id: 'prep', type: 'preprocess', dependsOn: ['data'] },
        { id: 'train', type: 'train', dependsOn: ['prep'], config: { hiddenLayers: [8] }, estimatedDuration: '30s' },
        { id: 'big', type: 'command', dependsOn: ['prep'], config: { command: ['node'] }, resources: { gpus: 2 } },
        { id: 'viz', type: 'visualize', dependsOn: ['train'] },
      ],
    });
    const usage = estimateUsage(spec, rates, { pools: { big: 'big' } });
    // iris: 150 × 5 cells; an MLP 4 → 8 → 3: 4·8+8 + 8·3+3 = 67 parameters.
    expect(usage).toEqual({
      cells: 750,
      parameters: 67,
      preprocess: 1,
      visualizations: 1,
      gpuSeconds: { default: 30, big: 200 },
    });
    expect(costOf(usage, rates)).toEqual({
      base: 1,
      data: 0.75,
      model: 0.067,
      preprocess: 0.5,
      visualizations: 0.25,
      gpu: 20.3,
      total: 22.867,
    });
  });
});
