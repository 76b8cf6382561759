// docker-compose.yml is checked with `docker compose config -q` in CI where a compose client exists;
// this test checks what Trainyard relies on in it everywhere else.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SEARCH_ATTRIBUTE_CLI_ARGS } from '../../src/domain/search-attributes';

const root = path.resolve(__dirname, '..', '..');
const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml', () => {
  it('has PostgreSQL, Temporal, its UI, the API and both worker kinds', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'api', 'cpu-worker', 'gpu-worker']));
  });

  it('reserves NVIDIA GPUs for the GPU worker', () => {
    const devices = compose.services['gpu-worker'].deploy.resources.reservations.devices;
    expect(devices[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
  });

  it('registers every search attribute the dev server registers', () => {
    const setup: string = compose.services['temporal-setup'].command.join(' ');
    const wanted = SEARCH_ATTRIBUTE_CLI_ARGS.filter((a) => a !== '--search-attribute');
    for (const sa of wanted) expect(setup).toContain(sa);
  });

  it('points every Trainyard service at the compose Temporal server', () => {
    for (const name of ['api', 'cpu-worker', 'gpu-worker']) {
      expect(compose.services[name].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
  });
});
