// The workflow bundle's entry point (workers point bundleWorkflowCode here): workflow functions only.
export { jobWorkflow } from './job-workflow';
export { gpuQuotaWorkflow } from './quota-workflow';
export { accountWorkflow } from './account-workflow';
export { scheduledRunWorkflow } from './scheduled-run-workflow';
