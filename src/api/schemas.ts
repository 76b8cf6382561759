// The API's zod schemas: request params/query/bodies and response shapes. Handlers see only values
// parsed through these; the OpenAPI document is generated from them (openapi.ts).
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { NodeId } from '../domain/job-spec';
import { PauseInput, RecoverInput } from '../domain/messages';
import { NodeType } from '../domain/node-types';
import { JOB_STATUSES, NODE_STATUSES } from '../domain/progress';
import { IDEMPOTENCY_KEY_RE, JOB_ID_RE } from '../sdk/client';

extendZodWithOpenApi(z);

export const ErrorDetailSchema = z.object({ path: z.string(), message: z.string() }).openapi('ErrorDetail');
export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      details: z.array(ErrorDetailSchema),
      requestId: z.string().optional(),
    }),
  })
  .openapi('Error');

export const JobIdParams = z.strictObject({ id: z.string().regex(JOB_ID_RE, 'must be a job id (letters, digits, "-", "_", ".", ":")').openapi({ example: 'job-4f1c…' }) });
export type JobIdParams = z.infer<typeof JobIdParams>;

export const ArtifactParams = z.strictObject({ id: JobIdParams.shape.id, path: z.string().min(1).max(1024) });

const boolString = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const ListJobsQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  type: NodeType.optional(),
  tag: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
    .optional(),
  recoverable: boolString.optional(),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  pageToken: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a token from a previous page')
    .optional(),
  /** Admin keys only: list another owner's jobs ("*" = everyone). */
  owner: z
    .string()
    .max(128)
    .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9_.@-]*)$/)
    .optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

export const IdempotencyKeyHeader = z.string().regex(IDEMPOTENCY_KEY_RE, 'must be 1–255 printable ASCII characters');

export const PauseBody = PauseInput;
export const RecoverBody = RecoverInput;
export const EmptyBody = z.strictObject({}).openapi('EmptyRequest');

export const LogsQuery = z.strictObject({
  node: NodeId,
  follow: boolString.default(false),
  /** Only the last N lines (before following). */
  tail: z.coerce.number().int().min(1).max(100_000).optional(),
});
export type LogsQuery = z.infer<typeof LogsQuery>;

const Links = z.record(z.string(), z.string());

export const JobCreated = z
  .object({
    id: z.string(),
    status: z.enum(JOB_STATUSES),
    created: z.boolean().openapi({ description: 'false when the Idempotency-Key named an existing job' }),
    specHash: z.string(),
    links: Links,
  })
  .openapi('JobCreated');

export const LiveProgressSchema = z
  .object({
    phase: z.string().optional(),
    percent: z.number().optional(),
    epoch: z.number().optional(),
    epochs: z.number().optional(),
    loss: z.number().optional(),
    valMetric: z.number().optional(),
    message: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    lastHeartbeatAt: z.string().optional(),
  })
  .openapi('LiveProgress');

export const NodeViewSchema = z
  .object({
    id: z.string(),
    type: NodeType,
    status: z.enum(NODE_STATUSES),
    taskQueue: z.string(),
    attempts: z.number(),
    executions: z.number(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    durationMs: z.number().optional(),
    output: z.object({ summary: z.record(z.string(), z.unknown()), artifacts: z.array(z.record(z.string(), z.unknown())) }).passthrough().optional(),
    error: z.object({ message: z.string(), type: z.string().optional() }).optional(),
    live: LiveProgressSchema.optional(),
    attempt: z.number().optional(),
    lastFailure: z.string().optional(),
    nextAttemptAt: z.string().optional(),
  })
  .openapi('NodeView');

export const JobViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.string(),
    status: z.enum(JOB_STATUSES),
    recoverable: z.boolean(),
    progress: z.number(),
    currentNodes: z.array(z.string()),
    counts: z.record(z.string(), z.number()),
    recoveryAttempts: z.number(),
    recoveries: z.array(z.object({ at: z.string(), fromNode: z.string().optional(), nodes: z.array(z.string()) })),
    recoverableUntil: z.string().optional(),
    pauseMode: z.enum(['drain', 'now']).optional(),
    submittedAt: z.string().optional(),
    startedAt: z.string().optional(),
    completedAt: z.string().optional(),
    specHash: z.string().optional(),
    runs: z.number(),
    nodes: z.array(NodeViewSchema),
    workflow: z.object({ runId: z.string(), status: z.string(), startTime: z.string(), closeTime: z.string().optional(), historyLength: z.number() }),
    source: z.enum(['query', 'describe']),
    links: Links,
  })
  .openapi('Job');

export const JobSummarySchema = z
  .object({
    id: z.string(),
    name: z.string().optional(),
    owner: z.string().optional(),
    status: z.enum(JOB_STATUSES),
    types: z.array(z.string()),
    tags: z.array(z.string()),
    priority: z.number().optional(),
    recoverable: z.boolean(),
    startTime: z.string(),
    closeTime: z.string().optional(),
    workflowStatus: z.string(),
  })
  .openapi('JobSummary');

export const JobPageSchema = z.object({ jobs: z.array(JobSummarySchema), nextPageToken: z.string().optional() }).openapi('JobPage');

export const ControlOutcomeSchema = z.object({ id: z.string(), status: z.enum(JOB_STATUSES), message: z.string() }).openapi('ControlOutcome');

export const ValidateResponse = z
  .object({
    valid: z.boolean(),
    plan: z.record(z.string(), z.unknown()).optional().openapi({ description: 'stages, critical path, task queues, estimated GPU-time' }),
    errors: z.array(ErrorDetailSchema).optional(),
  })
  .openapi('ValidateResult');

export const ArtifactSchema = z
  .object({ name: z.string(), path: z.string(), node: z.string(), size: z.number(), sha256: z.string(), mediaType: z.string(), url: z.string() })
  .openapi('Artifact');
export const ArtifactList = z.object({ artifacts: z.array(ArtifactSchema) }).openapi('ArtifactList');

export const StreamMessage = z
  .object({
    type: z.enum(['snapshot', 'job_started', 'node_status', 'node_progress', 'metrics', 'job_completed', 'job_failed', 'job_cancelled', 'error']),
    job_id: z.string(),
    node_id: z.string().optional(),
    status: z.string().optional(),
    progress: z.number().optional(),
    data: z.unknown().optional(),
    timestamp: z.string(),
  })
  .openapi('StreamMessage');
export type StreamMessage = z.infer<typeof StreamMessage>;

export const HealthResponse = z.object({ status: z.literal('ok') }).openapi('Health');
export const ReadyResponse = z
  .object({
    ready: z.boolean(),
    temporal: z.object({ reachable: z.boolean(), error: z.string().optional() }),
    queues: z.array(z.object({ name: z.string(), kind: z.enum(['workflow', 'activity']), pollers: z.number(), ok: z.boolean() })),
    missing: z.array(z.string()),
  })
  .openapi('Readiness');

export const ConfigResponse = z
  .object({
    version: z.string(),
    namespace: z.string(),
    queuePrefix: z.string(),
    taskQueues: z.record(z.string(), z.unknown()),
    gpuPools: z.array(z.object({ name: z.string(), gpusPerWorker: z.number(), memoryGb: z.number() })),
    allowedCommands: z.array(z.string()),
    limits: z.record(z.string(), z.number()),
    maxBody: z.string(),
    nodeTypes: z.array(z.string()),
    nodeConfigSchemas: z.record(z.string(), z.unknown()),
  })
  .openapi('ServerConfig');
