// The account entity: one workflow per (deployment, owner), id accountWorkflowId(…), holding the
// owner's credit ledger (src/domain/credits.ts says why it lives here). Updates reserve (at submit,
// from the API), settle (at the end of a job, from its workflow) and grant (admin); each is keyed
// and applied at most once (workflows/account-book.ts). A reservation the entity cannot cover is
// refused by the update's validator, so a refusal writes nothing to history. While reservations
// are open, a periodic sweep refunds those whose jobs closed without settling (terminated). Long
// histories — or a newer current build (Worker Versioning) — continue as new, carrying the book.
// It never ends on its own: it holds the balance.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  AccountState,
  EntriesRequest,
  GrantRequest,
  INSUFFICIENT_CREDITS,
  ReserveRequest,
  SettleRequest,
  accountQuery,
  entriesQuery,
  grantUpdate,
  reserveUpdate,
  settleUpdate,
  type AccountWorkflowInput,
  type CreditActivities,
} from '../src/domain/credits';
import { AccountBook } from './account-book';

/** Continue as new well before Temporal's history limits (each update is a few events). */
const MAX_HISTORY_EVENTS = 5_000;

const { findClosedJobs } = proxyLocalActivities<CreditActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export async function accountWorkflow(input: AccountWorkflowInput): Promise<void> {
  const book = new AccountBook(input.carried === undefined ? undefined : AccountState.parse(input.carried));
  const now = () => new Date(Date.now()).toISOString();
  let dirty = false;

  setHandler(
    reserveUpdate,
    (req) => {
      dirty = true;
      return book.reserve(ReserveRequest.parse(req), now());
    },
    {
      validator: (req) => {
        const why = book.reserveRejection(ReserveRequest.parse(req));
        if (why)
          throw ApplicationFailure.create({
            type: INSUFFICIENT_CREDITS,
            message: why,
            nonRetryable: true,
            details: [book.summary(input.owner)],
          });
      },
    },
  );
  setHandler(
    settleUpdate,
    (req) => {
      dirty = true;
      return book.settle(SettleRequest.parse(req), now());
    },
    { validator: (req) => void SettleRequest.parse(req) },
  );
  setHandler(
    grantUpdate,
    (req) => {
      dirty = true;
      const r = book.grant(GrantRequest.parse(req), now());
      if (r.applied) log.info('credits granted', { owner: input.owner, amount: r.entry?.amount, balance: r.balance });
      return r;
    },
    { validator: (req) => void GrantRequest.parse(req) },
  );
  setHandler(accountQuery, () => book.summary(input.owner));
  setHandler(entriesQuery, (req) => book.page(EntriesRequest.parse(req)));

  let nextSweepAt = Date.now() + input.sweepMs;
  for (;;) {
    const info = workflowInfo();
    if (
      info.continueAsNewSuggested ||
      info.historyLength > MAX_HISTORY_EVENTS ||
      info.targetWorkerDeploymentVersionChanged
    ) {
      await condition(allHandlersFinished);
      book.prune(Date.now());
      const next = makeContinueAsNewFunc<typeof accountWorkflow>({
        ...(info.currentDeploymentVersion && { initialVersioningBehavior: 'AUTO_UPGRADE' as const }),
      });
      return next({ ...input, carried: book.state() });
    }
    dirty = false;
    if (!book.hasOpenJobs) {
      // Nothing to sweep: wait for the next update, without a timer.
      await condition(() => dirty);
      nextSweepAt = Math.max(nextSweepAt, Date.now() + input.sweepMs);
      continue;
    }
    if (await condition(() => dirty, Math.max(0, nextSweepAt - Date.now()))) continue;
    nextSweepAt = Date.now() + input.sweepMs;
    // Only reservations at least one sweep old: the API reserves a moment before it starts the job.
    const candidates = book.openJobIds(new Date(Date.now() - input.sweepMs).toISOString());
    if (candidates.length === 0) continue;
    const closed = await findClosedJobs(candidates);
    const refunds = book.sweep(closed, now());
    if (refunds.length)
      log.warn('refunded reservations of jobs that closed without settling', {
        owner: input.owner,
        jobs: refunds.slice(0, 20).map((e) => e.jobId),
      });
  }
}
