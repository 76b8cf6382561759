// SIGKILL the GPU worker process mid-`train`: the step's heartbeat times out, Temporal retries it on
// a new GPU worker, which resumes from the checkpoint in the last heartbeat; the job completes.
import { storageFromConfig } from '../../src/storage';
import path from 'node:path';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import { startTestTemporal, uniqueId, waitFor, type TestTemporal } from '../helpers/temporal';
import {
  chaosConfig,
  chaosEnv,
  checkArtifacts,
  pipeline,
  startGpuWorkerProcess,
  startInProcessWorkers,
  type GpuProcess,
} from './ml-stack';

describe('GPU worker killed mid-train', () => {
  let t: TestTemporal;
  const gpus: GpuProcess[] = [];
  beforeAll(async () => {
    t = await startTestTemporal();
  });
  afterAll(async () => {
    for (const g of gpus) if (g.child.exitCode === null) g.child.kill('SIGKILL');
    await t?.teardown();
  });

  it('when the GPU worker gets SIGKILL during training, then the job completes and training resumed from its checkpoint', async () => {
    const env = chaosEnv(path.join(t.tmpDir, 'home'), uniqueId('chaos-gpu'), {
      TEMPORAL_ADDRESS: t.server.address,
      TRAINYARD_GPUS: '1x16',
    });
    const config = chaosConfig(env);
    const cpu = await startInProcessWorkers(t.nativeConnection, config, { gpu: false });
    try {
      gpus.push(await startGpuWorkerProcess(env));
      const sdk = new JobService(t.client, jobServiceConfigFrom(config));
      const epochs = 60;
      const { id } = await sdk.submitJob(
        pipeline('gpu-kill', { epochs, epochDelayMs: 150, checkpointEvery: 5, heartbeat: '3s' }),
        { owner: 'chaos' },
      );

      // Wait until training is well under way (a checkpoint exists), then kill the worker outright.
      const killedAtEpoch = await waitFor(
        async () => {
          const v = await sdk.getJobStatus(id);
          const tr = v.nodes.find((n) => n.id === 'train');
          return tr?.status === 'running' && (tr.live?.epoch ?? 0) >= 12 ? tr.live!.epoch! : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 100, what: 'train past epoch 12' },
      );
      gpus[0]!.child.kill('SIGKILL');
      await gpus[0]!.exited;

      // A replacement worker picks the retried attempt up.
      gpus.push(await startGpuWorkerProcess(env));
      const result = await t.client.workflow.getHandle(id).result();
      expect(result.status).toBe('completed');

      const view = await sdk.getJobStatus(id);
      const train = view.nodes.find((n) => n.id === 'train')!;
      const summary = train.output?.summary as { resumedFromEpoch?: number; epochsRun?: number };
      console.log(
        `gpu worker kill: killed at epoch ${killedAtEpoch}; train attempts ${train.attempts}; resumedFromEpoch ${summary.resumedFromEpoch}`,
      );
      expect(train.attempts).toBeGreaterThanOrEqual(2);
      expect(summary.resumedFromEpoch).toBeGreaterThanOrEqual(5);
      expect(summary.resumedFromEpoch).toBeLessThanOrEqual(killedAtEpoch);
      // The replacement, not the killed process, finished it: the attempt's worker identity is
      // "<pid>@<host> gpu[…]" (workers/gpu-workers.ts), the pid that of the second process.
      const [killed, replacement] = [gpus[0]!.child.pid, gpus[1]!.child.pid];
      expect(replacement).not.toBe(killed);
      expect(train.output?.meta?.worker).toMatch(new RegExp(`^${replacement}@`));
      const artifacts = await checkArtifacts(
        storageFromConfig(config).artifacts.objects,
        view.nodes.map((n) => n.output),
      );
      expect(artifacts.problems).toEqual([]);
      expect(artifacts.checked).toBeGreaterThan(5);
    } finally {
      for (const g of gpus) if (g.child.exitCode === null) g.child.kill('SIGTERM');
      await Promise.all(gpus.map((g) => g.exited));
      await cpu.stop();
    }
  });
});
