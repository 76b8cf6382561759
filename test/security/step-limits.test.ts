// Resource limits per step (issue 10, "Resource limits per step"): a step that goes over its
// memory, processes, open files, file size, CPU time or workspace disk fails — never the worker —
// with a non-retryable TrainyardStepLimitExceeded that names the limit (resources.<limit>).
// Without the sandbox none of these is limited: each step below would run to completion (or take
// the host down with it).
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES } from '../../src/domain/failure-types';
import { validateJob } from '../../src/domain/validate';
import { STEP_LIMIT_BUILTIN_MAX } from '../../src/domain/step-limits';
import { commandHarness, type CommandHarness } from '../helpers/command-harness';

let h: CommandHarness;
beforeAll(() => {
  h = commandHarness();
});
afterAll(() => h?.cleanup());

const py = (code: string) => ({ command: ['python3', '-c', code] });

async function expectLimit(out: unknown, limit: string): Promise<void> {
  expect(out).toBeInstanceOf(ApplicationFailure);
  const f = out as ApplicationFailure;
  expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({
    type: FAILURE_TYPES.StepLimitExceeded,
    nonRetryable: true,
  });
  expect(f.message).toContain(`resources.${limit}`);
}

describe('a step over one of its limits', () => {
  it('when it allocates past resources.memoryMb, then it fails naming the memory limit', async () => {
    const out = await h.run(
      py(`
import time
hold = []
for i in range(400):
    hold.append(bytearray(1024 * 1024)); time.sleep(0.002)
print('allocated 400 MiB')
`),
      { resources: { memoryMb: 64 } },
    );
    await expectLimit(out, 'memoryMb');
  });

  it('when it forks past resources.processes, then it fails naming the process limit', async () => {
    const out = await h.run(
      py(`
import subprocess
ps = [subprocess.Popen(['/usr/bin/sleep', '5']) for i in range(64)]
`),
      { resources: { processes: 16 } },
    );
    await expectLimit(out, 'processes');
  });

  it('when it opens more files than resources.openFiles, then it fails naming the open-files limit', async () => {
    const out = await h.run(py(`fs = [open('/etc/hosts') for i in range(200)]`), { resources: { openFiles: 32 } });
    await expectLimit(out, 'openFiles');
  });

  it('when it writes a file larger than resources.fileSizeMb, then it fails naming the file-size limit', async () => {
    const out = await h.run(
      py(`
import os
with open(os.path.join(os.environ['JOB_OUTPUT_DIR'], 'big.bin'), 'wb') as f:
    for i in range(8): f.write(b'x' * 1024 * 1024)
`),
      { resources: { fileSizeMb: 2 } },
    );
    await expectLimit(out, 'fileSizeMb');
  });

  it('when it spins past resources.cpuSeconds, then it fails naming the CPU-time limit', async () => {
    const out = await h.run(py('while True: pass'), { resources: { cpuSeconds: 1 } });
    await expectLimit(out, 'cpuSeconds');
  }, 60_000);

  it('when its folder grows past resources.diskMb, then it fails naming the disk limit', async () => {
    const out = await h.run(
      py(`
import os, time
for i in range(40):
    with open(os.path.join(os.environ['JOB_OUTPUT_DIR'], 'f%d.bin' % i), 'wb') as f: f.write(os.urandom(1024 * 1024))
    time.sleep(0.1)
`),
      { resources: { diskMb: 8 } },
    );
    await expectLimit(out, 'diskMb');
  }, 60_000);

  it('when a node asks for more than the maximum, then validation refuses it naming the field', () => {
    const r = validateJob(
      {
        name: 'greedy',
        nodes: [{ id: 'c', type: 'command', config: { command: ['node'] }, resources: { memoryMb: 999_999 } }],
      },
      { allowedCommands: ['node'], stepLimitsMax: STEP_LIMIT_BUILTIN_MAX },
    );
    expect(r.ok ? [] : r.errors.map((e) => e.path)).toEqual(['nodes[0].resources.memoryMb']);
  });

  it('when a step stays within its limits, then it completes', async () => {
    const out = await h.run(py('print("TRAINYARD_RESULT {\\"ok\\": true}")'), {
      resources: { memoryMb: 256, processes: 32, openFiles: 64, fileSizeMb: 4, cpuSeconds: 10, diskMb: 16 },
    });
    expect(out).not.toBeInstanceOf(Error);
  });
});
