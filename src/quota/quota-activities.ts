// Local activities of the workflows Worker for GPU quotas: the job workflow asks the quota entity
// for a lease through update-with-start (the entity exists after the first call), and the entity's
// sweep asks which lease holders have closed. Both use the Worker's own Temporal client.
import { Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  QUOTA_WORKFLOW_TYPE,
  defaultGpuLimit,
  quotaWorkflowId,
  requestLeaseUpdate,
  type GpuQuotaDefaults,
  type LeaseAnswer,
  type LeaseCall,
  type QuotaActivities,
  type QuotaWorkflowInput,
} from '../domain/quota';
import { queueNames } from '../domain/task-queues';

export interface QuotaSettings {
  /** TRAINYARD_GPU_QUOTAS: default limits by pool and owner. */
  defaults: GpuQuotaDefaults;
  /** TRAINYARD_GPU_QUOTA_SWEEP: how often an entity checks its lease holders. */
  sweepMs: number;
}

/** The quota entity's start operation (used by every update-with-start on it). */
export function quotaStart(
  queuePrefix: string,
  pool: string,
  owner: string,
  settings: QuotaSettings,
): WithStartWorkflowOperation<(input: QuotaWorkflowInput) => Promise<void>> {
  return new WithStartWorkflowOperation<(input: QuotaWorkflowInput) => Promise<void>>(QUOTA_WORKFLOW_TYPE, {
    workflowId: quotaWorkflowId(queuePrefix, pool, owner),
    taskQueue: queueNames(queuePrefix).workflows,
    args: [{ pool, owner, sweepMs: settings.sweepMs }],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

export async function requestLease(client: Client, call: LeaseCall, settings: QuotaSettings): Promise<LeaseAnswer> {
  return client.workflow.executeUpdateWithStart(requestLeaseUpdate, {
    args: [{ ...call.request, defaultLimit: defaultGpuLimit(settings.defaults, call.pool, call.owner) }],
    // A retried call is the same update: the server answers it once per run.
    updateId: call.request.leaseId,
    startWorkflowOperation: quotaStart(call.queuePrefix, call.pool, call.owner, settings),
  });
}

/** The ids among jobIds whose workflows are not running (closed, or never existed). */
export async function closedWorkflows(client: Client, jobIds: readonly string[]): Promise<string[]> {
  const closed: string[] = [];
  for (let i = 0; i < jobIds.length; i += 20) {
    const batch = jobIds.slice(i, i + 20);
    const states = await Promise.all(
      batch.map(async (id) => {
        try {
          return (await client.workflow.getHandle(id).describe()).status.name === 'RUNNING';
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        }
      }),
    );
    batch.forEach((id, k) => {
      if (!states[k]) closed.push(id);
    });
  }
  return closed;
}

export function createQuotaActivities(settings: QuotaSettings): QuotaActivities {
  return {
    requestGpuLease: (call) => requestLease(Context.current().client, call, settings),
    findClosedJobs: (jobIds) => closedWorkflows(Context.current().client, jobIds),
  };
}
