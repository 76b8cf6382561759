// The shipped examples validate and run end to end through the real step activities (no workflow).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import YAML from 'yaml';
import { createMlSteps } from '../../activities/ml-steps';
import { testStorage } from '../helpers/storage';
import type { NodeType } from '../../src/domain/node-types';
import type { StepInput, StepOutput } from '../../src/domain/step-io';
import { validateJob } from '../../src/domain/validate';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-examples-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test.each(['pipeline.yaml', 'regression.yaml'])('examples/%s validates and runs', async (file) => {
  const raw = YAML.parse(await fs.readFile(path.join(__dirname, '..', '..', 'examples', file), 'utf8'));
  const v = validateJob(raw);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const steps = createMlSteps({ store: testStorage(root).artifacts, dataRoot: root });
  const outputs: Record<string, StepOutput> = {};
  for (const node of v.spec.nodes) {
    // Nodes are listed in dependency order in the examples.
    const upstream = Object.fromEntries(node.dependsOn.map((d) => [d, outputs[d]!]));
    const cfg = node.type === 'train' ? { ...node.config, epochDelayMs: 0 } : node.config;
    const input: StepInput = {
      jobId: file,
      nodeId: node.id,
      nodeType: node.type,
      config: cfg,
      upstream,
      outputDir: `runs/${file}`,
      resources: { gpus: 0, gpuMemoryGb: 0 },
      priority: 3,
    };
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const step = steps[node.type as Exclude<NodeType, 'command'>];
    outputs[node.id] = (await env.run(step, input)) as StepOutput;
  }
  const metrics = outputs.evaluate!.summary.metrics as Record<string, number>;
  if (file === 'pipeline.yaml') expect(metrics.rocAuc).toBeGreaterThanOrEqual(0.97);
  else expect(metrics.r2).toBeGreaterThan(0.7);
  expect(outputs.evaluate!.summary.source).toMatch(/^onnx file /);
  expect((outputs.visualize!.summary.plots as unknown[]).length).toBeGreaterThanOrEqual(2);
});
