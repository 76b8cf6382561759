// Package entry point: the TypeScript SDK — an HTTP client of the API (src/sdk/api-client.ts) — the
// JobDAG builder, the HTTP contracts and the domain types a program needs. Nothing server-side: the
// job service the API runs on (src/job-service/) needs a deployment's Temporal client and config and
// is not exported here.
export {
  TrainyardClient,
  ApiRequestError,
  ApiConnectionError,
  ApiResponseError,
  StreamEndedError,
  type TrainyardClientOptions,
  type WatchOptions,
  type LogsOptions,
} from './sdk/api-client';
export { clientOptionsFromEnv, DEFAULT_API_URL } from './sdk/env';
export * as contracts from './http/contracts';
export { resolveConfigPaths } from './sdk/config-path';
export { JobDAG, type JobDAGOptions } from './sdk/job-dag';
export { TrainyardError, SpecValidationError, type ErrorDetail } from './sdk/errors';
export { canonicalJson, specHash } from './sdk/spec-hash';
export type {
  JobView,
  NodeView,
  LiveProgress,
  JobSummary,
  JobPage,
  JobCreated,
  ControlOutcome,
  ListJobsQuery,
} from './http/contracts';
export { JobSpec, NodeSpec, SingleJobSpec, type JobSpecInput, type NodeSpecInput } from './domain/job-spec';
export { NODE_TYPES, NodeType, NODE_CONFIG_SCHEMAS } from './domain/node-types';
export {
  validateJob,
  validateSubmission,
  type ValidationError,
  type ValidationResult,
  type ValidationContext,
} from './domain/validate';
export { planJob, type JobPlan, type PlannedNode } from './domain/plan';
export type { JobProgress, NodeState } from './domain/progress';
export type { JobStatus, NodeStatus } from './domain/statuses';
export type { JobSnapshot } from './domain/snapshot';
export type { PauseInput, RecoverInput, ControlResult } from './domain/messages';
