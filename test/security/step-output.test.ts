// A step's output is never lost because the step was quick: Node discards a child's stdio that
// nobody reads when the child exits, and the command step awaits other work (its metrics history,
// its workspace) before it reads. Each case reads only after the process is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StepProcess, StepSandbox } from '../../activities/sandbox';
import { testSandbox } from '../helpers/sandbox';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-step-output-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function readAll(p: StepProcess): Promise<{ stdout: string; stderr: string }> {
  const text = (s: NodeJS.ReadableStream) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString('utf8')));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
  const [stdout, stderr] = await Promise.all([text(p.stdout), text(p.stderr)]);
  return { stdout, stderr };
}

describe.each(['bwrap', 'off'] as const)('a step that exits before its output is read (sandbox %s)', (mode) => {
  let sandbox: StepSandbox;
  beforeAll(() => {
    sandbox = testSandbox({ workDir: path.join(root, mode), mode });
  });

  test('when its output is read only after it exited, then every line is there, in order', async () => {
    const nodeDir = path.join(root, mode, 'node');
    fs.mkdirSync(nodeDir, { recursive: true });
    const script =
      "for (let i = 0; i < 200; i++) console.log('line ' + i); console.error('err line'); console.log('TRAINYARD_RESULT {\"ok\":1}')";
    const { limits } = sandbox.limitsFor({});
    for (let round = 0; round < 5; round++) {
      const proc = await sandbox.start({
        exe: sandbox.commands.lookup('node')!.path,
        args: ['-e', script],
        env: { ...sandbox.baseEnv },
        cwd: nodeDir,
        writable: [nodeDir],
        readOnly: [],
        limits,
        gpus: false,
      });
      const exit = await proc.exited;
      expect(exit.code).toBe(0);
      await sleep(50); // the child's pipes have closed; only now does anyone read
      const { stdout, stderr } = await readAll(proc);
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(201);
      expect(lines[0]).toBe('line 0');
      expect(lines[199]).toBe('line 199');
      expect(lines[200]).toBe('TRAINYARD_RESULT {"ok":1}');
      expect(stderr).toBe('err line\n');
    }
  }, 60_000);
});
