// The book of one account entity (one owner): totals, the jobs with reservations, applied grant
// ids and the newest entries. Pure and deterministic (no workflow APIs), so every interleaving of
// reserve / settle / grant / sweep — retried or not — is property-testable; the account workflow
// drives it. Idempotent by construction: each operation has a key ((job, reserve), (job, settle),
// grant id, (job, sweep)); an operation whose key the book has applied changes nothing and
// answers from the book. Amounts are counted in integer milli-credits, so the totals are exact.
import {
  fromMilli,
  toMilli,
  type AccountState,
  type AccountSummary,
  type BookJob,
  type EntriesRequest,
  type EntryKind,
  type GrantAnswer,
  type GrantRequest,
  type LedgerEntry,
  type ReserveAnswer,
  type ReserveRequest,
  type SettleAnswer,
  type SettleRequest,
} from '../src/domain/credits';

/** Newest entries kept in the book (older ones are in the totals, and in earlier runs' histories). */
export const MAX_ENTRIES = 2000;
/** Grant ids remembered for dedupe (a retried grant comes seconds later, not thousands of grants later). */
export const MAX_GRANT_IDS = 1000;
/** A settled job's keys are kept this long: no retry of its reserve or settle can come later (its workflow has closed). */
export const KEEP_SETTLED_MS = 7 * 24 * 3600_000;

export class AccountBook {
  private seq: number;
  private grantedMilli: number;
  private chargedMilli: number;
  private refundedMilli: number;
  private readonly jobs: Map<string, BookJob>;
  private grants: string[];
  private readonly grantSet: Set<string>;
  private entries: LedgerEntry[];

  constructor(carried?: AccountState) {
    this.seq = carried?.seq ?? 0;
    this.grantedMilli = carried?.grantedMilli ?? 0;
    this.chargedMilli = carried?.chargedMilli ?? 0;
    this.refundedMilli = carried?.refundedMilli ?? 0;
    this.jobs = new Map(Object.entries(carried?.jobs ?? {}));
    this.grants = [...(carried?.grants ?? [])];
    this.grantSet = new Set(this.grants);
    this.entries = [...(carried?.entries ?? [])];
  }

  get balanceMilli(): number {
    return this.grantedMilli - this.chargedMilli + this.refundedMilli;
  }

  /** Reservations of jobs not settled yet. */
  get reservedMilli(): number {
    let r = 0;
    for (const j of this.jobs.values()) if (j.state === 'open') r += j.reservedMilli;
    return r;
  }

  get hasOpenJobs(): boolean {
    for (const j of this.jobs.values()) if (j.state === 'open') return true;
    return false;
  }

  /** Jobs whose reservation is open and was made at or before `beforeIso` (candidates for the sweep). */
  openJobIds(beforeIso: string): string[] {
    const out: string[] = [];
    for (const [id, j] of this.jobs) if (j.state === 'open' && j.reservedAt <= beforeIso) out.push(id);
    return out;
  }

  job(jobId: string): BookJob | undefined {
    return this.jobs.get(jobId);
  }

  /** Why a reservation would be refused (undefined = it would be applied, or was already). */
  reserveRejection(req: ReserveRequest): string | undefined {
    if (this.jobs.has(req.jobId)) return undefined;
    const amount = toMilli(req.amount);
    if (amount > this.balanceMilli)
      return `insufficient credits: job ${req.jobId} needs ${fromMilli(amount)}, the balance is ${fromMilli(this.balanceMilli)}`;
    return undefined;
  }

  reserve(req: ReserveRequest, at: string): ReserveAnswer {
    const known = this.jobs.get(req.jobId);
    if (known) {
      const entry = this.entries.find((e) => e.jobId === req.jobId && e.kind === 'reserve');
      return { applied: false, ...(entry && { entry }), ...this.balances() };
    }
    const why = this.reserveRejection(req);
    if (why) throw new Error(why);
    const amount = toMilli(req.amount);
    this.jobs.set(req.jobId, {
      reservedMilli: amount,
      chargedMilli: 0,
      refundedMilli: 0,
      reservedAt: at,
      state: 'open',
    });
    const entry = this.append('reserve', amount, at, { jobId: req.jobId });
    return { applied: true, entry, ...this.balances() };
  }

  /**
   * The job ended: its net cost (reservation + charges − refunds) becomes the target — the actual
   * cost when it completed (capped at the reservation under `cap`), nothing when it was cancelled
   * or failed under refund rule `full`, its GPU time under `gpu-used` — by one charge or one refund.
   */
  settle(req: SettleRequest, at: string): SettleAnswer {
    let job = this.jobs.get(req.jobId);
    if (job?.state === 'settled') return { applied: false, ...this.jobAnswer(req.jobId, job, []) };
    if (!job) {
      // No reservation known (reserved before credits were on, or by a pruned book): charge what it cost.
      job = { reservedMilli: 0, chargedMilli: 0, refundedMilli: 0, reservedAt: at, state: 'open' };
      this.jobs.set(req.jobId, job);
    }
    const reserved = job.reservedMilli;
    const cost = toMilli(req.outcome === 'completed' ? req.actual : req.refund === 'full' ? 0 : req.gpuCost);
    const target = req.overrun === 'cap' && reserved > 0 ? Math.min(cost, reserved) : cost;
    const net = reserved + job.chargedMilli - job.refundedMilli;
    const made: LedgerEntry[] = [];
    const reason = `${req.outcome}`;
    if (target > net) {
      job.chargedMilli += target - net;
      made.push(this.append('charge', target - net, at, { jobId: req.jobId, reason }));
    } else if (target < net) {
      job.refundedMilli += net - target;
      made.push(this.append('refund', net - target, at, { jobId: req.jobId, reason }));
    }
    job.state = 'settled';
    job.outcome = req.outcome;
    job.endedAt = at;
    return { applied: true, ...this.jobAnswer(req.jobId, job, made) };
  }

  /** Open reservations of jobs found closed without settling (terminated, timed out, never started): refunded in full. */
  sweep(closedJobIds: readonly string[], at: string): LedgerEntry[] {
    const made: LedgerEntry[] = [];
    for (const id of closedJobIds) {
      const job = this.jobs.get(id);
      if (!job || job.state !== 'open') continue;
      const net = job.reservedMilli + job.chargedMilli - job.refundedMilli;
      if (net > 0) {
        job.refundedMilli += net;
        made.push(this.append('refund', net, at, { jobId: id, reason: 'job closed without settling' }));
      }
      job.state = 'swept';
      job.outcome = 'closed';
      job.endedAt = at;
    }
    return made;
  }

  grant(req: GrantRequest, at: string): GrantAnswer {
    if (this.grantSet.has(req.grantId)) {
      const entry = this.entries.find((e) => e.kind === 'grant' && e.grantId === req.grantId);
      return { applied: false, ...(entry && { entry }), balance: fromMilli(this.balanceMilli) };
    }
    this.grantSet.add(req.grantId);
    this.grants.push(req.grantId);
    const entry = this.append('grant', toMilli(req.amount), at, { grantId: req.grantId, reason: req.reason });
    return { applied: true, entry, balance: fromMilli(this.balanceMilli) };
  }

  /** Forgets what no retry can need any more; bounds the entries and grant ids. */
  prune(nowMs: number): void {
    const before = new Date(nowMs - KEEP_SETTLED_MS).toISOString();
    for (const [id, j] of this.jobs)
      if (j.state !== 'open' && j.endedAt !== undefined && j.endedAt < before) this.jobs.delete(id);
    if (this.entries.length > MAX_ENTRIES) this.entries = this.entries.slice(-MAX_ENTRIES);
    if (this.grants.length > MAX_GRANT_IDS) {
      for (const g of this.grants.slice(0, this.grants.length - MAX_GRANT_IDS)) this.grantSet.delete(g);
      this.grants = this.grants.slice(-MAX_GRANT_IDS);
    }
  }

  summary(owner: string): AccountSummary {
    let open = 0;
    for (const j of this.jobs.values()) if (j.state === 'open') open++;
    return {
      owner,
      ...this.balances(),
      openJobs: open,
      totals: {
        granted: fromMilli(this.grantedMilli),
        charged: fromMilli(this.chargedMilli),
        refunded: fromMilli(this.refundedMilli),
      },
      lastSeq: this.seq,
    };
  }

  /** Newest first: entries with seq below `before` (all when absent), at most `limit`. */
  page(req: EntriesRequest): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < req.limit; i--) {
      const e = this.entries[i]!;
      if (req.before === undefined || e.seq < req.before) out.push(e);
    }
    return out;
  }

  state(): AccountState {
    return {
      seq: this.seq,
      grantedMilli: this.grantedMilli,
      chargedMilli: this.chargedMilli,
      refundedMilli: this.refundedMilli,
      jobs: Object.fromEntries(this.jobs),
      grants: [...this.grants],
      entries: [...this.entries],
    };
  }

  private balances(): { balance: number; reserved: number } {
    return { balance: fromMilli(this.balanceMilli), reserved: fromMilli(this.reservedMilli) };
  }

  private jobAnswer(jobId: string, job: BookJob, entries: LedgerEntry[]) {
    return {
      reserved: fromMilli(job.reservedMilli),
      charged: fromMilli(job.reservedMilli + job.chargedMilli - job.refundedMilli),
      refunded: fromMilli(job.refundedMilli),
      entries: entries.length ? entries : this.entries.filter((e) => e.jobId === jobId && e.kind !== 'reserve'),
      balance: fromMilli(this.balanceMilli),
    };
  }

  private append(
    kind: EntryKind,
    milli: number,
    at: string,
    extra: { jobId?: string; grantId?: string; reason?: string },
  ): LedgerEntry {
    if (kind === 'grant') this.grantedMilli += milli;
    else if (kind === 'refund') this.refundedMilli += milli;
    else this.chargedMilli += milli;
    const entry: LedgerEntry = {
      seq: ++this.seq,
      at,
      kind,
      amount: fromMilli(milli),
      balance: fromMilli(this.balanceMilli),
      ...extra,
    };
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES * 2) this.entries = this.entries.slice(-MAX_ENTRIES);
    return entry;
  }
}
