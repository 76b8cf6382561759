// Reading and setting GPU quotas (the API's admin routes and the CLI go through this): an explicit
// limit is an update-with-start on the (pool, owner) quota entity and applies at once — waiting
// requests the new limit admits are granted in the same update, with no restart anywhere.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  defaultGpuLimit,
  quotaQuery,
  quotaWorkflowId,
  setLimitUpdate,
  type GpuLimit,
  type QuotaView,
} from '../domain/quota';
import { quotaStart, type QuotaSettings } from './quota-activities';

export class QuotaClient {
  constructor(
    private readonly client: Client,
    private readonly queuePrefix: string,
    private readonly settings: QuotaSettings,
  ) {}

  /** Sets the explicit limit of an owner in a pool (null = unlimited; 'default' = back to TRAINYARD_GPU_QUOTAS). */
  async setLimit(pool: string, owner: string, limit: GpuLimit | 'default'): Promise<QuotaView> {
    return this.client.workflow.executeUpdateWithStart(setLimitUpdate, {
      args: [{ limit }],
      startWorkflowOperation: quotaStart(this.queuePrefix, pool, owner, this.settings),
    });
  }

  /** The owner's quota in a pool: what the entity holds, or the default when it does not run. */
  async get(pool: string, owner: string): Promise<QuotaView> {
    const configured = defaultGpuLimit(this.settings.defaults, pool, owner);
    let view: QuotaView;
    try {
      view = await this.client.workflow.getHandle(quotaWorkflowId(this.queuePrefix, pool, owner)).query(quotaQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError) && (err as { code?: number }).code !== 5) throw err;
      return { pool, owner, limit: configured, held: 0, defaultLimit: configured, leases: [], waiting: [] };
    }
    // Without an explicit limit, the default in force is this deployment's configuration.
    return view.explicitLimit === undefined ? { ...view, limit: configured, defaultLimit: configured } : view;
  }
}
