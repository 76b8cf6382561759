// Attacks from inside a command step (issue 10, "Read every API key", "Read and change other
// tenants' files", "Terminate other tenants' jobs", "Slip past the allowlist", "Leave processes
// behind"): each step below is a tenant's job trying it. Every command step attempt runs in a
// bubblewrap sandbox (activities/sandbox/): its own PID namespace and /proc, no network, uid
// 65534, a read-only view of the system and its inputs, its own folder read-write, nothing else.
// Without the sandbox (TRAINYARD_SANDBOX=off, or the old code) every one of them succeeds.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createStepSandbox } from '../../activities/sandbox';
import { loadConfig, inheritedStepEnv } from '../../src/config';
import { validateJob } from '../../src/domain/validate';
import { commandHarness, resultOf, type CommandHarness } from '../helpers/command-harness';
import { REPO, pidsWith } from '../helpers/sandbox';

const SECRET = `admin-key-${process.pid}-9f2c`;
let h: CommandHarness;
beforeAll(() => {
  // The worker's environment holds what a deployment's does: API keys (and credentials).
  process.env.TRAINYARD_API_KEYS = `root:${SECRET}:admin`;
  h = commandHarness();
});
afterAll(() => {
  delete process.env.TRAINYARD_API_KEYS;
  h?.cleanup();
});

const py = (code: string) => ({ command: ['python3', '-c', code] });

describe('a step reading other processes through /proc', () => {
  it('when it reads /proc/$PPID/environ, /proc/1/environ and every /proc/*/environ, then no worker secret is there', async () => {
    const out = await h.run(
      py(`
import os, json, glob
seen = {}
for p in sorted(set(['/proc/%d/environ' % os.getppid(), '/proc/1/environ'] + glob.glob('/proc/*/environ'))):
    try: seen[p] = open(p, 'rb').read().decode('utf8', 'replace')
    except Exception as e: seen[p] = 'ERR ' + type(e).__name__
print('TRAINYARD_RESULT ' + json.dumps({'seen': seen, 'pids': sorted(int(d) for d in os.listdir('/proc') if d.isdigit())}))
`),
    );
    const r = resultOf(out) as { seen: Record<string, string>; pids: number[] };
    expect(Object.keys(r.seen).length).toBeGreaterThan(0);
    for (const [file, text] of Object.entries(r.seen)) {
      expect({ file, leak: text.includes(SECRET) || text.includes('TRAINYARD_API_KEYS') }).toEqual({
        file,
        leak: false,
      });
    }
    // Only its own processes: bwrap's init, the step, and nothing of the host.
    expect(r.pids.length).toBeLessThanOrEqual(3);
  });

  it("when it looks for the worker's files through /proc/$PPID/cwd and /proc/$PPID/root, then it finds none", async () => {
    const out = await h.run(
      py(`
import os, json
found = []
for p in ['/proc/%d/cwd/package.json' % os.getppid(), '/proc/1/cwd/package.json', '${REPO}/package.json', '${REPO}/node_modules']:
    if os.path.exists(p): found.append(p)
print('TRAINYARD_RESULT ' + json.dumps({'found': found, 'uid': os.getuid()}))
`),
    );
    expect(resultOf(out)).toEqual({ found: [], uid: 65534 });
  });
});

describe("a step reaching another job's folder", () => {
  it("when it lists its job's parent folder and reads and writes bob's job by path, then nothing of bob's is there", async () => {
    // Bob's job on the same worker: its workspace and its stored artifacts.
    const bobWork = path.join(h.root, '.trainyard-work', 'bob', 'runs', 'job-bob', 'train');
    const bobStored = path.join(h.root, 'bob', 'runs', 'job-bob', 'train');
    for (const d of [bobWork, bobStored]) {
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'secret.txt'), 'bob-secret');
    }
    const out = await h.run(
      py(`
import os, json
job = os.environ['TRAINYARD_JOB_DIR']
r = {'siblings': sorted(os.listdir(os.path.dirname(job))), 'jobs': sorted(os.listdir(job)), 'read': [], 'wrote': []}
for d in [${JSON.stringify(bobWork)}, ${JSON.stringify(bobStored)}, ${JSON.stringify(h.root)}]:
    try: r['read'].append(open(os.path.join(d, 'secret.txt')).read())
    except Exception: pass
    try:
        open(os.path.join(d, 'pwned.txt'), 'w').write('alice'); r['wrote'].append(d)
    except Exception: pass
print('TRAINYARD_RESULT ' + json.dumps(r))
`),
      { jobDir: 'alice/runs/job-alice' },
    );
    const r = resultOf(out);
    expect(r).toMatchObject({ siblings: ['job-alice'], jobs: ['attack'], read: [] });
    // (Writing "into" the temp root only reaches the sandbox's own /tmp, where bwrap made the folders it mounts on.)
    expect(r.wrote).not.toContain(bobWork);
    expect(r.wrote).not.toContain(bobStored);
    expect(fs.existsSync(path.join(h.root, 'pwned.txt'))).toBe(false);
    expect(fs.existsSync(path.join(bobWork, 'pwned.txt'))).toBe(false);
    expect(fs.existsSync(path.join(bobStored, 'pwned.txt'))).toBe(false);
    expect(fs.readdirSync(bobStored)).toEqual(['secret.txt']);
  });

  it('when it writes its own folder, then the worker publishes what it wrote', async () => {
    const out = await h.run(
      py(`
import os
open(os.path.join(os.environ['JOB_OUTPUT_DIR'], 'model.txt'), 'w').write('weights')
print('TRAINYARD_RESULT {"ok": true}')
`),
      { jobDir: 'alice/runs/job-own' },
    );
    const o = out as { artifacts: { name: string }[] };
    expect(resultOf(out)).toEqual({ ok: true });
    expect(o.artifacts.map((a) => a.name)).toContain('output.log');
    // Published to the store, readable by the worker.
    const stored = fs.readFileSync(path.join(h.root, 'alice', 'runs', 'job-own', 'attack', 'model.txt'), 'utf8');
    expect(stored).toBe('weights');
  });
});

describe('a step reaching the Temporal frontend', () => {
  let server: net.Server;
  let port = 0;
  beforeAll(async () => {
    // Stands in for the frontend: a TCP listener on the worker's loopback.
    server = net.createServer((s) => s.end('frontend'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("when it loads @temporalio/client from the worker's node_modules, then there is none to load", async () => {
    const out = await h.run({
      command: [
        'node',
        '-e',
        `let r; try { require(${JSON.stringify(path.join(REPO, 'node_modules', '@temporalio', 'client'))}); r = 'loaded' } catch (e) { r = e.code } console.log('TRAINYARD_RESULT ' + JSON.stringify({ r }))`,
      ],
    });
    expect(resultOf(out)).toEqual({ r: 'MODULE_NOT_FOUND' });
  });

  it("when it connects to the worker's loopback (network none), then the connection is refused", async () => {
    const out = await h.run(
      py(`
import socket, json
try:
    s = socket.create_connection(('127.0.0.1', ${port}), timeout=3); r = s.recv(100).decode()
except Exception as e: r = type(e).__name__
print('TRAINYARD_RESULT ' + json.dumps({'r': r}))
`),
    );
    expect(resultOf(out).r).not.toBe('frontend');
  });
});

describe('a step choosing what runs', () => {
  it('when a spec sets env.PATH or LD_PRELOAD (or NODE_OPTIONS, PYTHONSTARTUP), then validation refuses it naming the field', () => {
    const r = validateJob(
      {
        name: 'hijack',
        nodes: [
          {
            id: 'b',
            type: 'command',
            config: {
              command: ['python3'],
              env: { PATH: '/tmp/x', LD_PRELOAD: '/tmp/x.so', NODE_OPTIONS: '--require /x', PYTHONSTARTUP: '/x.py' },
            },
          },
        ],
      },
      { allowedCommands: ['python3'] },
    );
    expect(r.ok).toBe(false);
    const paths = r.ok ? [] : r.errors.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'nodes[0].config.env.PATH',
        'nodes[0].config.env.LD_PRELOAD',
        'nodes[0].config.env.NODE_OPTIONS',
        'nodes[0].config.env.PYTHONSTARTUP',
      ]),
    );
  });

  it('when such an env reaches the worker anyway, then the step refuses it before anything runs', async () => {
    const out = await h.run({ command: ['python3', '-c', 'print(1)'], env: { LD_PRELOAD: '/tmp/evil.so' } });
    expect(out).toBeInstanceOf(ApplicationFailure);
    expect((out as ApplicationFailure).nonRetryable).toBe(true);
    expect((out as Error).message).toContain('config.env.LD_PRELOAD');
  });

  it('when its folder holds a script named python3, then "python3" still runs the interpreter the worker resolved', async () => {
    const out = await h.run(
      {
        command: [
          'node',
          '-e',
          `const fs = require('fs'); const p = process.env.JOB_OUTPUT_DIR + '/python3'; fs.writeFileSync(p, '#!/bin/sh\\necho hijacked\\n'); fs.chmodSync(p, 0o755); console.log('TRAINYARD_RESULT ' + JSON.stringify({ path: process.env.PATH }))`,
        ],
      },
      { nodeId: 'a', jobDir: 'alice/runs/job-hijack' },
    );
    const { path: stepPath } = resultOf(out) as { path: string };
    expect(stepPath.split(':')).not.toContain(path.join(h.root, '.trainyard-work'));
    const b = await h.run(py('import sys; print("TRAINYARD_RESULT {\\"exe\\": \\"%s\\"}" % sys.executable)'), {
      nodeId: 'b',
      jobDir: 'alice/runs/job-hijack',
    });
    expect(resultOf(b).exe).toMatch(/^\/usr\/(local\/)?bin\/python3/);
    expect(h.sandbox.commands.lookup('python3')?.path).toMatch(/^\/usr\/(local\/)?bin\/python3$/);
  });
});

describe('processes a step leaves behind', () => {
  it('when it starts a setsid child and exits, then the child is gone when the step completes', async () => {
    const marker = ['orphan', process.pid, Date.now()];
    const out = await h.run({
      command: [
        'node',
        '-e',
        `require('child_process').spawn('/usr/bin/setsid', [process.execPath, '-e', 'setInterval(() => {}, 1000) // ' + ${JSON.stringify(marker)}.join('')], { stdio: 'ignore', detached: true }).unref(); setTimeout(() => console.log('TRAINYARD_RESULT {"ok":true}'), 300)`,
      ],
    });
    expect(resultOf(out)).toEqual({ ok: true });
    expect(pidsWith(marker.join(''))).toEqual([]);
  });
});

describe('a worker without a working sandbox', () => {
  const base = () => ({
    allowedCommands: ['node'],
    workDir: path.join(h.root, '.trainyard-work'),
    stepEnv: inheritedStepEnv(process.env),
    protectedRoots: [],
  });

  it('when bubblewrap is missing, then it refuses to start, naming the fix and TRAINYARD_SANDBOX=off', () => {
    const config = { ...loadConfig({}).sandbox, bwrap: '/nonexistent/bwrap' };
    expect(() => createStepSandbox({ ...base(), config })).toThrow(/bubblewrap.*TRAINYARD_SANDBOX=off/s);
  });

  it('when TRAINYARD_SANDBOX=off, then it starts and says so at error level', () => {
    const errors: string[] = [];
    const config = { ...loadConfig({ TRAINYARD_SANDBOX: 'off' }).sandbox, bwrap: '/nonexistent/bwrap' };
    const s = createStepSandbox({
      ...base(),
      config,
      log: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
    });
    expect(s.mode).toBe('off');
    expect(errors.join('\n')).toMatch(/UNSANDBOXED/);
  });

  it('when TRAINYARD_SANDBOX has another value, then the configuration is refused naming it', () => {
    expect(() => loadConfig({ TRAINYARD_SANDBOX: 'maybe' })).toThrow(/TRAINYARD_SANDBOX/);
  });
});
