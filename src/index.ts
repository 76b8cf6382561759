// Package entry point: the SDK, the JobDAG builder and the types a program needs.
export { TrainyardClient, clientConfigFrom, idempotentJobId, jobStatusFromWorkflow, type TrainyardClientConfig, type SubmitOptions } from './sdk/client';
export { resolveConfigPaths } from './sdk/config-path';
export { JobDAG, type JobDAGOptions } from './sdk/job-dag';
export { TrainyardError, SpecValidationError, JobNotFoundError, JobConflictError, type ErrorDetail } from './sdk/errors';
export { canonicalJson, specHash } from './sdk/spec-hash';
export type { JobView, NodeView, LiveProgress, JobSummary, JobPage, SubmitResult, ControlOutcome, ListJobsOptions, OwnerScope } from './sdk/types';
export { JobSpec, NodeSpec, SingleJobSpec, type JobSpecInput, type NodeSpecInput } from './domain/job-spec';
export { NODE_TYPES, NodeType, NODE_CONFIG_SCHEMAS } from './domain/node-types';
export { validateJob, validateSubmission, type ValidationError, type ValidationResult, type ValidationContext } from './domain/validate';
export { planJob, type JobPlan, type PlannedNode } from './domain/plan';
export type { JobProgress, JobStatus, NodeStatus, NodeState } from './domain/progress';
export type { JobSnapshot } from './domain/snapshot';
export type { PauseInput, RecoverInput, ControlResult } from './domain/messages';
export { loadConfig, type Config } from './config';
