// GET /v1/jobs/:id/logs?node=…&follow=1 against a real stack: while a `command` node runs, its lines
// arrive as they are printed, and the response ends once the node has finished.
import { KEYS, startApiStack, type ApiStack } from '../helpers/api-stack';
import { waitFor } from '../helpers/temporal';

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack();
}, 180_000);
afterAll(async () => s?.stop());

const LINES = 10;
const EVERY_MS = 200;

async function getJson(path: string): Promise<any> {
  const res = await fetch(`${s.api.url}${path}`, { headers: { 'x-api-key': KEYS.alice } });
  return res.json();
}

test('when a running command node is followed, then its lines stream as printed and the response ends when the node finishes', async () => {
  // One line every 200 ms for about 2 s.
  const script = `let i=0;const t=setInterval(()=>{console.log('line '+(++i));if(i>=${LINES})clearInterval(t);},${EVERY_MS});`;
  const submit = await fetch(`${s.api.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'x-api-key': KEYS.alice, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'logs-follow',
      nodes: [{ id: 'run', type: 'command', config: { command: ['node', '-e', script] } }],
    }),
  });
  expect(submit.status).toBe(201);
  const { id } = (await submit.json()) as { id: string };
  await waitFor(
    async () => {
      const v = await getJson(`/v1/jobs/${id}`);
      return v.nodes?.find((n: { id: string }) => n.id === 'run')?.status === 'running';
    },
    { intervalMs: 50, what: 'the node to run' },
  );

  const res = await fetch(`${s.api.url}/v1/jobs/${id}/logs?node=run&follow=1`, {
    headers: { 'x-api-key': KEYS.alice },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const arrivals: { line: string; at: number }[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      arrivals.push({ line: buf.slice(0, nl), at: Date.now() });
      buf = buf.slice(nl + 1);
    }
  }
  const endedAt = Date.now();

  const printed = arrivals.filter((a) => /^line \d+$/.test(a.line));
  expect(printed.map((a) => a.line)).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`));
  // Streamed, not delivered at the end: the lines arrive spread over the ~2 s the script prints for.
  const spreadMs = printed[LINES - 1]!.at - printed[0]!.at;
  expect(spreadMs).toBeGreaterThanOrEqual(((LINES - 1) * EVERY_MS) / 2);
  // The response ended by itself after the node finished (the attempt's closing line is in it) …
  expect(arrivals.some((a) => /^--- attempt 1 ended .*exit 0$/.test(a.line))).toBe(true);
  const node = await waitFor(
    async () => {
      const v = await getJson(`/v1/jobs/${id}`);
      return v.status === 'completed' ? v.nodes.find((n: { id: string }) => n.id === 'run') : undefined;
    },
    { what: 'the job to complete' },
  );
  expect(node.status).toBe('completed');
  // … and promptly (the follow loop re-checks the node about once a second).
  expect(endedAt - printed[LINES - 1]!.at).toBeLessThan(5000);
}, 120_000);
