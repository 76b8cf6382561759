// Restart the API during a burst of submissions with Idempotency-Key: clients retry on connection
// errors and 5xx with the same key (and some resend after an answer, as if it were lost). Every
// acknowledged job exists exactly once, counted through visibility.
import fs from 'node:fs';
import path from 'node:path';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { loadConfig, type Config } from '../../src/config';
import { freePort } from '../../src/temporal/dev-server';
import { startTestTemporal, waitFor, type TestTemporal } from '../helpers/temporal';

const KEY = 'chaos-key-0123456789abcdef0123456789';
const OWNER = `burst${process.pid}`;
const SUBMISSIONS = Number(process.env.CHAOS_BURST ?? 200);
const CONCURRENCY = 16;

const spec = { name: 'burst', nodes: [{ id: 'data', type: 'dataset', config: { name: 'iris' } }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('API restart during a burst of idempotent submissions', () => {
  let t: TestTemporal;
  let config: Config;
  let port: number;
  let api: ApiServer | undefined;

  const start = async () => {
    api = await startApiServer({
      client: t.client,
      config,
      port,
      host: '127.0.0.1',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
  };

  beforeAll(async () => {
    t = await startTestTemporal();
    const home = path.join(t.tmpDir, 'home');
    fs.mkdirSync(path.join(home, 'artifacts'), { recursive: true });
    config = loadConfig({
      TRAINYARD_HOME: home,
      TRAINYARD_API_KEYS: `${OWNER}:${KEY}`,
      TRAINYARD_QUEUE_PREFIX: 'chaos-burst',
      TRAINYARD_LOG_LEVEL: 'silent',
    });
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    await api?.close();
    await t?.teardown();
  });

  it('when the API restarts mid-burst, then every acknowledged job exists exactly once', async () => {
    const acks = new Map<string, { id: string; created: boolean }[]>();
    let errorsSeen = 0;
    let restarted = false;

    const submit = async (key: string): Promise<void> => {
      for (let tries = 0; ; tries++) {
        if (tries > 400) throw new Error(`key ${key}: no answer after ${tries} tries`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/v1/jobs`, {
            method: 'POST',
            headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'idempotency-key': key },
            body: JSON.stringify(spec),
          });
          const body = (await res.json()) as { id: string; created: boolean };
          if (res.status === 201 || res.status === 200) {
            acks.set(key, [...(acks.get(key) ?? []), { id: body.id, created: body.created }]);
            return;
          }
          if (res.status < 500) throw new Error(`key ${key}: ${res.status} ${JSON.stringify(body)}`);
          errorsSeen++;
        } catch (err) {
          if ((err as Error).message.startsWith(`key ${key}:`)) throw err;
          errorsSeen++; // connection refused / reset while the API is down
        }
        await sleep(25);
      }
    };

    const keys = Array.from({ length: SUBMISSIONS }, (_, i) => `burst-${i}`);
    let next = 0;
    const clients = Array.from({ length: CONCURRENCY }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await submit(key);
        // Every fifth key is sent again, as a client would after losing the answer.
        if (Number(key.split('-')[1]) % 5 === 0) await submit(key);
      }
    });
    const chaos = (async () => {
      await waitFor(() => acks.size >= SUBMISSIONS / 4, {
        timeoutMs: 60_000,
        intervalMs: 10,
        what: 'a quarter of the burst acknowledged',
      });
      await api!.close();
      api = undefined;
      // Down until clients have been refused (they retry every 25 ms), then back.
      const refusedBefore = errorsSeen;
      await waitFor(() => errorsSeen >= refusedBefore + CONCURRENCY, {
        timeoutMs: 30_000,
        intervalMs: 10,
        what: 'clients refused while the API is down',
      });
      await start();
      restarted = true;
    })();
    await Promise.all([...clients, chaos]);

    expect(restarted).toBe(true);
    expect(acks.size).toBe(SUBMISSIONS);
    // Same key → same job id, every time it was acknowledged.
    for (const list of acks.values()) expect(new Set(list.map((a) => a.id)).size).toBe(1);
    const ids = [...acks.values()].map((l) => l[0]!.id);
    expect(new Set(ids).size).toBe(SUBMISSIONS);

    // Visibility: exactly one workflow per acknowledged job, and no others for this owner.
    const total = await waitFor(
      async () => {
        const c = (await t.client.workflow.count(`JobOwner = "${OWNER}"`)).count;
        return c >= SUBMISSIONS ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'visibility to catch up' },
    );
    expect(total).toBe(SUBMISSIONS);
    const perId = await Promise.all(
      ids.map(async (id) => (await t.client.workflow.count(`WorkflowId = "${id}"`)).count),
    );
    expect(perId.filter((c) => c !== 1)).toEqual([]);
    console.log(
      `api restart: ${SUBMISSIONS} keys, ${[...acks.values()].reduce((a, l) => a + l.length, 0)} acknowledgements, ${errorsSeen} refused/failed tries during the restart; ${total} workflows for the owner`,
    );
  });
});
