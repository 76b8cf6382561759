// The state of one quota entity (one pool, one owner): leases held, requests waiting, the limit.
// Pure and deterministic (no workflow APIs), so every interleaving is unit-testable; the quota
// workflow drives it and signals the jobs whose requests it grants.
import type { GpuLimit, LeaseAnswer, LeaseRequest, QuotaBookState, QuotaLease } from '../src/domain/quota';

export class QuotaBook {
  /** Set by the admin API; undefined = use the default. */
  private explicitLimit: GpuLimit | undefined;
  private defaultLimit: GpuLimit;
  private readonly leases = new Map<string, QuotaLease>();
  private waiting: QuotaLease[] = [];

  constructor(carried?: QuotaBookState) {
    this.explicitLimit = carried?.explicitLimit;
    this.defaultLimit = carried?.defaultLimit ?? null;
    for (const l of carried?.leases ?? []) this.leases.set(l.leaseId, l);
    this.waiting = [...(carried?.waiting ?? [])];
  }

  /** The limit in force; null = unlimited. */
  get limit(): GpuLimit {
    return this.explicitLimit !== undefined ? this.explicitLimit : this.defaultLimit;
  }

  get held(): number {
    let n = 0;
    for (const l of this.leases.values()) n += l.gpus;
    return n;
  }

  get hasExplicitLimit(): boolean {
    return this.explicitLimit !== undefined;
  }

  /** True when nothing is held or waiting. */
  get idle(): boolean {
    return this.leases.size === 0 && this.waiting.length === 0;
  }

  /** Job ids with a lease or a waiting request. */
  holders(): string[] {
    return [...new Set([...this.leases.values(), ...this.waiting].map((l) => l.jobId))].sort();
  }

  /**
   * A lease request. Idempotent: a lease already granted answers granted, a waiting one its
   * place. `granted` lists *other* requests the call let through (the caller signals their jobs).
   */
  request(req: LeaseRequest, nowIso: string): { answer: LeaseAnswer; granted: QuotaLease[] } {
    if (this.leases.has(req.leaseId)) return { answer: this.answer(req.leaseId), granted: [] };
    const granted: QuotaLease[] = [];
    if (!this.waiting.some((w) => w.leaseId === req.leaseId)) {
      // The caller's view of the deployment default is the latest one.
      this.defaultLimit = req.defaultLimit;
      const entry: QuotaLease = {
        leaseId: req.leaseId,
        jobId: req.jobId,
        nodeId: req.nodeId,
        gpus: req.gpus,
        priority: req.priority,
        requestedAt: nowIso,
      };
      // Priority first (1 before 5), then arrival.
      const at = this.waiting.findIndex((w) => w.priority > req.priority);
      if (at < 0) this.waiting.push(entry);
      else this.waiting.splice(at, 0, entry);
      granted.push(...this.pump(nowIso));
    }
    return { answer: this.answer(req.leaseId), granted: granted.filter((g) => g.leaseId !== req.leaseId) };
  }

  /** Ends a lease or withdraws a waiting request (idempotent); returns the requests it let through. */
  release(leaseId: string, nowIso: string): QuotaLease[] {
    const had = this.leases.delete(leaseId);
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((w) => w.leaseId !== leaseId);
    return had || this.waiting.length !== before ? this.pump(nowIso) : [];
  }

  /** Drops every lease and request of the given jobs (closed without releasing). */
  dropJobs(jobIds: readonly string[], nowIso: string): QuotaLease[] {
    const gone = new Set(jobIds);
    for (const [id, l] of this.leases) if (gone.has(l.jobId)) this.leases.delete(id);
    this.waiting = this.waiting.filter((w) => !gone.has(w.jobId));
    return this.pump(nowIso);
  }

  /** Sets (or with null clears) the explicit limit; returns the requests a raise let through. */
  setExplicitLimit(limit: GpuLimit | undefined, nowIso: string): QuotaLease[] {
    this.explicitLimit = limit;
    return this.pump(nowIso);
  }

  /** A lease granted since (and not yet released) — for the job to ignore or release. */
  isGranted(leaseId: string): boolean {
    return this.leases.has(leaseId);
  }

  state(): QuotaBookState {
    return {
      ...(this.explicitLimit !== undefined && { explicitLimit: this.explicitLimit }),
      defaultLimit: this.defaultLimit,
      leases: [...this.leases.values()],
      waiting: [...this.waiting],
    };
  }

  private answer(leaseId: string): LeaseAnswer {
    const granted = this.leases.has(leaseId);
    return {
      granted,
      held: this.held,
      limit: this.limit,
      ahead: granted
        ? 0
        : Math.max(
            0,
            this.waiting.findIndex((w) => w.leaseId === leaseId),
          ),
    };
  }

  private fits(gpus: number, held: number): boolean {
    return this.limit === null || held + gpus <= this.limit;
  }

  /**
   * Grants waiting requests in order while they fit. A request larger than the limit itself stays
   * waiting (until the limit is raised) without blocking smaller ones behind it; any other request
   * that does not fit yet blocks those behind it, so a big request is not starved by small ones.
   */
  private pump(nowIso: string): QuotaLease[] {
    const granted: QuotaLease[] = [];
    let held = this.held;
    const still: QuotaLease[] = [];
    let blocked = false;
    for (const w of this.waiting) {
      const never = this.limit !== null && w.gpus > this.limit;
      if (!blocked && !never && this.fits(w.gpus, held)) {
        const lease = { ...w, grantedAt: nowIso };
        this.leases.set(w.leaseId, lease);
        held += w.gpus;
        granted.push(lease);
        continue;
      }
      if (!never) blocked = true;
      still.push(w);
    }
    this.waiting = still;
    return granted;
  }
}
