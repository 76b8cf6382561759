// Reading and changing credit accounts (the API, `npm start` and the submission path go through
// this): reservations and grants are update-with-start on the owner's account entity, so an
// account exists from its first use; reads query it (an account never used reads as empty).
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  AccountSummary,
  INSUFFICIENT_CREDITS,
  accountQuery,
  accountWorkflowId,
  entriesQuery,
  grantUpdate,
  reserveUpdate,
  type GrantAnswer,
  type GrantRequest,
  type LedgerEntry,
  type ReserveAnswer,
  type ReserveRequest,
} from '../domain/credits';
import { TrainyardError } from '../sdk/errors';
import { accountStart, ledgerKey, type AccountSettings } from './credit-activities';

/** 402: the owner's balance does not cover the job's estimate; nothing was reserved or started. */
export class InsufficientCreditsError extends TrainyardError {
  constructor(
    readonly credits: { balance: number; reserved: number; estimate: number },
    message: string,
  ) {
    super(402, 'insufficient_credits', message, [
      { path: 'credits.balance', message: String(credits.balance) },
      { path: 'credits.estimate', message: String(credits.estimate) },
    ]);
    this.name = 'InsufficientCreditsError';
  }
}

function emptyAccount(owner: string): AccountSummary {
  return {
    owner,
    balance: 0,
    reserved: 0,
    openJobs: 0,
    totals: { granted: 0, charged: 0, refunded: 0 },
    lastSeq: 0,
  };
}

function notFound(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError || (err as { code?: number }).code === 5;
}

export class AccountClient {
  constructor(
    private readonly client: Client,
    private readonly queuePrefix: string,
    private readonly settings: AccountSettings,
  ) {}

  /** Reserves a job's estimate; InsufficientCreditsError when the balance does not cover it. Idempotent per job. */
  async reserve(owner: string, req: ReserveRequest): Promise<ReserveAnswer> {
    try {
      return await this.client.workflow.executeUpdateWithStart(reserveUpdate, {
        args: [req],
        updateId: ledgerKey.reserve(req.jobId),
        startWorkflowOperation: accountStart(this.queuePrefix, owner, this.settings),
      });
    } catch (err) {
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === INSUFFICIENT_CREDITS) {
        const parsed = AccountSummary.safeParse(cause.details?.[0]);
        const account = parsed.success ? parsed.data : await this.get(owner);
        throw new InsufficientCreditsError(
          { balance: account.balance, reserved: account.reserved, estimate: req.amount },
          `insufficient credits: the job's estimate is ${req.amount} credits, the balance is ${account.balance}`,
        );
      }
      throw err;
    }
  }

  /** Adds credits; the same grant id is applied once. */
  async grant(owner: string, req: GrantRequest): Promise<GrantAnswer> {
    return this.client.workflow.executeUpdateWithStart(grantUpdate, {
      args: [req],
      updateId: ledgerKey.grant(req.grantId),
      startWorkflowOperation: accountStart(this.queuePrefix, owner, this.settings),
    });
  }

  async get(owner: string): Promise<AccountSummary> {
    try {
      return await this.handle(owner).query(accountQuery);
    } catch (err) {
      if (notFound(err)) return emptyAccount(owner);
      throw err;
    }
  }

  /** Newest first: up to `limit` entries with seq below `before`. */
  async entries(owner: string, opts: { before?: number; limit: number }): Promise<LedgerEntry[]> {
    try {
      return await this.handle(owner).query(entriesQuery, {
        limit: opts.limit,
        ...(opts.before !== undefined && { before: opts.before }),
      });
    } catch (err) {
      if (notFound(err)) return [];
      throw err;
    }
  }

  private handle(owner: string) {
    return this.client.workflow.getHandle(accountWorkflowId(this.queuePrefix, owner));
  }
}
