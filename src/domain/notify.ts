// Job notifications (webhooks): what a job spec may ask for, what the snapshot carries, what a
// delivery reports and what the POST's body holds. Sandbox-safe (no Node APIs): the workflow
// builds the body, the `deliverNotification` activity (src/notify/deliver.ts) signs and sends it.
import { z } from 'zod';
import { cachedSchema } from './schema-cache';

export const NOTIFY_EVENTS = ['completed', 'failed', 'cancelled', 'waiting_for_recover'] as const;
export const NotifyEvent = cachedSchema('src/domain/notify#NotifyEvent', () => z.enum(NOTIFY_EVENTS));
export type NotifyEvent = z.infer<typeof NotifyEvent>;

export const NOTIFY_LIMITS = { maxTargets: 16, maxUrlLength: 2048 } as const;

/** An absolute http:// or https:// URL without credentials (checked again, after DNS, at send time). */
export const NotifyUrl = cachedSchema('src/domain/notify#NotifyUrl', () =>
  z
    .string()
    .max(NOTIFY_LIMITS.maxUrlLength)
    .refine(
      (s) => {
        try {
          const u = new URL(s);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.password;
        } catch {
          return false;
        }
      },
      { message: 'must be an absolute http:// or https:// URL (no user:password@)' },
    ),
);

export const NotifyTarget = cachedSchema('src/domain/notify#NotifyTarget', () =>
  z.strictObject({
    url: NotifyUrl,
    /** Default: every event. */
    events: z
      .array(NotifyEvent)
      .min(1)
      .max(NOTIFY_EVENTS.length)
      .default([...NOTIFY_EVENTS]),
  }),
);
export type NotifyTarget = z.infer<typeof NotifyTarget>;
export type NotifyTargetInput = z.input<typeof NotifyTarget>;

export const NotifyTargets = cachedSchema('src/domain/notify#NotifyTargets', () =>
  z.array(NotifyTarget).max(NOTIFY_LIMITS.maxTargets),
);

/** Decided at submit (the spec's targets + the owner's defaults, and the deployment's retry policy). */
export const SnapshotNotify = cachedSchema('src/domain/notify#SnapshotNotify', () =>
  z.object({
    targets: z.array(NotifyTarget),
    /** One POST's deadline (the activity's start-to-close is a little longer). */
    attemptTimeoutMs: z.number().int().min(100),
    retry: z.object({
      initialIntervalMs: z.number().int().min(1),
      maxIntervalMs: z.number().int().min(1),
      backoffCoefficient: z.number().min(1),
      maxAttempts: z.number().int().min(1),
    }),
    /** Base URLs for the body's links (TRAINYARD_PUBLIC_URL). */
    publicUrl: z.string().optional(),
  }),
);
export type SnapshotNotify = z.infer<typeof SnapshotNotify>;

/** The POST's JSON body. */
export interface NotifyPayload {
  /** The idempotency id (also the `Trainyard-Idempotency-Id` header). */
  id: string;
  event: NotifyEvent;
  /** When the event happened (workflow time, ISO). */
  occurredAt: string;
  job: {
    id: string;
    name: string;
    owner: string;
    status: string;
    scheduledBy?: string;
    failedNodes: string[];
    submittedAt: string;
    startedAt: string;
    endedAt?: string;
    /** Wall time from start to the event. */
    durationMs: number;
    /** Each finished node's run time. */
    nodeDurationsMs: Record<string, number>;
    recoveryAttempts: number;
  };
  links: { job: string; dashboard?: string };
}

/** What the workflow hands the activity. */
export interface NotifyCall {
  owner: string;
  url: string;
  payload: NotifyPayload;
}

/** What one successful delivery answers. */
export interface NotifyAnswer {
  attempts: number;
  status: number;
  deliveredAt: string;
}

/** The outcome of one notification, in the job view. */
export const NotificationDelivery = cachedSchema('src/domain/notify#NotificationDelivery', () =>
  z.object({
    id: z.string(),
    event: NotifyEvent,
    url: z.string(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    /** The receiver's last HTTP status (absent when no answer came). */
    lastStatus: z.number().int().optional(),
    lastError: z.string().optional(),
    deliveredAt: z.string().optional(),
  }),
);
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/** Failure types of the activity. */
export const NOTIFY_FAILURES = {
  /** The destination resolved to an address that is not allowed (not retried). */
  Refused: 'NotifyDestinationRefused',
  /** The receiver answered 4xx (other than 408/429): not retried. */
  Rejected: 'NotifyRejected',
  /** 5xx, 408, 429, network errors and timeouts: retried with backoff. */
  Failed: 'NotifyFailed',
} as const;

/**
 * Stable per job, event and target: a redelivery (activity retry, worker restart, replay) carries
 * the same id. `n` tells apart the same event happening again after a recovery (0 the first time).
 */
export function notificationId(jobId: string, event: NotifyEvent, target: number, n: number): string {
  return `${jobId}:${event}:${n}:${target}`;
}

export const SIGNATURE_HEADER = 'Trainyard-Signature';
export const IDEMPOTENCY_HEADER = 'Trainyard-Idempotency-Id';
export const EVENT_HEADER = 'Trainyard-Event';
