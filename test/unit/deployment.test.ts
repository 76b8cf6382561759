// docker-compose.yml is checked with `docker compose config -q` in CI where a compose client exists;
// this test checks what Trainyard relies on in it everywhere else. `npm run prod:local` runs its
// Trainyard services as processes (deploy/prod-local/compose.ts), so what it reads is checked here too.
import fs from 'node:fs';
import path from 'node:path';
import { interpolate, readCompose, serviceCommand, trainyardServices } from '../../deploy/prod-local/compose';
import { SA, SEARCH_ATTRIBUTE_CLI_ARGS } from '../../src/domain/search-attributes';

const root = path.resolve(__dirname, '..', '..');
const compose = readCompose();
/** What a compose run needs set (the `${VAR:?…}` variables); everything else takes its default. */
const required = {
  TRAINYARD_BUILD_ID: 'b1',
  TRAINYARD_DOCS_PASSWORD: 'pw',
  POSTGRES_PASSWORD: 'pg',
  TRAINYARD_S3_ACCESS_KEY: 'ak',
  TRAINYARD_S3_SECRET_KEY: 'sk',
};

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the schema job, Temporal, its setup and UI, the API and both worker kinds', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'postgresql',
        'minio',
        'store-setup',
        'temporal-schema',
        'temporal',
        'temporal-setup',
        'temporal-ui',
        'api',
        'cpu-worker',
        'gpu-worker',
      ]),
    );
    expect(trainyardServices(compose).sort()).toEqual(['api', 'cpu-worker', 'gpu-worker']);
  });

  it('reserves NVIDIA GPUs for the GPU worker', () => {
    const gpu = compose.services['gpu-worker'] as { deploy: { resources: { reservations: { devices: unknown[] } } } };
    expect(gpu.deploy.resources.reservations.devices[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
  });

  it('when a Trainyard service is interpolated with defaults, then it points at the compose Temporal server over mTLS', () => {
    for (const name of trainyardServices(compose)) {
      const { env } = serviceCommand(name, required, compose);
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(env.TEMPORAL_TLS_CA).toBe('/run/trainyard/tls/ca.pem');
      expect(env.TEMPORAL_TLS_CERT).toMatch(/^\/run\/trainyard\/tls\/client-(api|worker)\.pem$/);
    }
  });

  it('when a Trainyard service is interpolated with defaults, then its artifacts go to the S3 store and it shares no volume', () => {
    for (const name of trainyardServices(compose)) {
      const { env } = serviceCommand(name, required, compose);
      expect(env.TRAINYARD_ARTIFACT_STORE).toBe('s3://trainyard/artifacts');
      expect(env.AWS_ENDPOINT_URL).toBe('http://minio:9000');
      expect([env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY]).toEqual(['ak', 'sk']);
      expect(env.TRAINYARD_ARTIFACT_ROOT).toBeUndefined();
      const svc = compose.services[name] as { volumes?: string[]; depends_on?: Record<string, unknown> };
      // Only read-only mounts (certificates, input datasets): nothing a service writes is shared.
      for (const v of svc.volumes ?? []) expect(v).toMatch(/:ro$/);
      expect(Object.keys(svc.depends_on ?? {})).toContain('store-setup');
    }
    const setup = compose.services['store-setup'] as { entrypoint: string[] };
    expect(setup.entrypoint).toEqual(['mc', 'mb', '--ignore-existing', 'store/trainyard']);
  });

  it('when the store credentials are not set, then no Trainyard service can be interpolated', () => {
    const { TRAINYARD_S3_SECRET_KEY: _unset, ...rest } = required;
    for (const name of trainyardServices(compose))
      expect(() => serviceCommand(name, rest, compose)).toThrow(/TRAINYARD_S3_SECRET_KEY/);
  });

  it('when a Trainyard service is run, then its entry file exists (the command names a real file)', () => {
    for (const name of trainyardServices(compose)) {
      const { argv } = serviceCommand(name, required, compose);
      const entry = argv.find((a) => a.endsWith('.ts'));
      expect(entry).toBeDefined();
      expect(fs.existsSync(path.join(root, entry!))).toBe(true);
    }
  });

  it('when the build id is not set, then a worker service cannot be interpolated (versioned workers need it)', () => {
    const { TRAINYARD_BUILD_ID: _unset, ...rest } = required;
    expect(() => serviceCommand('cpu-worker', rest, compose)).toThrow(/TRAINYARD_BUILD_ID/);
  });
});

describe('compose interpolation', () => {
  it('when variables are set, unset or empty, then ${V}, ${V:-d}, ${V-d}, $V and $$ behave as in compose', () => {
    const vars = { A: 'a', E: '' };
    expect(interpolate('${A}/${B}/$A/$$A', vars)).toBe('a//a/$A');
    expect(interpolate('${B:-x/${A}}', vars)).toBe('x/a');
    expect(interpolate('${E:-d}|${E-d}|${B-d}', vars)).toBe('d||d');
    expect(() => interpolate('${E:?must be set}', vars)).toThrow(/E is required: must be set/);
  });
});

describe('Temporal setup (deploy/temporal/setup.sh)', () => {
  const setup = fs.readFileSync(path.join(root, 'deploy', 'temporal', 'setup.sh'), 'utf8');

  it('registers every search attribute the dev server registers', () => {
    for (const sa of SEARCH_ATTRIBUTE_CLI_ARGS.filter((a) => a !== '--search-attribute')) expect(setup).toContain(sa);
  });

  it('when the custom search attributes are counted per type, then they fit SQL visibility (3 per type, 10 Keyword)', () => {
    const perType = new Map<string, number>();
    for (const key of Object.values(SA)) perType.set(key.type, (perType.get(key.type) ?? 0) + 1);
    for (const [type, n] of perType) expect(n).toBeLessThanOrEqual(type === 'KEYWORD' ? 10 : 3);
  });
});
