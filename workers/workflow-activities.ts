// Local activities of the workflows Worker: what the job and entity workflows ask of Temporal
// itself (GPU quota leases, lease-holder checks, credit settlements) and the plans of snapshots passed
// by reference, with the settings of this worker's config.
import type { Config } from '../src/config';
import { createCreditActivities } from '../src/credits/credit-activities';
import { createNotifyActivities } from '../src/notify/deliver';
import { createQuotaActivities } from '../src/quota/quota-activities';
import { createSnapshotActivities } from '../src/snapshots/snapshot-loader';
import { storageFromConfig } from '../src/storage';
import type { ObjectStore } from '../src/storage/object-store';

export function createWorkflowActivities(config: Config, objects?: ObjectStore) {
  return {
    // Plans of snapshots passed by reference, from the artifact store (src/snapshots/snapshot-loader.ts).
    ...createSnapshotActivities({ objects: objects ?? storageFromConfig(config).artifacts.objects }),
    ...createQuotaActivities({ defaults: config.gpuQuotas.defaults, sweepMs: config.gpuQuotas.sweepMs }),
    // Settlements of jobs submitted with credits on: registered whatever TRAINYARD_CREDITS says now.
    ...createCreditActivities({ sweepMs: config.credits.sweepMs }),
    // Job notifications (a regular activity: retried by the server with backoff, on any workflows worker).
    ...createNotifyActivities({
      secrets: config.notify.secrets,
      allow: config.notify.allow,
      attemptTimeoutMs: config.notify.attemptTimeoutMs,
    }),
  };
}
