// `trainyard credits`: the caller's balance, reserved and newest entries; `--entries` pages the
// ledger; `--owner` (admin keys) another owner's; `grant` (admin) adds credits.
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { AccountView, LedgerEntry } from '../http/contracts';
import { api, CliError, type CliEnv } from './http';

interface Io {
  out: (s: string) => void;
}

function entryTable(entries: LedgerEntry[]): string {
  const t = new Table({
    head: ['seq', 'at', 'kind', 'amount', 'balance', 'job / grant', 'reason'],
    style: { head: [], border: [] },
  });
  for (const e of entries) {
    const sign = e.kind === 'grant' || e.kind === 'refund' ? '+' : '−';
    t.push([
      String(e.seq),
      e.at,
      e.kind,
      `${sign}${e.amount}`,
      String(e.balance),
      e.jobId ?? e.grantId ?? '',
      e.reason ?? '',
    ]);
  }
  return t.toString();
}

export function printAccount(a: AccountView, out: (s: string) => void): void {
  if (!a.enabled) {
    out(a.message ?? 'credits are off');
    return;
  }
  out(
    `owner ${a.owner}  balance ${a.balance}  reserved ${a.reserved} (${a.openJobs} running job${a.openJobs === 1 ? '' : 's'})`,
  );
  out(
    `granted ${a.totals.granted}  charged ${a.totals.charged} (reservations included)  refunded ${a.totals.refunded}`,
  );
  if (a.recent.length) out(entryTable(a.recent));
}

export function addCreditsCommands(program: Command, env: CliEnv, io: Io): void {
  const credits = program
    .command('credits')
    .option('--owner <owner>', "another owner's account (admin keys)")
    .option('--entries', 'every ledger entry, newest first (page by page)')
    .option('--page-size <n>', 'entries per page with --entries', '50')
    .option('--json', 'print JSON')
    .description('your credit account: balance, reserved, the newest entries')
    .action(async (o: { owner?: string; entries?: boolean; pageSize: string; json?: boolean }) => {
      const pageSize = Number(o.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500)
        throw new CliError(`--page-size ${o.pageSize}: expected a whole number from 1 to 500`);
      if (o.entries) {
        const all = await api(env, async (c) => {
          const out: LedgerEntry[] = [];
          for await (const e of c.entries({ owner: o.owner, pageSize })) out.push(e);
          return out;
        });
        if (o.json) return all.forEach((e) => io.out(JSON.stringify(e)));
        return io.out(all.length ? entryTable(all) : 'no entries');
      }
      const a = await api(env, (c) => c.account({ owner: o.owner }));
      if (o.json) return io.out(JSON.stringify(a, null, 2));
      printAccount(a, io.out);
    });
  credits
    .command('grant')
    .argument('<owner>')
    .argument('<amount>')
    .requiredOption('--reason <text>', 'why (kept in the ledger)')
    .option('--id <grantId>', 'dedupe key: the same id is applied once')
    .description('admin: add credits to an owner')
    .action(async (owner: string, amount: string, o: { reason: string; id?: string }) => {
      const n = Number(amount);
      if (!Number.isFinite(n) || n <= 0) throw new CliError(`amount ${amount}: expected a number above 0`);
      const r = await api(env, (c) =>
        c.grantCredits(owner, { amount: n, reason: o.reason, ...(o.id !== undefined && { grantId: o.id }) }),
      );
      io.out(`${r.applied ? 'granted' : 'already granted'} ${n} to ${owner}; balance ${r.balance}`);
    });
}
