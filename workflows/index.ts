// The workflow bundle's entry point (workers point bundleWorkflowCode here): workflow functions only.
export { jobWorkflow } from './job-workflow';
