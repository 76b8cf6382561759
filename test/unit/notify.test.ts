// The notification pieces that need no server: the URL rule of the spec, the address check after
// DNS resolution (a public-looking name that resolves to a private address is refused), the
// allowlist, the signature (and the README receiver's verification of it), the config variables.
import fs from 'node:fs';
import path from 'node:path';
import { verify } from '../../examples/notify-receiver';
import { loadConfig } from '../../src/config';
import { JobSpec } from '../../src/domain/job-spec';
import { allowList, checkedAddress, signature, verifySignature } from '../../src/notify/deliver';

const lookupAs =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const spec = (notify: unknown) => ({
  name: 'n',
  nodes: [{ id: 'a', type: 'command', config: { command: ['true'] } }],
  notify,
});

describe('notify targets in the job spec', () => {
  test('http and https URLs pass; events default to all four', () => {
    const r = JobSpec.parse(
      spec([{ url: 'https://hooks.example.com/t' }, { url: 'http://10.0.0.1:8080/x', events: ['failed'] }]),
    );
    expect(r.notify![0]!.events).toEqual(['completed', 'failed', 'cancelled', 'waiting_for_recover']);
    expect(r.notify![1]!.events).toEqual(['failed']);
  });
  test.each(['ftp://x.example/', 'file:///etc/passwd', 'javascript:alert(1)', '/relative', 'https://u:p@x.example/'])(
    '%s is refused, naming notify.0.url',
    (url) => {
      const r = JobSpec.safeParse(spec([{ url }]));
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['notify', 0, 'url']);
    },
  );
});

describe('the destination check after DNS resolution', () => {
  const none = allowList([]);
  test.each([
    ['127.0.0.1'],
    ['10.1.2.3'],
    ['172.20.0.1'],
    ['192.168.1.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['0.0.0.0'],
    ['::1'],
    ['fe80::1'],
    ['fd00::1'],
    ['::ffff:127.0.0.1'],
    ['::ffff:10.0.0.1'],
  ])('a name resolving to %s is refused', async (address) => {
    await expect(checkedAddress(new URL('https://hooks.example.com/x'), none, lookupAs(address))).rejects.toThrow(
      /loopback, private, link-local or reserved/,
    );
  });
  test('one private address among public ones is enough to refuse (no picking the good answer)', async () => {
    await expect(
      checkedAddress(new URL('https://hooks.example.com/'), none, lookupAs('93.184.216.34', '10.0.0.7')),
    ).rejects.toThrow(/10\.0\.0\.7/);
  });
  test('an IP literal is checked without DNS', async () => {
    await expect(checkedAddress(new URL('http://[::1]:9/'), none, lookupAs('93.184.216.34'))).rejects.toThrow(/::1/);
  });
  test('public addresses pass; the address checked is the one to connect to', async () => {
    expect(await checkedAddress(new URL('https://hooks.example.com/'), none, lookupAs('93.184.216.34'))).toEqual({
      address: '93.184.216.34',
      family: 4,
    });
  });
  test('the allowlist lets exactly its addresses through', async () => {
    const allow = allowList(['127.0.0.1/32', '10.0.0.0/8']);
    await expect(checkedAddress(new URL('http://x.example/'), allow, lookupAs('127.0.0.1'))).resolves.toBeTruthy();
    await expect(checkedAddress(new URL('http://x.example/'), allow, lookupAs('10.9.9.9'))).resolves.toBeTruthy();
    await expect(checkedAddress(new URL('http://x.example/'), allow, lookupAs('127.0.0.2'))).rejects.toThrow();
    await expect(checkedAddress(new URL('http://x.example/'), allow, lookupAs('::1'))).rejects.toThrow();
  });
});

describe('signature', () => {
  const secret = 'a-secret-of-sixteen+';
  const body = JSON.stringify({ id: 'j:completed:0:0', event: 'completed' });
  test('t=…,v1=… verifies with the same secret and body, within the tolerance', () => {
    const h = signature(secret, body);
    expect(h).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, h)).toBe(true);
    expect(verify(secret, body, h)).toBe(true);
    expect(verify('another-secret-0123', body, h)).toBe(false);
    expect(verify(secret, `${body} `, h)).toBe(false);
    const old = signature(secret, body, Date.now() - 10 * 60_000);
    expect(verify(secret, body, old)).toBe(false);
    expect(verifySignature(secret, body, old)).toBe(false);
    expect(verify(secret, body, undefined)).toBe(false);
  });
});

describe('TRAINYARD_NOTIFY_* configuration', () => {
  test('secrets, defaults and the allowlist parse; bad values name the variable', () => {
    const c = loadConfig({
      TRAINYARD_NOTIFY_SECRETS: 'alice=0123456789abcdef,*=fedcba9876543210',
      TRAINYARD_NOTIFY_DEFAULTS: '{"alice":[{"url":"https://h.example/x","events":["failed"]}]}',
      TRAINYARD_NOTIFY_ALLOW: '127.0.0.1/32,::1',
    });
    expect(c.notify.secrets).toEqual({ alice: '0123456789abcdef', '*': 'fedcba9876543210' });
    expect(c.notify.defaults.alice).toEqual([{ url: 'https://h.example/x', events: ['failed'] }]);
    expect(c.notify.allow).toEqual(['127.0.0.1/32', '::1']);
    expect(() => loadConfig({ TRAINYARD_NOTIFY_SECRETS: 'alice=short' })).toThrow(/TRAINYARD_NOTIFY_SECRETS/);
    expect(() => loadConfig({ TRAINYARD_NOTIFY_SECRETS: 'alice=short' })).not.toThrow(/short/);
    expect(() => loadConfig({ TRAINYARD_NOTIFY_ALLOW: '127.0.0.1/40' })).toThrow(/TRAINYARD_NOTIFY_ALLOW/);
    expect(() => loadConfig({ TRAINYARD_NOTIFY_DEFAULTS: '{"a":[{"url":"ftp://x"}]}' })).toThrow(
      /TRAINYARD_NOTIFY_DEFAULTS: a\.0\.url/,
    );
  });
});

describe('README "Notifications"', () => {
  test("its receiver check is examples/notify-receiver.ts's verify, which the integration tests run", () => {
    const root = path.join(__dirname, '..', '..');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Notifications'));
    const src = fs.readFileSync(path.join(root, 'examples', 'notify-receiver.ts'), 'utf8');
    const fn = /\/\*\* `Trainyard-Signature[\s\S]*?\n}\n/.exec(src)![0];
    expect(section).toContain('```ts\n' + fn + '```');
    // And it accepts what the sender signs.
    const body = '{"id":"x"}';
    expect(verify('readme-secret-0123456789', body, signature('readme-secret-0123456789', body))).toBe(true);
  });
});
