// One command step run through the real activity code (MockActivityEnvironment) in a sandbox of
// its own: for the security tests, which attack the step's surroundings from inside it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { makeCommandStep } from '../../activities/command';
import type { StepSandbox } from '../../activities/sandbox';
import type { StepInput, StepOutput } from '../../src/domain/step-io';
import { testStorage, type TestStorage } from './storage';
import { makeReachable, testSandbox } from './sandbox';

export interface CommandHarness {
  root: string;
  storage: TestStorage;
  sandbox: StepSandbox;
  /** Runs one command node; resolves with its output or the error it failed with. */
  run(
    config: Record<string, unknown>,
    o?: { nodeId?: string; jobDir?: string; resources?: Record<string, number> },
  ): Promise<StepOutput | Error>;
  cleanup(): void;
}

export function commandHarness(opts: Partial<Parameters<typeof testSandbox>[0]> = {}): CommandHarness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-sec-'));
  makeReachable(root);
  const storage = testStorage(root);
  const sandbox = testSandbox({ workDir: path.join(root, '.trainyard-work'), ...opts });
  const step = makeCommandStep({ store: storage.artifacts, workspaces: storage.workspaces, sandbox });
  let n = 0;
  return {
    root,
    storage,
    sandbox,
    async run(config, o = {}) {
      const jobDir = o.jobDir ?? `alice/runs/job-${++n}`;
      const input: StepInput = {
        jobId: jobDir.split('/').pop()!,
        nodeId: o.nodeId ?? 'attack',
        nodeType: 'command',
        config,
        upstream: {},
        outputDir: jobDir,
        resources: { gpus: 0, gpuMemoryGb: 0, ...o.resources },
        priority: 3,
      };
      return (new MockActivityEnvironment().run(step, input) as Promise<StepOutput>).catch((e: Error) => e);
    },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** The TRAINYARD_RESULT of a step that succeeded (throws with the failure otherwise). */
export function resultOf(out: StepOutput | Error): Record<string, unknown> {
  if (out instanceof Error) throw out;
  return (out.summary.result ?? {}) as Record<string, unknown>;
}
