// Custom search attributes: registered on the dev server and in docker-compose, upserted by the
// workflow on every status change, so the Web UI and `temporal workflow list --query` find jobs.
import { defineSearchAttributeKey } from '@temporalio/common';

export const SA = {
  JobStatus: defineSearchAttributeKey('JobStatus', 'KEYWORD'),
  JobTypes: defineSearchAttributeKey('JobTypes', 'KEYWORD_LIST'),
  JobOwner: defineSearchAttributeKey('JobOwner', 'KEYWORD'),
  JobTags: defineSearchAttributeKey('JobTags', 'KEYWORD_LIST'),
  JobPriority: defineSearchAttributeKey('JobPriority', 'INT'),
  JobRecoverable: defineSearchAttributeKey('JobRecoverable', 'BOOL'),
} as const;

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export const SEARCH_ATTRIBUTE_CLI_ARGS: string[] = [
  'JobStatus=Keyword',
  'JobTypes=KeywordList',
  'JobOwner=Keyword',
  'JobTags=KeywordList',
  'JobPriority=Int',
  'JobRecoverable=Bool',
].flatMap((a) => ['--search-attribute', a]);

/** Workflow type name of the job workflow. */
export const JOB_WORKFLOW_TYPE = 'jobWorkflow';
