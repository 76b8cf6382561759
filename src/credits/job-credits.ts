// A job's credits at submit: the estimate of its cost under the deployment's cost model, recorded
// in its snapshot with the rules it will be settled by (so a later change of the configuration
// does not change what a running job costs).
import { costOf, estimateUsage, type CreditSettings, type SnapshotCredits } from '../domain/credits';
import type { JobSpec } from '../domain/job-spec';
import type { AccountSettings } from './credit-activities';

export interface CreditsConfig extends AccountSettings {
  settings: CreditSettings;
}

export function jobCredits(spec: JobSpec, pools: Record<string, string>, settings: CreditSettings): SnapshotCredits {
  const usage = estimateUsage(spec, settings.rates, { pools });
  const cost = costOf(usage, settings.rates);
  return { reserved: cost.total, estimate: { usage, cost }, settings };
}
