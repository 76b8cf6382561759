// A notification survives the worker that was sending it: the workflows worker (a real process,
// workers/cpu.ts) is SIGKILLed while its POST is in flight (the loopback receiver holds the first
// request open), a new worker is started, and the server's retry of the activity delivers it.
// The receiver (examples/notify-receiver.ts) de-duplicates by idempotency id: exactly one
// notification handled, every POST verified, and the redelivery carried the same id.
import fs from 'node:fs';
import path from 'node:path';
import { startReceiver } from '../../examples/notify-receiver';
import { loadConfig } from '../../src/config';
import { jobServiceConfigFrom } from '../../src/job-service/config';
import { JobService } from '../../src/job-service/job-service';
import { RoleProcesses } from '../helpers/role-processes';
import {
  installTestRuntime,
  startTestTemporal,
  uniqueId,
  waitFor,
  workflowBundle,
  type TestTemporal,
} from '../helpers/temporal';

const SECRET = 'kill-notify-secret-0123456789';

describe('a notification when the worker is killed mid-delivery', () => {
  let t: TestTemporal;
  const roles = new RoleProcesses();
  let rx: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterAll(async () => {
    await roles.stopAll();
    await rx?.close();
    await t?.teardown();
  });

  test('is delivered once (by id) after the retry, with the same idempotency id and a valid signature', async () => {
    installTestRuntime();
    t = await startTestTemporal();
    let firstArrived!: () => void;
    const arrived = new Promise<void>((r) => (firstArrived = r));
    let posts = 0;
    rx = await startReceiver(SECRET, () => {
      posts += 1;
      if (posts === 1) {
        firstArrived();
        return 'hang';
      }
      return 200;
    });
    const bundleFile = path.join(t.tmpDir, 'bundle.js');
    fs.writeFileSync(bundleFile, (await workflowBundle()).code);
    const env = {
      TEMPORAL_ADDRESS: t.server.address,
      TRAINYARD_QUEUE_PREFIX: uniqueId('notify-kill'),
      TRAINYARD_WORKFLOW_BUNDLE: bundleFile,
      TRAINYARD_SANDBOX: 'off',
      TRAINYARD_GPUS: '2x16',
      TRAINYARD_SHUTDOWN_GRACE: '1s',
      TRAINYARD_NOTIFY_SECRETS: `*=${SECRET}`,
      TRAINYARD_NOTIFY_ALLOW: '127.0.0.1',
      // One POST may take 5 s (the activity's start-to-close is 10 s): the retry comes from the server's timeout.
      TRAINYARD_NOTIFY_TIMEOUT: '5s',
      TRAINYARD_NOTIFY_RETRY_INITIAL: '200ms',
    };
    const config = loadConfig({ ...env, TRAINYARD_HOME: t.tmpDir });
    const sdk = new JobService(t.client, jobServiceConfigFrom(config));
    const worker = await roles.start('worker-1', 'workers/cpu.ts', env, /GPUs: none/);
    const { id } = await sdk.submitJob(
      {
        name: 'notify-kill',
        nodes: [{ id: 'ok', type: 'command', config: { command: ['node', '-e', 'null'] } }],
        notify: [{ url: `${rx.url}/hook`, events: ['completed'] }],
      },
      { owner: 'alice' },
    );
    await arrived;
    process.kill(-worker.pid, 'SIGKILL');
    await worker.exited;
    await roles.start('worker-2', 'workers/cpu.ts', env, /GPUs: none/);
    const view = await waitFor(
      async () => {
        const v = await sdk.getJobStatus(id);
        return v.notifications?.[0]?.state === 'delivered' ? v : undefined;
      },
      { timeoutMs: 90_000, what: 'the notification delivered' },
    );
    expect(view.status).toBe('completed');
    const mine = rx.deliveries.filter((d) => d.body.job.id === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.every((d) => d.verified)).toBe(true);
    expect(new Set(mine.map((d) => d.id))).toEqual(new Set([`${id}:completed:0:0`]));
    expect([...rx.handled.values()].filter((d) => d.body.job.id === id)).toHaveLength(1);
    expect(view.notifications![0]).toMatchObject({ state: 'delivered', attempts: mine.length, lastStatus: 200 });
  });
});
