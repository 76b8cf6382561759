// Step templates and params: expansion at submit, validation that names the choices, the
// templates file loader, `--set`, and the command step running a template node for real.
import { testSandbox } from '../helpers/sandbox';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import YAML from 'yaml';
import { makeCommandStep } from '../../activities/command';
import { testStorage } from '../helpers/storage';
import { applySets } from '../../src/cli/set-values';
import { StepTemplatesFile, expandTemplates } from '../../src/domain/step-templates';
import type { StepInput, StepOutput } from '../../src/domain/step-io';
import { validateJob, validateSubmission } from '../../src/domain/validate';
import { specHash } from '../../src/sdk/spec-hash';
import { loadStepTemplates } from '../../src/step-templates';

const repo = path.resolve(__dirname, '..', '..');
const examplesFile = path.join(repo, 'examples', 'step-templates.yaml');
const templates = StepTemplatesFile.parse(YAML.parse(fs.readFileSync(examplesFile, 'utf8'))).templates;
const ctx = { allowedCommands: ['python3', 'node'], templateNames: Object.keys(templates) };

describe('step templates at submit', () => {
  it('when a DAG node names a template, then it becomes a command node with the template argv, defaults and its config as the config file', () => {
    const { body, errors } = expandTemplates(
      {
        name: 'j',
        nodes: [
          { id: 'fit', type: 'team-train', config: { data: 'iris' }, params: { epochs: 3 }, resources: { gpus: 2 } },
        ],
      },
      templates,
    );
    expect(errors).toEqual([]);
    const r = validateJob(body, ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const node = r.spec.nodes[0]!;
    expect(node.type).toBe('command');
    expect(node.template).toBe('team-train');
    expect(node.config.command).toEqual(templates['team-train']!.command);
    expect(node.config.configFile).toEqual({ data: 'iris' });
    expect(node.params).toEqual({ epochs: 3, learningRate: 0.1, checkpointEvery: 5 });
    expect(node.resources.gpus).toBe(2);
    expect(node.retry.maxAttempts).toBe(3);
    expect(node.timeout.heartbeat).toBe(60_000);
  });

  it("when the seed's single-job form says jobType train, then the template aliasing train runs with gpuCount", () => {
    const { body } = expandTemplates(
      { jobType: 'train', config: { data: 'iris' }, gpuCount: 2, priority: 1, tags: ['coco'] },
      templates,
    );
    const r = validateSubmission(body, ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.spec.nodes).toHaveLength(1);
    expect(r.spec.nodes[0]).toMatchObject({
      id: 'train',
      type: 'command',
      template: 'team-train',
      resources: { gpus: 2 },
    });
    expect(r.spec).toMatchObject({ name: 'train-job', priority: 1, tags: ['coco'] });
  });

  it('when a node type is unknown, then the error lists the built-in types and the templates', () => {
    const r = validateSubmission({ name: 'j', nodes: [{ id: 'a', type: 'trian' }] }, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]!.path).toBe('nodes[0].type');
    expect(r.errors[0]!.message).toMatch(
      /unknown node type "trian".*dataset, split.*command.*step template.*team-train/,
    );
    const single = validateSubmission({ jobType: 'trian' }, { templateNames: [] });
    expect(!single.ok && single.errors[0]).toMatchObject({
      path: 'jobType',
      message: expect.stringMatching(/registers no step templates/),
    });
  });

  it('when params are on a built-in node or too large, then validation names the field', () => {
    const r = validateJob(
      {
        name: 'j',
        nodes: [
          { id: 'd', type: 'dataset', config: { name: 'iris' }, params: { a: 1 } },
          {
            id: 'c',
            type: 'command',
            dependsOn: ['d'],
            config: { command: ['node'] },
            params: { blob: 'x'.repeat(70_000) },
          },
        ],
      },
      ctx,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['nodes[0].params', 'nodes[1].params']));
  });

  it('when params change, then the spec hash changes', () => {
    const spec = (lr: number) => ({
      name: 'j',
      nodes: [{ id: 'c', type: 'command', config: { command: ['node'] }, params: { lr } }],
    });
    expect(specHash(spec(0.1))).not.toBe(specHash(spec(0.2)));
  });

  it('when the templates file is bad, then loading names the variable, the file and the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
    const bad = path.join(dir, 't.yaml');
    fs.writeFileSync(bad, 'templates:\n  train: { command: [python3] }\n  x: { command: [bash], aliases: [nope] }\n');
    expect(() => loadStepTemplates(bad, ['python3'])).toThrow(
      /TRAINYARD_STEP_TEMPLATES: .*t\.yaml: templates\.train: must not be a built-in node type.*templates\.x\.aliases\[0\]/s,
    );
    fs.writeFileSync(bad, 'templates:\n  x: { command: [bash] }\n');
    expect(() => loadStepTemplates(bad, ['python3'])).toThrow(
      /templates\.x\.command\[0\]: "bash" is not on TRAINYARD_ALLOWED_COMMANDS/,
    );
    expect(() => loadStepTemplates(path.join(dir, 'missing.yaml'))).toThrow(/cannot read: ENOENT/);
    expect(Object.keys(loadStepTemplates(examplesFile, ['python3']))).toEqual(['team-train']);
    fs.rmSync(dir, { recursive: true });
  });

  it('when --set overrides node params and root fields, then values are typed and the rest is kept', () => {
    const spec = { name: 'j', nodes: [{ id: 'train', type: 'team-train', params: { epochs: 3 } }] };
    expect(applySets(spec, ['train.params.lr=0.1', 'train.params.layers=[32, 16]', 'priority=2'])).toEqual({
      name: 'j',
      priority: 2,
      nodes: [{ id: 'train', type: 'team-train', params: { epochs: 3, lr: 0.1, layers: [32, 16] } }],
    });
    expect(spec.nodes[0]!.params).toEqual({ epochs: 3 });
    expect(() => applySets(spec, ['train.params'])).toThrow(/expected PATH=VALUE/);
  });
});

describe('a template node on the command step', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'template-run-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('when it runs, then {config}, {params} and {output} are files in its folder and the trainer reports through the step kit', async () => {
    const storage = testStorage(root);
    const command = makeCommandStep({
      store: storage.artifacts,
      workspaces: storage.workspaces,
      sandbox: testSandbox({ workDir: path.join(root, '.trainyard-work'), allowedCommands: ['python3'] }),
      scriptsDir: path.join(repo, 'examples', 'scripts'),
    });
    const { body } = expandTemplates({ jobType: 'train', config: { data: 'iris' }, params: { epochs: 4 } }, templates);
    const r = validateSubmission(body, ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const node = r.spec.nodes[0]!;
    const input: StepInput = {
      jobId: 'job-t',
      nodeId: node.id,
      nodeType: 'command',
      config: node.config,
      params: node.params,
      upstream: {},
      outputDir: 'runs/job-t',
      resources: { gpus: 0, gpuMemoryGb: 0 },
      priority: 3,
    };
    const out = (await new MockActivityEnvironment().run(command, input)) as StepOutput;
    const result = out.summary.result as { accuracy: number; classes: string[] };
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.classes).toHaveLength(3);
    const dir = storage.file('runs/job-t/train');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual({ data: 'iris' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'params.json'), 'utf8'))).toEqual({
      epochs: 4,
      learningRate: 0.1,
      checkpointEvery: 5,
    });
    expect(fs.existsSync(path.join(dir, 'model.json'))).toBe(true);
  });
});
