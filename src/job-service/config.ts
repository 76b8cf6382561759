// The settings of the job service, from a deployment's Config: what a server needs to validate,
// snapshot and start jobs (pools, allowlist, defaults, templates, credits) — never a client's.
import path from 'node:path';
import type { Config } from '../config';
import type { CreditsConfig } from '../credits/job-credits';
import type { FairnessWeights } from '../domain/fairness';
import type { PoolSpec } from '../domain/pools';
import type { StepLimits } from '../domain/step-limits';
import type { StepTemplates } from '../domain/step-templates';
import { notifySettingsFrom, type NotifySettings } from '../notify/settings';
import { loadStepTemplates } from '../step-templates';

export interface JobServiceConfig {
  /** TRAINYARD_QUEUE_PREFIX of the deployment. */
  queuePrefix: string;
  /** GPU pools (validation + pool choice); empty = the default pool. */
  pools: PoolSpec[];
  /** Executables `command` nodes may run; omitted = not checked here (workers still enforce it). */
  allowedCommands?: string[];
  /** The most a command node may ask for (TRAINYARD_STEP_LIMITS_MAX); omitted = checked by the workers only. */
  stepLimitsMax?: StepLimits;
  defaults: { stepTimeoutMs: number; heartbeatTimeoutMs: number };
  /** Fair-share weight per owner (`*` = the rest; default 1). */
  fairnessWeights?: FairnessWeights;
  /** GPU quotas enforced (TRAINYARD_GPU_QUOTAS): new jobs' GPU nodes run under quota leases. */
  quotas?: boolean;
  /** Credits enforced (TRAINYARD_CREDITS=on): a job's estimate is reserved at submit (402 when it is not covered). */
  credits?: CreditsConfig;
  /** Operator-registered step templates (TRAINYARD_STEP_TEMPLATES), expanded at submit. */
  templates?: StepTemplates;
  /** How long a status read waits for the progress query before falling back to describe (default 5 s). */
  queryTimeoutMs?: number;
  /** Server folders replaced in the errors a view shows (e.g. the artifact root → `<artifacts>`). */
  serverPaths?: { path: string; as: string }[];
  /** The dashboard's base URL (TRAINYARD_PUBLIC_URL): jobs started here link back to it from the Temporal Web UI. */
  dashboardUrl?: string;
  /** Notifications: owners' default targets and the retry policy recorded in each job's snapshot. */
  notify?: NotifySettings;
}

/** The job service settings of a deployment's Config. */
export function jobServiceConfigFrom(config: Config): JobServiceConfig {
  return {
    queuePrefix: config.queuePrefix,
    pools: config.gpuPools,
    allowedCommands: config.allowedCommands,
    stepLimitsMax: config.sandbox.limits.max,
    defaults: {
      stepTimeoutMs: config.defaultStepTimeoutMs,
      heartbeatTimeoutMs: config.defaultHeartbeatTimeoutMs,
    },
    fairnessWeights: config.fairnessWeights,
    quotas: config.gpuQuotas.enabled,
    ...(config.credits.enabled && { credits: { settings: config.credits.settings, sweepMs: config.credits.sweepMs } }),
    templates: loadStepTemplates(config.stepTemplatesFile, config.allowedCommands),
    dashboardUrl: config.api.publicUrl,
    notify: notifySettingsFrom(config),
    serverPaths: serverPathsOf(config),
  };
}

/** The server's folders, as the errors shown to clients name them instead. */
function serverPathsOf(config: Config): { path: string; as: string }[] {
  return [
    { path: config.artifactRoot, as: '<artifacts>' },
    { path: config.dataRoot, as: '<data>' },
    ...(config.scriptsDir ? [{ path: config.scriptsDir, as: '<scripts>' }] : []),
    { path: config.home, as: '<trainyard-home>' },
    { path: path.resolve(__dirname, '..', '..'), as: '<server>' },
  ];
}
