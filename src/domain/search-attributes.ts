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
  /** The schedule that started the job (set at start, never changed). */
  JobScheduledBy: defineSearchAttributeKey('JobScheduledBy', 'KEYWORD'),
  /** tagKey() of each tag a visibility query cannot name as it is (set at start; tags never change). */
  JobTagKeys: defineSearchAttributeKey('JobTagKeys', 'KEYWORD_LIST'),
} as const;

const CLI_TYPE_NAMES = {
  KEYWORD: 'Keyword',
  KEYWORD_LIST: 'KeywordList',
  INT: 'Int',
  BOOL: 'Bool',
} as const;

/** `Name=Type` for every attribute above, as `temporal` and deploy/temporal/setup.sh spell them. */
export const SEARCH_ATTRIBUTE_DECLARATIONS: string[] = Object.values(SA).map(
  (k) => `${k.name}=${CLI_TYPE_NAMES[k.type as keyof typeof CLI_TYPE_NAMES]}`,
);

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export const SEARCH_ATTRIBUTE_CLI_ARGS: string[] = SEARCH_ATTRIBUTE_DECLARATIONS.flatMap((a) => [
  '--search-attribute',
  a,
]);

/** Workflow type name of the job workflow. */
export const JOB_WORKFLOW_TYPE = 'jobWorkflow';

/**
 * Tags a visibility query can name as they are. The dev server's SQLite store matches KeywordList
 * values through a full-text index, where `"` breaks the query (it hangs, then fails) and a backslash
 * splits the word, so such a tag was never found; those go through tagKey() instead.
 */
export function tagNeedsKey(tag: string): boolean {
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A tag as one plain word (hex of its UTF-8 bytes): what JobTagKeys holds and the query names. */
export function tagKey(tag: string): string {
  let hex = '';
  for (const b of new TextEncoder().encode(tag)) hex += b.toString(16).padStart(2, '0');
  return `t${hex}`;
}

/** JobTagKeys of a job with these tags (empty when every tag can be named as it is). */
export function tagKeysOf(tags: readonly string[]): string[] {
  return [...new Set(tags.filter(tagNeedsKey).map(tagKey))];
}
