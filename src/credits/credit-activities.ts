// The account entity's start operation, the settle call a job's workflow makes at its end (a local
// activity of the workflows Worker), and the entity's sweep check. Each update carries an update id
// of its key — a retried call within a run is answered by the server from the first one — and the
// entity's book dedupes by the same key across runs (continue-as-new).
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  ACCOUNT_WORKFLOW_TYPE,
  accountWorkflowId,
  settleUpdate,
  type AccountWorkflowInput,
  type CreditActivities,
  type SettleAnswer,
  type SettleCall,
} from '../domain/credits';
import { queueNames } from '../domain/task-queues';
import { closedWorkflows } from '../quota/quota-activities';

export interface AccountSettings {
  /** TRAINYARD_CREDITS_SWEEP: how often an account with open reservations checks their jobs. */
  sweepMs: number;
}

export function accountStart(
  queuePrefix: string,
  owner: string,
  settings: AccountSettings,
): WithStartWorkflowOperation<(input: AccountWorkflowInput) => Promise<void>> {
  return new WithStartWorkflowOperation<(input: AccountWorkflowInput) => Promise<void>>(ACCOUNT_WORKFLOW_TYPE, {
    workflowId: accountWorkflowId(queuePrefix, owner),
    taskQueue: queueNames(queuePrefix).workflows,
    args: [{ owner, sweepMs: settings.sweepMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Update ids: one per (job, kind) or grant — the ledger's keys. */
export const ledgerKey = {
  reserve: (jobId: string) => `reserve:${jobId}`,
  settle: (jobId: string) => `settle:${jobId}`,
  grant: (grantId: string) => `grant:${grantId}`,
};

export async function settleJob(client: Client, call: SettleCall, settings: AccountSettings): Promise<SettleAnswer> {
  return client.workflow.executeUpdateWithStart(settleUpdate, {
    args: [call.request],
    updateId: ledgerKey.settle(call.request.jobId),
    startWorkflowOperation: accountStart(call.queuePrefix, call.owner, settings),
  });
}

export function createCreditActivities(settings: AccountSettings): CreditActivities {
  return {
    settleJobCredits: (call) => settleJob(Context.current().client, call, settings),
    findClosedJobs: (jobIds) => closedWorkflows(Context.current().client, jobIds),
  };
}
