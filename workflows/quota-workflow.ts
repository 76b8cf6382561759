// The GPU quota entity: one workflow per (deployment, pool, owner), id quotaWorkflowId(…). It holds
// the owner's GPU leases in the pool and the requests waiting for one (src/domain/quota.ts says
// why leases live here). Updates answer lease requests and limit changes at once; grants of
// waiting requests reach their jobs by signal; leases of jobs that closed without releasing are
// reclaimed by a periodic sweep. Idle without an explicit limit, it ends (the next request starts
// it again with update-with-start); long-lived — or pinned to a build that is no longer current
// (Worker Versioning) — it continues as new carrying its book.
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  makeContinueAsNewFunc,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  LeaseRequest,
  QuotaBookState,
  ReleaseLease,
  SetGpuLimit,
  leaseGrantedSignal,
  quotaQuery,
  releaseLeaseSignal,
  requestLeaseUpdate,
  setLimitUpdate,
  type QuotaActivities,
  type QuotaLease,
  type QuotaView,
  type QuotaWorkflowInput,
} from '../src/domain/quota';
import { QuotaBook } from './quota-book';

/** An entity with nothing held, nothing waiting and no explicit limit ends after this long. */
const IDLE_END_MS = 10 * 60_000;
/** Continue as new well before Temporal's history limits (each request is a few events). */
const MAX_HISTORY_EVENTS = 5_000;

const { findClosedJobs } = proxyLocalActivities<QuotaActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

export async function gpuQuotaWorkflow(input: QuotaWorkflowInput): Promise<void> {
  const carried = input.carried === undefined ? undefined : QuotaBookState.parse(input.carried);
  const book = new QuotaBook(carried);
  const now = () => new Date(Date.now()).toISOString();
  /** Grants whose jobs have not been told yet. */
  const toTell: QuotaLease[] = [];
  let dirty = false;
  const granted = (leases: QuotaLease[]) => {
    toTell.push(...leases);
    dirty = true;
  };
  const view = (): QuotaView => ({
    pool: input.pool,
    owner: input.owner,
    limit: book.limit,
    held: book.held,
    ...book.state(),
  });

  setHandler(
    requestLeaseUpdate,
    (req) => {
      const r = book.request(req, now());
      granted(r.granted);
      dirty = true;
      return r.answer;
    },
    { validator: (req) => void LeaseRequest.parse(req) },
  );
  setHandler(
    setLimitUpdate,
    (arg) => {
      const { limit } = SetGpuLimit.parse(arg);
      granted(book.setExplicitLimit(limit === 'default' ? undefined : limit, now()));
      log.info('GPU limit set', { pool: input.pool, owner: input.owner, limit, inForce: book.limit });
      return view();
    },
    { validator: (arg) => void SetGpuLimit.parse(arg) },
  );
  setHandler(releaseLeaseSignal, (arg) => {
    const r = ReleaseLease.safeParse(arg);
    if (!r.success) return log.warn('releaseGpuLease ignored: bad input', { error: r.error.message });
    granted(book.release(r.data.leaseId, now()));
  });
  setHandler(quotaQuery, view);

  let nextSweepAt = Date.now() + input.sweepMs;
  for (;;) {
    // Tell the jobs whose requests were granted. A job that is gone cannot take its lease: release it.
    while (toTell.length) {
      const batch = toTell.splice(0);
      await Promise.all(
        batch.map(async (l) => {
          if (!book.isGranted(l.leaseId)) return;
          try {
            await getExternalWorkflowHandle(l.jobId).signal(leaseGrantedSignal, {
              leaseId: l.leaseId,
              pool: input.pool,
            });
          } catch (err) {
            log.warn('lease granted to a job that is gone: released', { leaseId: l.leaseId, error: String(err) });
            granted(book.release(l.leaseId, now()));
          }
        }),
      );
    }
    const info = workflowInfo();
    // Long history, or (Worker Versioning) a newer build is current: continue as new, onto it.
    if (
      info.continueAsNewSuggested ||
      info.historyLength > MAX_HISTORY_EVENTS ||
      info.targetWorkerDeploymentVersionChanged
    ) {
      await condition(allHandlersFinished);
      if (toTell.length === 0) {
        const next = makeContinueAsNewFunc<typeof gpuQuotaWorkflow>({
          ...(info.currentDeploymentVersion && { initialVersioningBehavior: 'AUTO_UPGRADE' as const }),
        });
        return next({ ...input, carried: book.state() });
      }
      continue;
    }
    dirty = false;
    if (book.idle && book.hasExplicitLimit) {
      // Keeps its limit: wait for the next request, without a timer.
      await condition(() => dirty);
      continue;
    }
    const waitMs = book.idle ? IDLE_END_MS : Math.max(0, nextSweepAt - Date.now());
    if (await condition(() => dirty, waitMs)) continue;
    if (book.idle) {
      await condition(allHandlersFinished);
      if (book.idle && !dirty && toTell.length === 0) return;
      continue;
    }
    // The sweep: leases and requests of jobs that closed without releasing (terminated, reset).
    nextSweepAt = Date.now() + input.sweepMs;
    const closed = await findClosedJobs(book.holders());
    if (closed.length) {
      log.warn('reclaiming GPU leases of closed jobs', { jobs: closed.slice(0, 20) });
      granted(book.dropJobs(closed, now()));
    }
  }
}
