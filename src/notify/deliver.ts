// Delivers one job notification: resolves the destination, refuses addresses that are not public
// (unless the operator allowlisted them), signs the body with the owner's secret and POSTs it to
// the address it checked (no second lookup, so a DNS answer cannot change between check and
// connect; redirects are not followed). Runs as the `deliverNotification` activity: Temporal
// retries it with backoff, on any worker, until it succeeds or the attempts run out.
import crypto from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  EVENT_HEADER,
  IDEMPOTENCY_HEADER,
  NOTIFY_FAILURES,
  SIGNATURE_HEADER,
  type NotifyAnswer,
  type NotifyCall,
} from '../domain/notify';

/** Not public: loopback, private, link-local, CGNAT, multicast, reserved and unspecified ranges. */
const NOT_PUBLIC: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
];
const notPublic = new net.BlockList();
for (const [a, bits, family] of NOT_PUBLIC) notPublic.addSubnet(a, bits, family);

/** An allowlist (TRAINYARD_NOTIFY_ALLOW entries: IPs or CIDRs). */
export function allowList(entries: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const e of entries) {
    const [ip, bits] = e.split('/');
    const family = net.isIPv6(ip!) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(ip!, family);
    else list.addSubnet(ip!, Number(bits), family);
  }
  return list;
}

/** An IPv4-mapped IPv6 address (::ffff:1.2.3.4) is judged as its IPv4 address. */
function normalize(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: net.isIPv6(address) ? 'ipv6' : 'ipv4' };
}

/** Why an address may not be notified, or undefined when it may. */
export function refusal(address: string, allow: net.BlockList): string | undefined {
  const a = normalize(address);
  if (allow.check(a.address, a.family) || allow.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4')) return undefined;
  if (notPublic.check(a.address, a.family))
    return `${address} is a loopback, private, link-local or reserved address (allowlist it with TRAINYARD_NOTIFY_ALLOW)`;
  return undefined;
}

/** Resolves the URL's host; every address must be allowed. Returns the one to connect to. */
export async function checkedAddress(
  url: URL,
  allow: net.BlockList,
  lookup: (host: string) => Promise<{ address: string; family: number }[]> = (host) =>
    dns.promises.lookup(host, { all: true, verbatim: true }),
): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await lookup(host);
  if (!addresses.length) throw new Error(`${host} has no address`);
  for (const a of addresses) {
    const why = refusal(a.address, allow);
    if (why) throw new RefusedDestination(`${host}: ${why}`);
  }
  return addresses[0]!;
}

export class RefusedDestination extends Error {}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (Stripe's scheme). */
export function signature(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** What a receiver does: the signature is valid and at most `toleranceS` old. */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  opts: { toleranceS?: number; nowMs?: number } = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  if (Math.abs((opts.nowMs ?? Date.now()) / 1000 - t) > (opts.toleranceS ?? 300)) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

export interface NotifyDeps {
  secrets: Record<string, string>;
  allow: string[];
  attemptTimeoutMs: number;
}

/** One POST; resolves with the status, rejects on network errors and timeouts. */
function post(
  url: URL,
  target: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        // Connect to the address that was checked (the TLS name stays the URL's host).
        lookup: ((_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
          opts?.all
            ? cb(null, [{ address: target.address, family: target.family }])
            : cb(null, target.address, target.family)) as unknown as net.LookupFunction,
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends one notification; throws an ApplicationFailure Temporal retries (or not). */
export async function deliver(call: NotifyCall, deps: NotifyDeps, attempt: number): Promise<NotifyAnswer> {
  const secret = deps.secrets[call.owner] ?? deps.secrets['*'];
  if (!secret)
    throw ApplicationFailure.create({
      type: NOTIFY_FAILURES.Refused,
      nonRetryable: true,
      message: `no notification secret for owner ${call.owner} (TRAINYARD_NOTIFY_SECRETS)`,
      details: [{ attempt }],
    });
  const url = new URL(call.url);
  let target: { address: string; family: number };
  try {
    target = await checkedAddress(url, allowList(deps.allow));
  } catch (err) {
    const refused = err instanceof RefusedDestination;
    throw ApplicationFailure.create({
      type: refused ? NOTIFY_FAILURES.Refused : NOTIFY_FAILURES.Failed,
      nonRetryable: refused,
      message: (err as Error).message,
      details: [{ attempt }],
    });
  }
  const body = JSON.stringify(call.payload);
  let status: number;
  try {
    status = await post(
      url,
      target,
      {
        'content-type': 'application/json',
        'user-agent': 'Trainyard-Notify/1',
        [SIGNATURE_HEADER]: signature(secret, body),
        [IDEMPOTENCY_HEADER]: call.payload.id,
        [EVENT_HEADER]: call.payload.event,
      },
      body,
      deps.attemptTimeoutMs,
    );
  } catch (err) {
    throw ApplicationFailure.create({
      type: NOTIFY_FAILURES.Failed,
      message: (err as Error).message,
      details: [{ attempt }],
    });
  }
  if (status >= 200 && status < 300) return { attempts: attempt, status, deliveredAt: new Date().toISOString() };
  const retryable = status >= 500 || status === 408 || status === 429;
  throw ApplicationFailure.create({
    type: retryable ? NOTIFY_FAILURES.Failed : NOTIFY_FAILURES.Rejected,
    nonRetryable: !retryable,
    message: `the receiver answered ${status}`,
    details: [{ status, attempt }],
  });
}

export function createNotifyActivities(deps: NotifyDeps) {
  return {
    async deliverNotification(call: NotifyCall): Promise<NotifyAnswer> {
      return deliver(call, deps, Context.current().info.attempt);
    },
  };
}
