// Issue 11: the README's TypeScript SDK example works as written from a clone. The README shows
// examples/sdk-quickstart.ts verbatim (from its import on); this runs that file with tsx, as a
// user would, against a real API stack (`npm run lint` type-checks it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'sdk-quickstart.ts');

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

test('when the README is read, then its SDK example is examples/sdk-quickstart.ts word for word', () => {
  const code = fs.readFileSync(EXAMPLE, 'utf8');
  const fromImport = code.slice(
    code.indexOf("import { JobDAG, TrainyardClient, clientOptionsFromEnv } from 'trainyard';"),
  );
  expect(fromImport.length).toBeGreaterThan(100);
  expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('```ts\n' + fromImport + '```');
});

test('when the example runs with `npx tsx` from the clone, then it imports `trainyard`, runs the job and prints its events and log', async () => {
  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [EXAMPLE], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        TRAINYARD_URL: s.api.url,
        TRAINYARD_API_KEY: KEYS.alice,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('close', (code) => resolve({ code, out, err }));
  });
  expect({ code: r.code, err: r.err.replace(/npm warn.*\n/g, '') }).toEqual({ code: 0, err: '' });
  expect(r.out).toContain("[ [ 'data' ], [ 'split' ], [ 'prep' ], [ 'train' ] ]");
  expect(r.out).toMatch(/^job-\S+ completed$/m);
  expect(r.out).toMatch(/^(snapshot|job_started)$/m);
  expect(r.out).toMatch(/^job_completed$/m);
  expect(r.out).toMatch(/--- attempt 1 started \(train\)/);
}, 120_000);
