import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffInventory, discoverGpus, parseNvidiaSmi, simulatedInventory } from '../../../src/gpu/discovery';

const SAMPLE = `0, GPU-1b2c3d4e-aaaa-bbbb-cccc-000000000000, NVIDIA A100-SXM4-80GB, 81920, 1024
1, GPU-1b2c3d4e-aaaa-bbbb-cccc-000000000001, NVIDIA A100-SXM4-80GB, 81920, 0

`;

describe('parseNvidiaSmi', () => {
  it('when given csv,noheader,nounits output, then returns one device per line with memory in GB', () => {
    const gpus = parseNvidiaSmi(SAMPLE);
    expect(gpus).toEqual([
      {
        index: 0,
        uuid: 'GPU-1b2c3d4e-aaaa-bbbb-cccc-000000000000',
        name: 'NVIDIA A100-SXM4-80GB',
        memoryGb: 80,
        memoryUsedGb: 1,
      },
      {
        index: 1,
        uuid: 'GPU-1b2c3d4e-aaaa-bbbb-cccc-000000000001',
        name: 'NVIDIA A100-SXM4-80GB',
        memoryGb: 80,
        memoryUsedGb: 0,
      },
    ]);
  });
  it('when lines are out of order or use CRLF, then devices come sorted by index', () => {
    const gpus = parseNvidiaSmi('1, GPU-b, Tesla T4, 15360, 0\r\n0, GPU-a, Tesla T4, 15360, 3\r\n');
    expect(gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(gpus[0]!.memoryGb).toBe(15);
  });
  it('when a name contains a comma, then the name keeps it', () => {
    expect(parseNvidiaSmi('0, GPU-x, Weird, Name, 8192, 0')[0]!.name).toBe('Weird,Name');
  });
  it('when a line is malformed, then it throws quoting the line', () => {
    expect(() => parseNvidiaSmi('No devices were found')).toThrow(/No devices were found/);
    expect(() => parseNvidiaSmi('x, GPU-a, T4, 100, 0')).toThrow(/cannot parse/);
  });
  it('when output is empty, then there are no GPUs', () => {
    expect(parseNvidiaSmi('\n')).toEqual([]);
  });
});

describe('simulatedInventory', () => {
  it('when given 2x16, then two simulated 16 GB GPUs with indices 0 and 1', () => {
    const inv = simulatedInventory('2x16');
    expect(inv.simulated).toBe(true);
    expect(inv.gpus.map((g) => [g.index, g.memoryGb])).toEqual([
      [0, 16],
      [1, 16],
    ]);
  });
  it('when malformed, then it throws naming TRAINYARD_GPUS', () => {
    expect(() => simulatedInventory('two')).toThrow(/TRAINYARD_GPUS/);
    expect(() => simulatedInventory('0x16')).toThrow(/TRAINYARD_GPUS/);
  });
});

describe('discoverGpus', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-smi-'));
  const fake = (name: string, body: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return p;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when nvidia-smi works, then real GPUs win over TRAINYARD_GPUS', async () => {
    const smi = fake('ok', `cat <<'X'\n${SAMPLE}X`);
    const inv = await discoverGpus({ gpus: '2x16' }, { nvidiaSmi: smi });
    expect(inv.simulated).toBe(false);
    expect(inv.gpus).toHaveLength(2);
  });
  it('when nvidia-smi is missing and TRAINYARD_GPUS is set, then the simulated inventory', async () => {
    const inv = await discoverGpus({ gpus: '1x24' }, { nvidiaSmi: path.join(dir, 'missing') });
    expect(inv).toMatchObject({ simulated: true, source: 'TRAINYARD_GPUS=1x24' });
  });
  it('when nvidia-smi fails and TRAINYARD_GPUS is unset, then an error naming both', async () => {
    const smi = fake(
      'fail',
      'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver" >&2; exit 9',
    );
    await expect(discoverGpus({}, { nvidiaSmi: smi })).rejects.toThrow(
      /needs a GPU.*communicate with the NVIDIA driver.*TRAINYARD_GPUS/s,
    );
  });
  it('when nvidia-smi hangs, then it times out', async () => {
    const smi = fake('hang', 'sleep 10');
    await expect(discoverGpus({}, { nvidiaSmi: smi, timeoutMs: 300 })).rejects.toThrow(/needs a GPU/);
  });
});

describe('diffInventory', () => {
  it('when a GPU disappears and another appears, then both are reported', () => {
    const a = parseNvidiaSmi(SAMPLE);
    const b = [a[0]!, { ...a[1]!, index: 2, uuid: 'GPU-new' }];
    const d = diffInventory(a, b);
    expect(d.removed.map((g) => g.index)).toEqual([1]);
    expect(d.added.map((g) => g.uuid)).toEqual(['GPU-new']);
  });
});
