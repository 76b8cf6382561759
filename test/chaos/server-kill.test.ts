// SIGKILL the Temporal dev server mid-job and restart it on the same SQLite file and port: every job
// completes, none is lost, and every artifact a node reports matches its file (sha256 + size), so
// at-least-once re-execution of a step left nothing inconsistent behind.
import { storageFromConfig } from '../../src/storage';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { JobProgress } from '../../src/domain/progress';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import { freePort, isPortOpen, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { uniqueId, waitFor } from '../helpers/temporal';
import { chaosConfig, chaosEnv, checkArtifacts, pipeline, startInProcessWorkers } from './ml-stack';

const JOBS = Number(process.env.CHAOS_SERVER_KILL_JOBS ?? 6);

describe('Temporal dev server killed mid-job', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-chaos-server-'));
  const dbFile = path.join(tmp, 'temporal.db');
  let server: DevServer | undefined;
  afterAll(async () => {
    await server?.stop();
    if (!process.env.TRAINYARD_KEEP_TEST_TMP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('when the server gets SIGKILL and restarts on the same db file, then every job completes, none lost, artifacts consistent', async () => {
    const port = await freePort();
    const start = () => startDevServer({ dbFile, port, uiPort: null, logFile: path.join(tmp, 'temporal.log') });
    server = await start();
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const env = chaosEnv(path.join(tmp, 'home'), uniqueId('chaos-srv'), {
      TEMPORAL_ADDRESS: server.address,
      TRAINYARD_GPUS: '2x16',
    });
    const config = chaosConfig(env);
    const workers = await startInProcessWorkers(native, config, { gpu: true });
    const sdk = new JobService(client, jobServiceConfigFrom(config));
    const owner = `srvkill${process.pid}`;
    try {
      const ids: string[] = [];
      for (let i = 0; i < JOBS; i++)
        ids.push(
          (
            await sdk.submitJob(
              pipeline(`srv-${i}`, { epochs: 40, epochDelayMs: 100, checkpointEvery: 5, heartbeat: '2s' }),
              { owner },
            )
          ).id,
        );

      // Kill while some jobs are training and others have not reached train yet.
      await waitFor(
        async () => {
          const vs = await Promise.all(ids.map((id) => sdk.getJobStatus(id)));
          return vs.some((v) =>
            v.nodes.some((n) => n.id === 'train' && n.status === 'running' && n.live !== undefined),
          );
        },
        { timeoutMs: 120_000, intervalMs: 100, what: 'a job training' },
      );
      await server.kill();
      // Down for good (its port closed), then back on the same db file.
      await waitFor(async () => !(await isPortOpen(port)), { timeoutMs: 30_000, what: 'the server down' });
      server = await start();

      const results = await Promise.all(
        ids.map(async (id) => {
          const deadline = Date.now() + 240_000;
          for (;;) {
            try {
              return await client.workflow.getHandle(id).result();
            } catch (err) {
              // The long poll may fail while the server is coming back; ask again.
              if (Date.now() > deadline) throw err;
              if ((err as { name?: string }).name === 'WorkflowFailedError') throw err;
              await new Promise((r) => setTimeout(r, 500));
            }
          }
        }),
      );
      const statuses = results.map((r: JobProgress) => r.status);
      expect(statuses).toEqual(ids.map(() => 'completed'));

      // None lost: visibility holds exactly the submitted jobs, all completed.
      const total = await waitFor(
        async () => {
          const c = (await client.workflow.count(`JobOwner = "${owner}" AND ExecutionStatus = "Completed"`)).count;
          return c >= JOBS ? c : undefined;
        },
        { timeoutMs: 30_000, what: 'visibility' },
      );
      expect(total).toBe(JOBS);
      expect((await client.workflow.count(`JobOwner = "${owner}"`)).count).toBe(JOBS);

      const views = await Promise.all(ids.map((id) => sdk.getJobStatus(id)));
      const artifacts = await checkArtifacts(
        storageFromConfig(config).artifacts.objects,
        views.flatMap((v) => v.nodes.map((n) => n.output)),
      );
      const executions = views.flatMap((v) => v.nodes.map((n) => n.attempts)).reduce((a, b) => a + b, 0);
      console.log(
        `server kill: ${JOBS} jobs completed after a SIGKILL + restart; ${artifacts.checked} artifacts verified; ${executions} step attempts for ${views.length * 5} steps`,
      );
      expect(artifacts.problems).toEqual([]);
    } finally {
      await workers.stop();
      await native.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    }
  }, 360_000);
});
