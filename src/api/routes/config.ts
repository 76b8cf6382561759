// GET /v1/config: the non-secret settings, node types and their config schemas (JSON Schema).
import { z } from 'zod';
import { LIMITS } from '../../domain/job-spec';
import { NODE_CONFIG_SCHEMAS, NODE_TYPES } from '../../domain/node-types';
import { describeTemplate } from '../../domain/step-templates';
import { queueNames } from '../../domain/task-queues';
import type { ResolvedDeps } from '../deps';
import type { RouteHandlers } from '../route-table';

export function nodeConfigJsonSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    NODE_TYPES.map((t) => [t, z.toJSONSchema(NODE_CONFIG_SCHEMAS[t], { io: 'input', unrepresentable: 'any' })]),
  );
}

export function configHandlers(d: ResolvedDeps): Pick<RouteHandlers, 'getConfig'> {
  const schemas = nodeConfigJsonSchemas();
  return {
    getConfig: async () => {
      const q = queueNames(d.config.queuePrefix);
      return {
        status: 200,
        body: {
          version: d.version,
          namespace: d.client.options.namespace,
          queuePrefix: d.config.queuePrefix,
          taskQueues: {
            workflows: q.workflows,
            cpu: q.cpu,
            gpu: Object.fromEntries(
              d.config.gpuPools.map((p) => [p.name, { train: q.gpuTrain(p.name), export: q.gpuExport(p.name) }]),
            ),
          },
          gpuPools: d.config.gpuPools,
          allowedCommands: d.config.allowedCommands,
          limits: { ...LIMITS },
          maxBody: d.config.api.maxBody,
          nodeTypes: [...NODE_TYPES],
          nodeConfigSchemas: schemas,
          /** Operator-registered step kinds (TRAINYARD_STEP_TEMPLATES): `type: <name>`, or single-job `jobType: <name or alias>`. */
          stepTemplates: Object.entries(d.trainyard.config.templates ?? {}).map(([name, t]) =>
            describeTemplate(name, t),
          ),
          credits: { enabled: d.config.credits.enabled, ...d.config.credits.settings },
        },
      };
    },
  };
}
