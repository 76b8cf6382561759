// Attack: freeze the API process with inputs that are cheap to send and expensive to handle (issue
// 10, "Freeze the whole process"): a 578 KB YAML flow mapping behind one configPath, 150 nodes each
// naming a big YAML list, four concurrent `logs?tail=5` on a 100 MB log. Config files are parsed in
// a worker thread within per-file limits and a budget per submission; logs are streamed from an
// offset (or from the end) a block at a time. Throughout, /healthz must answer within 200 ms: every
// probe made during each attack is timed (a behaviour assertion, not a benchmark).
import fs from 'node:fs';
import path from 'node:path';
import { KEYS, apiCall, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

const SECRET = 'cfg-secret-5e1d';
let s: ApiStack;
let data: string;
beforeAll(async () => {
  s = await startApiStack({
    env: (tmp) => {
      data = path.join(tmp, 'data', 'alice');
      fs.mkdirSync(data, { recursive: true });
      return { TRAINYARD_DATA_ROOT: path.dirname(data), TRAINYARD_MAX_BODY: '1mb' };
    },
  });
  const flow: string[] = [];
  for (let i = 0, n = 1; n < 578_000; i++) {
    const entry = `k${i}: ${SECRET}${i}`;
    flow.push(entry);
    n += entry.length + 2;
  }
  fs.writeFileSync(path.join(data, 'flow.yaml'), `{${flow.join(', ')}}\n`);
  // A mapping with a list of 15,000 items: under the per-file limits (~1 MB, 15k values).
  const items: string[] = [];
  for (let i = 0; i < 15_000; i++) items.push(`  - item-${String(i).padStart(56, '0')}`);
  fs.writeFileSync(path.join(data, 'list.yaml'), `items:\n${items.join('\n')}\n`);
  fs.writeFileSync(path.join(data, 'broken.yaml'), `env:\n  TOKEN: "${SECRET}\n  other: [\n`);
  fs.writeFileSync(path.join(data, 'broken.json'), `{"env": {"TOKEN": ${SECRET}}}`);
}, 180_000);
afterAll(async () => s?.stop());

/**
 * Runs `attack` while /healthz is probed every 20 ms; returns the attack's result, every probe's
 * latency (ms) and how much this process's RSS grew at its peak (sampled every 5 ms).
 */
async function underProbe<T>(attack: () => Promise<T>): Promise<{ result: T; probes: number[]; rssGrowth: number }> {
  const probes: number[] = [];
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let done = false;
  const probing = (async () => {
    while (!done) {
      const t0 = performance.now();
      const res = await fetch(`${s.api.url}/healthz`);
      expect(res.status).toBe(200);
      await res.text();
      probes.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const result = await attack();
    return { result, probes, rssGrowth: peak - rss0 };
  } finally {
    clearInterval(sampler);
    done = true;
    await probing;
  }
}

const commandNode = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'command',
  config: { command: ['node', '-e', ''] },
  ...extra,
});

describe('config files are parsed off the event loop, within budgets', () => {
  test('when one configPath names a 578 KB YAML flow mapping, then it is refused naming the field and /healthz answers within 200 ms throughout', async () => {
    const { result: r, probes } = await underProbe(() =>
      apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
        name: 'flow',
        nodes: [commandNode('a', { configPath: 'alice/flow.yaml' })],
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([
      {
        path: 'nodes[0].configPath',
        message: expect.stringMatching(/^cannot parse alice\/flow\.yaml: too many values/),
      },
    ]);
    expect(r.text).not.toContain(SECRET);
    expect(probes.length).toBeGreaterThan(1);
    expect(Math.max(...probes)).toBeLessThan(200);
  }, 60_000);

  test('when 150 nodes each name a 1 MB YAML list, then the submission is refused once its config budget is spent and /healthz answers within 200 ms throughout', async () => {
    const nodes = Array.from({ length: 150 }, (_, i) => commandNode(`n${i}`, { configPath: 'alice/list.yaml' }));
    const t0 = Date.now();
    const {
      result: r,
      probes,
      rssGrowth,
    } = await underProbe(() => apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, { name: 'lists', nodes }));
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
    expect(r.body.error.message).toMatch(/config files are larger than 4194304 bytes in all/);
    // The first node over the budget is named (the 5th: four 1 MB files fit in 4 MiB).
    expect(r.body.error.details).toEqual([{ path: 'nodes[4].configPath', message: r.body.error.message }]);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(rssGrowth).toBeLessThan(300 * 1024 * 1024);
    expect(probes.length).toBeGreaterThan(1);
    expect(Math.max(...probes)).toBeLessThan(200);
  }, 60_000);

  test.each(['broken.yaml', 'broken.json'])(
    'when a config file (%s) does not parse, then the error says where, never what the file holds',
    async (file) => {
      const r = await apiCall(s, 'POST', '/v1/jobs/validate', KEYS.alice, {
        name: 'broken',
        nodes: [commandNode('a', { configPath: `alice/${file}` })],
      });
      expect(r.status).toBe(400);
      expect(r.body.error.details[0].path).toBe('nodes[0].configPath');
      expect(r.body.error.details[0].message).toMatch(
        new RegExp(`^cannot parse alice/${file.replace('.', '\\.')}: not valid`),
      );
      expect(r.text).not.toContain(SECRET);
      expect(r.text).not.toContain('cfg-');
    },
  );
});

describe('log reads stream a block at a time', () => {
  const LINE = 'x'.repeat(99) + '\n';
  const SIZE = 100 * 1024 * 1024;
  let jobId: string;
  let written = 0;
  beforeAll(async () => {
    // Node q waits behind a node that runs for a minute; its 100 MB log is written in place.
    const created = await apiCall(s, 'POST', '/v1/jobs', KEYS.alice, {
      name: 'big-log',
      nodes: [
        { id: 'c', type: 'command', config: { command: ['node', '-e', 'setTimeout(() => {}, 60000)'] } },
        { ...commandNode('q'), dependsOn: ['c'] },
      ],
    });
    expect(created.status).toBe(201);
    jobId = created.body.id;
    await waitFor(async () => {
      const j = await apiCall(s, 'GET', `/v1/jobs/${jobId}`, KEYS.alice);
      return j.body.nodes?.[0]?.status === 'running';
    });
    const spec = await apiCall(s, 'GET', `/v1/jobs/${jobId}/spec`, KEYS.alice);
    const logFile = path.join(s.config.artifactRoot, ...s.store.logKey(spec.body.jobDir, 'q').split('/'));
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const block = Buffer.from(LINE.repeat((1024 * 1024) / LINE.length));
    const fd = fs.openSync(logFile, 'w');
    while (written < SIZE) written += fs.writeSync(fd, block);
    written += fs.writeSync(fd, 'second to last\nthe last line\n');
    fs.closeSync(fd);
    // Two metric points, then 30 MB of lines that are none (torn, foreign).
    const metricsFile = path.join(s.config.artifactRoot, ...s.store.metricsKey(spec.body.jobDir, 'q').split('/'));
    const mfd = fs.openSync(metricsFile, 'w');
    for (const epoch of [1, 2])
      fs.writeSync(
        mfd,
        `${JSON.stringify({ t: 'now', attempt: 1, epoch, loss: 1 / epoch, metrics: { acc: epoch } })}\n`,
      );
    const junk = Buffer.from('{"not": "a point"}\n'.repeat(50_000));
    for (let n = 0; n < 30 * 1024 * 1024;) n += fs.writeSync(mfd, junk);
    fs.closeSync(mfd);
    // A 10 MB artifact of q, byte i = i % 251.
    const artifact = path.join(s.config.artifactRoot, ...spec.body.jobDir.split('/'), 'q', 'big.bin');
    fs.writeFileSync(artifact, Buffer.from(Array.from({ length: 10 << 20 }, (_, i) => i % 251)));
  }, 90_000);
  afterAll(async () => {
    if (jobId) await apiCall(s, 'POST', `/v1/jobs/${jobId}/cancel`, KEYS.alice);
  });

  test('when four clients ask for logs?tail=5 of a 100 MB log at once, then each gets the 5 lines, RSS grows by less than 100 MB and /healthz answers within 200 ms', async () => {
    const { result, probes, rssGrowth } = await underProbe(() =>
      Promise.all(
        Array.from({ length: 4 }, () => apiCall(s, 'GET', `/v1/jobs/${jobId}/logs?node=q&tail=5`, KEYS.alice)),
      ),
    );
    for (const r of result) {
      expect(r.status).toBe(200);
      expect(r.text).toBe(`${LINE}${LINE}${LINE}second to last\nthe last line\n`);
    }
    expect(Math.max(...probes)).toBeLessThan(200);
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);

  test('when a client reads the whole 100 MB log, then it is streamed (every byte arrives, RSS grows by less than 100 MB) and /healthz answers within 200 ms', async () => {
    const {
      result: bytes,
      probes,
      rssGrowth,
    } = await underProbe(async () => {
      const res = await fetch(`${s.api.url}/v1/jobs/${jobId}/logs?node=q`, { headers: { 'x-api-key': KEYS.alice } });
      expect(res.status).toBe(200);
      let n = 0;
      for await (const chunk of res.body!) n += (chunk as Uint8Array).byteLength;
      return n;
    });
    expect(bytes).toBe(written);
    expect(Math.max(...probes)).toBeLessThan(200);
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  }, 120_000);

  test('when four clients ask for the metrics of a node with a 30 MB metrics stream, then each gets its points (and is told the rest was cut), RSS grows by less than 100 MB and /healthz answers within 200 ms', async () => {
    const { result, probes, rssGrowth } = await underProbe(() =>
      Promise.all(Array.from({ length: 4 }, () => apiCall(s, 'GET', `/v1/jobs/${jobId}/nodes/q/metrics`, KEYS.alice))),
    );
    for (const r of result) {
      expect(r.status).toBe(200);
      expect(r.body.points.map((p: { epoch: number }) => p.epoch)).toEqual([1, 2]);
      expect(r.body.truncated).toBe(true);
    }
    expect(Math.max(...probes)).toBeLessThan(200);
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);

  test('when an artifact is downloaded with a Range, then only those bytes are streamed (206); a range past its end is 416, a malformed one 400 naming the header', async () => {
    const size = 10 << 20;
    const get = (range: string) =>
      fetch(`${s.api.url}/v1/jobs/${jobId}/artifacts/q/big.bin`, { headers: { 'x-api-key': KEYS.alice, range } });
    const expectBytes = async (range: string, start: number, end: number) => {
      const res = await get(range);
      expect({ range, status: res.status }).toEqual({ range, status: 206 });
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      const body = Buffer.from(await res.arrayBuffer());
      expect([...body]).toEqual(Array.from({ length: end - start + 1 }, (_, i) => (start + i) % 251));
    };
    await expectBytes(`bytes=${size - 10}-`, size - 10, size - 1);
    await expectBytes('bytes=-5', size - 5, size - 1);
    await expectBytes('bytes=3-6', 3, 6);
    await expectBytes(`bytes=${size - 2}-${size + 100}`, size - 2, size - 1);
    const past = await get(`bytes=${size}-`);
    expect(past.status).toBe(416);
    expect(((await past.json()) as any).error.code).toBe('range_not_satisfiable');
    for (const range of ['bytes=1-2,5-6', 'items=0-1', 'bytes=x-']) {
      const bad = await get(range);
      expect({ range, status: bad.status }).toEqual({ range, status: 400 });
      const err = ((await bad.json()) as any).error;
      expect(err.code).toBe('invalid_range');
      expect(err.details.map((d: { path: string }) => d.path)).toEqual(['headers.range']);
    }
    const whole = await fetch(`${s.api.url}/v1/jobs/${jobId}/artifacts/q/big.bin`, {
      headers: { 'x-api-key': KEYS.alice },
    });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect((await whole.arrayBuffer()).byteLength).toBe(size);
  });
});
