// Job and node statuses: the zod schemas over the constants and sets of ./status-sets (kept free of
// zod for the dashboard's bundle). Sandbox-safe.
import { z } from 'zod';

import { JOB_STATUSES, NODE_STATUSES } from './status-sets';
import { cachedSchema } from './schema-cache';

export {
  NODE_STATUSES,
  IN_FLIGHT_NODE_STATUSES,
  WORKFLOW_IN_FLIGHT_NODE_STATUSES,
  ACTIVE_NODE_STATUSES,
  TERMINAL_NODE_STATUSES,
  JOB_STATUSES,
  ACTIVE_JOB_STATUSES,
  TERMINAL_JOB_STATUSES,
  isTerminalJobStatus,
} from './status-sets';

export const NodeStatus = cachedSchema('src/domain/statuses#NodeStatus', () => z.enum(NODE_STATUSES));
export type NodeStatus = z.infer<typeof NodeStatus>;
export const JobStatus = cachedSchema('src/domain/statuses#JobStatus', () => z.enum(JOB_STATUSES));
export type JobStatus = z.infer<typeof JobStatus>;
