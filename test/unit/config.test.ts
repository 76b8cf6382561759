// The config edge: durations become milliseconds with the domain's Duration; a malformed value
// never falls back to a default — the process refuses to start, naming the variable.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '..', '..');

describe('loadConfig', () => {
  test('when nothing is set, then the durations are the documented defaults in milliseconds', () => {
    const c = loadConfig({});
    expect({
      step: c.defaultStepTimeoutMs,
      heartbeat: c.defaultHeartbeatTimeoutMs,
      grace: c.shutdownGraceMs,
      sweep: c.gpuQuotas.sweepMs,
    }).toEqual({ step: 30 * 60_000, heartbeat: 60_000, grace: 30_000, sweep: 60_000 });
  });

  test('when durations are given as text or milliseconds, then they are parsed by the Duration schema', () => {
    const c = loadConfig({
      TRAINYARD_DEFAULT_STEP_TIMEOUT: '2h',
      TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT: '1500',
      TRAINYARD_SHUTDOWN_GRACE: '250ms',
      TRAINYARD_GPU_QUOTA_SWEEP: '5m',
    });
    expect([c.defaultStepTimeoutMs, c.defaultHeartbeatTimeoutMs, c.shutdownGraceMs, c.gpuQuotas.sweepMs]).toEqual([
      7_200_000, 1500, 250, 300_000,
    ]);
  });

  test.each([
    ['TRAINYARD_SHUTDOWN_GRACE', 'soon', /TRAINYARD_SHUTDOWN_GRACE: invalid duration "soon".*\(got "soon"\)/],
    [
      'TRAINYARD_DEFAULT_STEP_TIMEOUT',
      '45d',
      /TRAINYARD_DEFAULT_STEP_TIMEOUT: duration "45d" exceeds the 30-day maximum/,
    ],
    ['TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT', '10ms', /TRAINYARD_DEFAULT_HEARTBEAT_TIMEOUT: must be at least 1000 ms/],
    ['TRAINYARD_GPU_QUOTA_SWEEP', '1x', /TRAINYARD_GPU_QUOTA_SWEEP: invalid duration/],
    ['TRAINYARD_PORT', 'eighty', /TRAINYARD_PORT: .*\(got "eighty"\)/],
    ['TRAINYARD_MAX_BODY', 'lots', /TRAINYARD_MAX_BODY: must be a size such as 256kb or 1mb/],
    ['TRAINYARD_GPU_POOL', 'A100 80G', /TRAINYARD_GPU_POOL: must be a pool name/],
    ['TRAINYARD_LOG_LEVEL', 'loud', /TRAINYARD_LOG_LEVEL: /],
  ])('when %s=%j, then loading refuses and names the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  test('when an empty value is given, then it counts as unset (the default applies)', () => {
    const c = loadConfig({ TRAINYARD_PORT: '', TRAINYARD_SHUTDOWN_GRACE: '' });
    expect([c.api.port, c.shutdownGraceMs]).toEqual([8080, 30_000]);
  });

  test('when the worker environment has PATH and friends, then only the inherited ones reach command steps', () => {
    const c = loadConfig({ PATH: '/usr/bin', HOME: '/home/x', TRAINYARD_API_KEYS: 'a:secret-key-123456' });
    expect(c.stepEnv).toEqual({ PATH: '/usr/bin', HOME: '/home/x' });
    expect(c.temporal.searchPath).toBe('/usr/bin');
  });
});

describe('a process with a malformed variable', () => {
  test.each([
    ['the API', 'src/api/main.ts', { TRAINYARD_API_KEYS: 'a:0123456789abcdef' }],
    ['a CPU worker', 'workers/cpu.ts', { TEMPORAL_ADDRESS: '127.0.0.1:1' }],
  ])(
    'when %s starts with TRAINYARD_SHUTDOWN_GRACE=soon, then it refuses to start and names it',
    (_what, entry, env) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, TRAINYARD_SHUTDOWN_GRACE: 'soon' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status).toBe(2);
      // Its log (JSON lines, src/logger.ts) says why, at error level.
      const errors = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string })
        .filter((l) => l.level >= 50);
      expect(errors.map((l) => l.msg)).toEqual([
        expect.stringMatching(
          /^cannot start: invalid configuration:\n {2}TRAINYARD_SHUTDOWN_GRACE: invalid duration "soon"/,
        ),
      ]);
    },
    90_000,
  );
});
