// Credit accounts: the caller's own (/v1/account), any owner's for admins (/v1/accounts/:owner),
// ledger entries page by page, and admin grants. Another owner's account is a 404 to non-admins —
// the same answer as an owner that has none, so names cannot be probed.
import { randomUUID } from 'node:crypto';
import type { AccountSummary, LedgerEntry } from '../../domain/credits';
import type { AccountView, EntryPage } from '../../http/contracts';
import type { AccountClient } from '../../credits/account-client';
import type { ResolvedDeps } from '../deps';
import type { Principal } from '../auth';
import { HttpError } from '../errors';
import type { RouteHandlers } from '../route-table';

const OFF_MESSAGE = 'credits are off (TRAINYARD_CREDITS is not "on"): nothing is reserved or charged';

function visibleOwner(principal: Principal, owner: string): string {
  if (owner !== principal.owner && !principal.admin)
    throw new HttpError(404, 'account_not_found', `no account ${JSON.stringify(owner)}`);
  return owner;
}

function emptySummary(owner: string): AccountSummary {
  return { owner, balance: 0, reserved: 0, openJobs: 0, totals: { granted: 0, charged: 0, refunded: 0 }, lastSeq: 0 };
}

export function accountHandlers(
  d: ResolvedDeps,
): Pick<RouteHandlers, 'getAccount' | 'listAccountEntries' | 'getOwnerAccount' | 'listOwnerEntries' | 'grantCredits'> {
  const accounts = (): AccountClient | undefined => d.trainyard.accounts;

  async function view(owner: string): Promise<AccountView> {
    const a = accounts();
    if (!a) return { ...emptySummary(owner), enabled: false, message: OFF_MESSAGE, recent: [] };
    const [summary, recent] = await Promise.all([a.get(owner), a.entries(owner, { limit: 10 })]);
    return { ...summary, enabled: true, recent };
  }

  async function page(owner: string, q: { pageSize: number; pageToken?: string }): Promise<EntryPage> {
    const a = accounts();
    if (!a) return { owner, entries: [] };
    const before = q.pageToken !== undefined ? Number(q.pageToken) : undefined;
    const entries: LedgerEntry[] = await a.entries(owner, { limit: q.pageSize, ...(before && { before }) });
    const last = entries.at(-1);
    const more = entries.length === q.pageSize && last !== undefined && last.seq > 1;
    return { owner, entries, ...(more && { nextPageToken: String(last.seq) }) };
  }

  return {
    getAccount: async ({ principal }) => ({ status: 200, body: await view(principal.owner) }),
    listAccountEntries: async ({ principal, query }) => ({ status: 200, body: await page(principal.owner, query) }),
    getOwnerAccount: async ({ principal, params }) => ({
      status: 200,
      body: await view(visibleOwner(principal, params.owner)),
    }),
    listOwnerEntries: async ({ principal, params, query }) => ({
      status: 200,
      body: await page(visibleOwner(principal, params.owner), query),
    }),
    async grantCredits({ principal, params, headers, body }) {
      const owner = visibleOwner(principal, params.owner);
      if (!principal.admin) throw new HttpError(403, 'forbidden', 'granting credits needs an admin key');
      const a = accounts();
      if (!a) throw new HttpError(409, 'credits_disabled', OFF_MESSAGE);
      const grantId = body.grantId ?? headers['idempotency-key'] ?? randomUUID();
      const r = await a.grant(owner, { grantId, amount: body.amount, reason: body.reason });
      return {
        status: r.applied ? 201 : 200,
        body: { owner, applied: r.applied, ...(r.entry && { entry: r.entry }), balance: r.balance },
      };
    },
  };
}
