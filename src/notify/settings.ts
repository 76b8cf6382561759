// What a job's snapshot records about its notifications, decided at submit: the spec's targets plus
// its owner's defaults (TRAINYARD_NOTIFY_DEFAULTS), and the deployment's retry policy. Secrets are
// not in it (they never enter workflow history): the activity looks the owner's up at send time.
import type { Config } from '../config';
import type { JobSpec } from '../domain/job-spec';
import type { NotifyTarget, SnapshotNotify } from '../domain/notify';

export interface NotifySettings {
  defaults: Record<string, NotifyTarget[]>;
  attemptTimeoutMs: number;
  retry: SnapshotNotify['retry'];
  publicUrl?: string;
}

export function notifySettingsFrom(config: Config): NotifySettings {
  return {
    defaults: config.notify.defaults,
    attemptTimeoutMs: config.notify.attemptTimeoutMs,
    retry: config.notify.retry,
    publicUrl: config.api.publicUrl,
  };
}

/** `{ notify }` for the snapshot, or nothing when the job has no targets. */
export function notifySnapshot(
  spec: Pick<JobSpec, 'notify'>,
  owner: string,
  settings: NotifySettings | undefined,
): { notify?: SnapshotNotify } {
  const targets = [...(spec.notify ?? []), ...(settings?.defaults[owner] ?? [])];
  if (!targets.length) return {};
  return {
    notify: {
      targets,
      attemptTimeoutMs: settings?.attemptTimeoutMs ?? 10_000,
      retry: settings?.retry ?? {
        initialIntervalMs: 2_000,
        maxIntervalMs: 300_000,
        backoffCoefficient: 2,
        maxAttempts: 12,
      },
      ...(settings?.publicUrl && { publicUrl: settings.publicUrl }),
    },
  };
}
