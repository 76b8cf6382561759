// GET /v1/config: the non-secret settings, node types and their config schemas (JSON Schema).
import { Router } from 'express';
import { z } from 'zod';
import { LIMITS } from '../../domain/job-spec';
import { NODE_CONFIG_SCHEMAS, NODE_TYPES } from '../../domain/node-types';
import { queueNames } from '../../domain/task-queues';
import type { ResolvedDeps } from '../deps';
import { principalOf } from '../parse';

export function nodeConfigJsonSchemas(): Record<string, unknown> {
  return Object.fromEntries(NODE_TYPES.map((t) => [t, z.toJSONSchema(NODE_CONFIG_SCHEMAS[t], { io: 'input', unrepresentable: 'any' })]));
}

export function configRouter(d: ResolvedDeps): Router {
  const r = Router();
  const schemas = nodeConfigJsonSchemas();
  r.get('/v1/config', (_req, res) => {
    principalOf(res);
    const q = queueNames(d.config.queuePrefix);
    res.json({
      version: d.version,
      namespace: d.client.options.namespace,
      queuePrefix: d.config.queuePrefix,
      taskQueues: {
        workflows: q.workflows,
        cpu: q.cpu,
        gpu: Object.fromEntries(d.config.gpuPools.map((p) => [p.name, { train: q.gpuTrain(p.name), export: q.gpuExport(p.name) }])),
      },
      gpuPools: d.config.gpuPools,
      allowedCommands: d.config.allowedCommands,
      limits: { ...LIMITS },
      maxBody: d.config.api.maxBody,
      nodeTypes: [...NODE_TYPES],
      nodeConfigSchemas: schemas,
    });
  });
  return r;
}
