import { simulatedInventory } from '../../../src/gpu/discovery';
import { gpuWorkerIdentity, parseGpuWorkerIdentity } from '../../../src/gpu/readiness';

describe('GPU worker identity', () => {
  it('when a simulated inventory is announced, then readiness parses it back', () => {
    const id = gpuWorkerIdentity('123@host', 'a100-80g', simulatedInventory('2x16'));
    expect(id).toBe('123@host gpu[pool=a100-80g gpus=2x16GB simulated]');
    expect(parseGpuWorkerIdentity(id)).toEqual({ pool: 'a100-80g', count: 2, memoryGb: [16, 16], simulated: true });
  });
  it('when GPUs differ in memory, then each size is listed', () => {
    const inv = {
      simulated: false,
      source: 'nvidia-smi',
      gpus: [
        { index: 0, uuid: 'a', name: 'x', memoryGb: 16, memoryUsedGb: 0 },
        { index: 1, uuid: 'b', name: 'y', memoryGb: 79.5, memoryUsedGb: 0 },
      ],
    };
    expect(parseGpuWorkerIdentity(gpuWorkerIdentity('w', 'default', inv))).toEqual({
      pool: 'default',
      count: 2,
      memoryGb: [16, 79.5],
      simulated: false,
    });
  });
  it('when the identity is not a GPU worker, then null', () => {
    expect(parseGpuWorkerIdentity('123@host')).toBeNull();
  });
});
