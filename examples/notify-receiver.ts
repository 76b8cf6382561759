// A notification receiver: verifies Trainyard's signature, refuses stale or forged POSTs, and
// handles each notification once (by its idempotency id) however often it is delivered.
// README "Notifications" shows it; test/integration/notify.test.ts runs it.
//   TRAINYARD_NOTIFY_SECRET=... npx tsx examples/notify-receiver.ts   (listens on 127.0.0.1:9000)
import crypto from 'node:crypto';
import http from 'node:http';

/** `Trainyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function verify(secret: string, rawBody: string, header: string | undefined, toleranceS = 300): boolean {
  const parts = new Map((header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export interface Delivery {
  id: string;
  event: string;
  body: { id: string; event: string; job: Record<string, unknown>; links: Record<string, string> };
  at: number;
  verified: boolean;
  path: string;
}

/**
 * A receiver on 127.0.0.1. `answer` decides each response (default 200); `deliveries` holds every
 * POST (redeliveries included), `handled` each notification once.
 */
export function startReceiver(
  secret: string,
  answer: (d: Delivery, res: http.ServerResponse) => number | 'hang' = () => 200,
  port = 0,
): Promise<{ url: string; deliveries: Delivery[]; handled: Map<string, Delivery>; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const handled = new Map<string, Delivery>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const verified = verify(secret, raw, req.headers['trainyard-signature'] as string | undefined);
      if (!verified) return void res.writeHead(401).end();
      const d: Delivery = {
        id: String(req.headers['trainyard-idempotency-id']),
        event: String(req.headers['trainyard-event']),
        body: JSON.parse(raw) as Delivery['body'],
        at: Date.now(),
        verified,
        path: req.url ?? '/',
      };
      deliveries.push(d);
      const status = answer(d, res);
      if (status === 'hang') return; // never answers (the test kills the sender meanwhile)
      // Handled once: a redelivery of an id already handled is acknowledged and ignored.
      if (status >= 200 && status < 300 && !handled.has(d.id)) handled.set(d.id, d);
      res.writeHead(status).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const { port: p } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${p}`,
        deliveries,
        handled,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      });
    }),
  );
}

if (require.main === module) {
  const secret = process.env.TRAINYARD_NOTIFY_SECRET ?? '';
  if (secret.length < 16) throw new Error('set TRAINYARD_NOTIFY_SECRET (the owner secret of TRAINYARD_NOTIFY_SECRETS)');
  void startReceiver(
    secret,
    (d) => {
      console.log(`${d.event} ${String(d.body.job.id)} (${d.id})`);
      return 200;
    },
    9000,
  ).then((r) => console.log(`listening on ${r.url}`));
}
