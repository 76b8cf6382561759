// Credits: what a job costs, and the ledger of every owner's account. Sandbox-safe: the job
// workflow, the account entity workflow, the API and the CLI import these definitions.
//
// Where the ledger lives: one account entity workflow per (deployment, owner), id
// accountWorkflowId(…), reached by update-with-start. Every change is an update with a key of its
// own — (job, reserve), (job, settle), (grant id) — and the entity keeps the keys it has applied (carried
// across continue-as-new), so a retried update (a worker or API process killed after the update
// was applied but before it learned so) is answered from the book instead of applied twice.
// Temporal runs one update at a time per workflow and persists it before it answers, so the book
// is always consistent and nothing is lost once an update has been answered.
//
// The money model (amounts are credits with at most 3 decimals; the book counts integer
// milli-credits, so sums are exact):
// - `grant`   +amount: an admin (or `npm start`) adds credits.
// - `reserve` −amount: the job's estimate, taken from the balance when the job is submitted
//   (a charge made up front; the job cannot start without it → 402 insufficient_credits).
// - `charge`  −amount: at the end, what the actual cost exceeds the reservation by (overrun policy `charge`).
// - `refund`  +amount: at the end, what the reservation exceeds the actual cost by; a cancelled or
//   failed job's reservation (refund rule `full`, the default: everything back).
// balance = grants − (reservations + charges) + refunds, at every moment; `reserved` is the part of
// the reservations whose jobs have not ended yet.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { effectiveGpus, type JobSpec } from './job-spec';
import { BUILTIN_DATASETS, type BuiltinDataset } from './node-types';
import { queueKind } from './routing';
import { DEFAULT_POOL } from './task-queues';
import { cachedSchema } from './schema-cache';

// ---- amounts ----

/** Credits → integer milli-credits (the book's unit). */
export function toMilli(credits: number): number {
  return Math.round(credits * 1000);
}
/** Milli-credits → credits (at most 3 decimals). */
export function fromMilli(milli: number): number {
  return milli / 1000;
}
/** A credit amount as it crosses a boundary: finite, ≥ 0, at most 1e12, rounded to 3 decimals. */
export const CreditAmount = cachedSchema('src/domain/credits#CreditAmount', () =>
  z
    .number()
    .finite()
    .min(0)
    .max(1e12)
    .transform((v) => fromMilli(toMilli(v))),
);

// ---- the cost model (operator configuration: TRAINYARD_CREDITS_COSTS) ----

export const CostRates = cachedSchema('src/domain/credits#CostRates', () =>
  z.strictObject({
    /** Per job. */
    base: z.number().min(0).default(1),
    /** Per dataset cell (rows × columns), summed over the job's dataset nodes. */
    cell: z.number().min(0).default(0.00001),
    /** Per model parameter, summed over the job's train nodes (model complexity). */
    parameter: z.number().min(0).default(0.00001),
    /** Per preprocess node. */
    preprocess: z.number().min(0).default(0.5),
    /** Per visualize node. */
    visualization: z.number().min(0).default(0.25),
    /** Per GPU-second, by pool; `*` is every pool not listed. */
    gpuSecond: z.record(z.string(), z.number().min(0)).default({ '*': 0.01 }),
    /** Estimates only: GPU-seconds assumed for a GPU node whose spec gives no `estimatedDuration`. */
    assumedGpuSeconds: z.number().min(0).default(60),
    /** Estimates only: cells assumed for a dataset file whose size is not known at submit. */
    assumedCells: z.number().min(0).default(100_000),
  }),
);
export type CostRates = z.infer<typeof CostRates>;

/** What happens to a cancelled or failed job's reservation. */
export const RefundRule = cachedSchema('src/domain/credits#RefundRule', () =>
  z.enum([
    /** The seed's rule: the whole reservation comes back. */
    'full',
    /** GPU time already consumed is charged (at the pool's rate, at most the reservation); the rest comes back. */
    'gpu-used',
  ]),
);
export type RefundRule = z.infer<typeof RefundRule>;

/** A completed job whose actual cost exceeds its reservation. */
export const OverrunPolicy = cachedSchema('src/domain/credits#OverrunPolicy', () =>
  z.enum([
    /** The difference is charged too (the balance may go below zero; then nothing new starts until a grant). */
    'charge',
    /** The charge stops at the reservation: the estimate is a price ceiling. */
    'cap',
  ]),
);
export type OverrunPolicy = z.infer<typeof OverrunPolicy>;

export const CreditSettings = cachedSchema('src/domain/credits#CreditSettings', () =>
  z.object({
    rates: CostRates,
    refund: RefundRule,
    overrun: OverrunPolicy,
  }),
);
export type CreditSettings = z.infer<typeof CreditSettings>;

const RATE_KEYS = ['base', 'cell', 'parameter', 'preprocess', 'visualization', 'assumedGpuSeconds', 'assumedCells'];

/**
 * TRAINYARD_CREDITS_COSTS: `key=value` entries, comma-separated; keys base, cell, parameter,
 * preprocess, visualization, gpuSecond (every pool) or gpuSecond.<pool>, assumedGpuSeconds,
 * assumedCells. Unlisted keys keep their defaults. Throws naming the bad entry.
 */
export function parseCostRates(text: string): CostRates {
  const raw: Record<string, unknown> = {};
  const gpu: Record<string, number> = {};
  for (const entry of text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z]+)(?:\.([a-z0-9][a-z0-9-]*))?=(\d+(?:\.\d+)?(?:e-?\d+)?)$/.exec(entry);
    const key = m?.[1];
    if (!m || !key || (key !== 'gpuSecond' && (!RATE_KEYS.includes(key) || m[2] !== undefined)))
      throw new Error(
        `TRAINYARD_CREDITS_COSTS: "${entry}" is not KEY=NUMBER with KEY one of ${[...RATE_KEYS, 'gpuSecond', 'gpuSecond.<pool>'].join(', ')}`,
      );
    if (key === 'gpuSecond') gpu[m[2] ?? '*'] = Number(m[3]);
    else raw[key] = Number(m[3]);
  }
  if (Object.keys(gpu).length) raw.gpuSecond = { '*': 0.01, ...gpu };
  return CostRates.parse(raw);
}

export function gpuRate(rates: CostRates, pool: string): number {
  return rates.gpuSecond[pool] ?? rates.gpuSecond['*'] ?? 0;
}

// ---- usage and cost ----

/** What a job used (or is expected to use): the terms of the cost model. */
export const CreditUsage = cachedSchema('src/domain/credits#CreditUsage', () =>
  z.object({
    /** Dataset cells (rows × columns), summed over dataset nodes. */
    cells: z.number().min(0),
    /** Model parameters, summed over train nodes. */
    parameters: z.number().min(0),
    preprocess: z.number().int().min(0),
    visualizations: z.number().int().min(0),
    /** GPU-seconds by pool (GPUs held × seconds, every attempt). */
    gpuSeconds: z.record(z.string(), z.number().min(0)),
  }),
);
export type CreditUsage = z.infer<typeof CreditUsage>;

export const CostBreakdown = cachedSchema('src/domain/credits#CostBreakdown', () =>
  z.object({
    base: z.number(),
    data: z.number(),
    model: z.number(),
    preprocess: z.number(),
    visualizations: z.number(),
    gpu: z.number(),
    total: z.number(),
  }),
);
export type CostBreakdown = z.infer<typeof CostBreakdown>;

/** The cost of a usage under the rates; every term rounded to 3 decimals, the total their sum. */
export function costOf(usage: CreditUsage, rates: CostRates): CostBreakdown {
  const r = (x: number) => fromMilli(Math.round(x * 1000));
  const gpu = Object.entries(usage.gpuSeconds).reduce((s, [pool, secs]) => s + secs * gpuRate(rates, pool), 0);
  const terms = {
    base: r(rates.base),
    data: r(usage.cells * rates.cell),
    model: r(usage.parameters * rates.parameter),
    preprocess: r(usage.preprocess * rates.preprocess),
    visualizations: r(usage.visualizations * rates.visualization),
    gpu: r(gpu),
  };
  const total = fromMilli(Object.values(terms).reduce((s, v) => s + toMilli(v), 0));
  return { ...terms, total };
}

/** Rows × columns of the built-in samples (data/samples; the header row not counted, the target counted). */
export const BUILTIN_DATASET_SIZES: Record<BuiltinDataset, { rows: number; columns: number }> = {
  iris: { rows: 150, columns: 5 },
  breast_cancer: { rows: 569, columns: 31 },
  diabetes: { rows: 442, columns: 11 },
  penguins: { rows: 344, columns: 7 },
  cars: { rows: 406, columns: 9 },
  wine: { rows: 178, columns: 14 },
};

/** Parameters of an MLP-like model: (in → h1 → … → out), weights and biases. */
export function mlpParameters(inputs: number, hidden: readonly number[], outputs: number): number {
  const sizes = [inputs, ...hidden, outputs];
  let n = 0;
  for (let i = 1; i < sizes.length; i++) n += sizes[i - 1]! * sizes[i]! + sizes[i]!;
  return n;
}

export interface EstimateContext {
  /** GPU pool per GPU-queue node (resolvePools); missing = the default pool. */
  pools: Record<string, string>;
  /** Sizes of dataset files the caller could read (by node id); others use rates.assumedCells. */
  datasetSizes?: Record<string, { rows: number; columns: number }>;
}

/** The usage a job is expected to have, from its spec alone (and dataset sizes the caller knows). */
export function estimateUsage(spec: JobSpec, rates: CostRates, ctx: EstimateContext): CreditUsage {
  const usage: CreditUsage = { cells: 0, parameters: 0, preprocess: 0, visualizations: 0, gpuSeconds: {} };
  let columns = 0;
  for (const node of spec.nodes) {
    const config = (node.config ?? {}) as Record<string, unknown>;
    switch (node.type) {
      case 'dataset': {
        const name = typeof config.name === 'string' ? config.name : undefined;
        const size = isBuiltin(name) ? BUILTIN_DATASET_SIZES[name] : ctx.datasetSizes?.[node.id];
        usage.cells += size ? size.rows * size.columns : rates.assumedCells;
        columns = Math.max(columns, size?.columns ?? 0);
        break;
      }
      case 'preprocess':
        usage.preprocess++;
        break;
      case 'visualize':
        usage.visualizations++;
        break;
      case 'train': {
        const hidden = Array.isArray(config.hiddenLayers)
          ? config.hiddenLayers.filter((x): x is number => typeof x === 'number')
          : [32];
        const model = typeof config.model === 'string' ? config.model : 'mlp';
        const inputs = Math.max(1, columns - 1);
        // Outputs are not known before the data is: assume a few classes (one output for regressions).
        const outputs = model.includes('regress') ? 1 : 3;
        usage.parameters += model.startsWith('mlp') ? mlpParameters(inputs, hidden, outputs) : (inputs + 1) * outputs;
        break;
      }
      default:
        break;
    }
    const gpus = effectiveGpus(node);
    if (gpus > 0 && queueKind(node) !== 'cpu') {
      const pool = ctx.pools[node.id] ?? DEFAULT_POOL;
      const secs = node.estimatedDuration !== undefined ? node.estimatedDuration / 1000 : rates.assumedGpuSeconds;
      usage.gpuSeconds[pool] = (usage.gpuSeconds[pool] ?? 0) + gpus * secs;
    }
  }
  return usage;
}

function isBuiltin(name: string | undefined): name is BuiltinDataset {
  return name !== undefined && (BUILTIN_DATASETS as readonly string[]).includes(name);
}

/** The estimate of a job: its expected usage, the cost of it, and the rules it settles under. */
export const CreditEstimate = cachedSchema('src/domain/credits#CreditEstimate', () =>
  z.object({
    usage: CreditUsage,
    cost: CostBreakdown,
  }),
);
export type CreditEstimate = z.infer<typeof CreditEstimate>;

/** What a job records at submit when credits are on (in its snapshot): the reservation and the rules it settles under. */
export const SnapshotCredits = cachedSchema('src/domain/credits#SnapshotCredits', () =>
  z.object({
    /** The reservation made at submit (= the estimate's total). */
    reserved: z.number(),
    estimate: CreditEstimate,
    settings: CreditSettings,
  }),
);
export type SnapshotCredits = z.infer<typeof SnapshotCredits>;

/** A job's credits as its view shows them. */
export const JobCredits = cachedSchema('src/domain/credits#JobCredits', () =>
  z.object({
    estimated: z.number(),
    reserved: z.number(),
    /** What the job cost in the end (0 until it ends). */
    charged: z.number(),
    /** What came back of the reservation (0 until it ends). */
    refunded: z.number(),
    /** True once the account entity settled the job. */
    settled: z.boolean(),
    estimate: CreditEstimate.optional(),
    /** The measured usage and its cost, once the job ended. */
    actual: CreditEstimate.optional(),
  }),
);
export type JobCredits = z.infer<typeof JobCredits>;

// ---- the ledger ----

export const ENTRY_KINDS = ['grant', 'reserve', 'charge', 'refund'] as const;
export const EntryKind = cachedSchema('src/domain/credits#EntryKind', () => z.enum(ENTRY_KINDS));
export type EntryKind = z.infer<typeof EntryKind>;

export const LedgerEntry = cachedSchema('src/domain/credits#LedgerEntry', () =>
  z.object({
    /** 1, 2, 3 … in the order the entity applied them. */
    seq: z.number().int(),
    at: z.string(),
    kind: EntryKind,
    /** Always ≥ 0; the kind says which way it moves the balance. */
    amount: z.number(),
    /** The balance after this entry. */
    balance: z.number(),
    jobId: z.string().optional(),
    grantId: z.string().optional(),
    reason: z.string().optional(),
  }),
);
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** A job the book knows: its reservation and how it ended. */
export const BookJob = cachedSchema('src/domain/credits#BookJob', () =>
  z.object({
    reservedMilli: z.number().int(),
    chargedMilli: z.number().int(),
    refundedMilli: z.number().int(),
    reservedAt: z.string(),
    /** `settled`: the job ended and was settled; `swept`: its workflow was found closed without settling (refunded). */
    state: z.enum(['open', 'settled', 'swept']),
    endedAt: z.string().optional(),
    /** The settle's answer, for a retried settle. */
    outcome: z.enum(['completed', 'failed', 'cancelled', 'closed']).optional(),
  }),
);
export type BookJob = z.infer<typeof BookJob>;

/** What the account entity carries across continue-as-new (and its query's source). */
export const AccountState = cachedSchema('src/domain/credits#AccountState', () =>
  z.object({
    seq: z.number().int(),
    grantedMilli: z.number().int(),
    /** Reservations + charges. */
    chargedMilli: z.number().int(),
    refundedMilli: z.number().int(),
    /** Every job with a reservation, until its settlement is old (the dedupe set for reserve and settle). */
    jobs: z.record(z.string(), BookJob),
    /** Grant ids applied (the dedupe set for grants), oldest first, bounded. */
    grants: z.array(z.string()),
    /** The newest entries, oldest first, bounded (older ones are summed in the totals). */
    entries: z.array(LedgerEntry),
  }),
);
export type AccountState = z.infer<typeof AccountState>;

export const Owner = cachedSchema('src/domain/credits#Owner', () =>
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'must be an owner name (letters, digits, "_", ".", "@", "-")'),
);

export const ReserveRequest = cachedSchema('src/domain/credits#ReserveRequest', () =>
  z.strictObject({
    jobId: z.string().min(1).max(200),
    amount: CreditAmount,
  }),
);
export type ReserveRequest = z.infer<typeof ReserveRequest>;

export const JobOutcome = cachedSchema('src/domain/credits#JobOutcome', () =>
  z.enum(['completed', 'failed', 'cancelled']),
);
export type JobOutcome = z.infer<typeof JobOutcome>;

export const SettleRequest = cachedSchema('src/domain/credits#SettleRequest', () =>
  z.strictObject({
    jobId: z.string().min(1).max(200),
    outcome: JobOutcome,
    /** The actual cost of the whole job (every term, measured). */
    actual: CreditAmount,
    /** The cost of the GPU time it consumed (the `gpu-used` refund rule charges this on cancel/fail). */
    gpuCost: CreditAmount,
    refund: RefundRule,
    overrun: OverrunPolicy,
  }),
);
export type SettleRequest = z.infer<typeof SettleRequest>;

export const GrantRequest = cachedSchema('src/domain/credits#GrantRequest', () =>
  z.strictObject({
    /** Dedupe key: the same grant id is applied once. */
    grantId: z.string().min(1).max(200),
    amount: CreditAmount.refine((v) => v > 0, 'must be more than 0'),
    reason: z.string().min(1).max(500),
  }),
);
export type GrantRequest = z.infer<typeof GrantRequest>;

export const ReserveAnswer = cachedSchema('src/domain/credits#ReserveAnswer', () =>
  z.object({
    entry: LedgerEntry.optional(),
    /** False when the key was applied before (the answer is the book's, nothing changed). */
    applied: z.boolean(),
    balance: z.number(),
    reserved: z.number(),
  }),
);
export type ReserveAnswer = z.infer<typeof ReserveAnswer>;

export const SettleAnswer = cachedSchema('src/domain/credits#SettleAnswer', () =>
  z.object({
    applied: z.boolean(),
    reserved: z.number(),
    charged: z.number(),
    refunded: z.number(),
    entries: z.array(LedgerEntry),
    balance: z.number(),
  }),
);
export type SettleAnswer = z.infer<typeof SettleAnswer>;

export const GrantAnswer = cachedSchema('src/domain/credits#GrantAnswer', () =>
  z.object({ applied: z.boolean(), entry: LedgerEntry.optional(), balance: z.number() }),
);
export type GrantAnswer = z.infer<typeof GrantAnswer>;

/** An account as the API shows it. */
export const AccountTotals = cachedSchema('src/domain/credits#AccountTotals', () =>
  z.object({ granted: z.number(), charged: z.number(), refunded: z.number() }),
);
export const AccountSummary = cachedSchema('src/domain/credits#AccountSummary', () =>
  z.object({
    owner: z.string(),
    /** grants − charges (reservations included) + refunds. */
    balance: z.number(),
    /** Reservations of jobs that have not ended. */
    reserved: z.number(),
    openJobs: z.number().int(),
    totals: AccountTotals,
    lastSeq: z.number().int(),
  }),
);
export type AccountSummary = z.infer<typeof AccountSummary>;

/** Updates and queries of the account entity. */
export const reserveUpdate = defineUpdate<ReserveAnswer, [ReserveRequest]>('reserveCredits');
export const settleUpdate = defineUpdate<SettleAnswer, [SettleRequest]>('settleCredits');
export const grantUpdate = defineUpdate<GrantAnswer, [GrantRequest]>('grantCredits');
export const accountQuery = defineQuery<AccountSummary>('account');
export const EntriesRequest = cachedSchema('src/domain/credits#EntriesRequest', () =>
  z.strictObject({
    /** Entries with seq below this (newest first); absent = from the newest. */
    before: z.number().int().min(1).optional(),
    limit: z.number().int().min(1).max(500),
  }),
);
export type EntriesRequest = z.infer<typeof EntriesRequest>;
export const entriesQuery = defineQuery<LedgerEntry[], [EntriesRequest]>('accountEntries');

/** Failure type of a rejected reservation (the update's validator refuses it, so nothing is written). */
export const INSUFFICIENT_CREDITS = 'InsufficientCredits';

export const ACCOUNT_WORKFLOW_TYPE = 'accountWorkflow';

/** One account entity per deployment (queue prefix) and owner. */
export function accountWorkflowId(queuePrefix: string, owner: string): string {
  return `${queuePrefix}-account:${owner}`;
}

export interface AccountWorkflowInput {
  owner: string;
  /** How often open reservations are checked against their jobs (a terminated job's is refunded). */
  sweepMs: number;
  carried?: AccountState;
}

/** A job's settlement, as its workflow asks for it (a local activity sends the update). */
export interface SettleCall {
  queuePrefix: string;
  owner: string;
  request: SettleRequest;
}

/** Local activities of the workflows Worker for credits. */
export interface CreditActivities {
  settleJobCredits(call: SettleCall): Promise<SettleAnswer>;
  /** The given job ids whose workflows are closed or gone (shared with the quota entity's sweep). */
  findClosedJobs(jobIds: string[]): Promise<string[]>;
}
