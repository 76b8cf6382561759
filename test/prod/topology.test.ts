// The production topology's defaults: the Temporal frontend accepts only clients with a certificate
// from the deployment's CA; every listener is on 127.0.0.1; the namespace's retention and search
// attributes are what deploy/temporal/setup.sh sets; the dynamic config the project owns is valid;
// the Web UI reaches the server over mTLS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { running } from '../../deploy/prod-local/processes';
import { SA } from '../../src/domain/search-attributes';
import { prod, temporalClient, tlsOf } from './prod-env';

const { state, topo } = prod();
const REPO = path.resolve(__dirname, '..', '..');

async function refused(opts: Parameters<typeof Connection.connect>[0]): Promise<string> {
  try {
    const c = await Connection.connect({ connectTimeout: 5000, ...opts });
    try {
      await c.workflowService.getSystemInfo({});
    } finally {
      await c.close();
    }
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the frontend accepted the connection');
}

describe('production topology: Temporal frontend authentication (mTLS)', () => {
  it('when a client presents the deployment certificate, then it is served', async () => {
    const { connection } = await temporalClient(state);
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBe('1.31.2');
    await connection.close();
  });

  it('when a client connects in plaintext, without a certificate, or with a certificate of another CA, then it is refused', async () => {
    const good = tlsOf(state);
    await refused({ address: state.temporal.address });
    await refused({
      address: state.temporal.address,
      tls: { serverRootCACertificate: good.serverRootCACertificate, serverNameOverride: good.serverNameOverride },
    });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-rogue-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          'k.pem',
          '-out',
          'c.pem',
          '-days',
          '1',
          '-subj',
          '/CN=trainyard-worker',
        ],
        { cwd: tmp, stdio: 'ignore' },
      );
      await refused({
        address: state.temporal.address,
        tls: {
          ...good,
          clientCertPair: {
            crt: fs.readFileSync(path.join(tmp, 'c.pem')),
            key: fs.readFileSync(path.join(tmp, 'k.pem')),
          },
        },
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/** Local addresses of the TCP sockets a process listens on (from /proc). */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A = LISTEN
      const [hex] = f[1]!.split(':');
      out.push(
        hex!.length === 8
          ? hex!
              .match(/../g)!
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : hex === '00000000000000000000000001000000'
            ? '::1' // IPv6 loopback (MinIO listens on both loopbacks)
            : hex!,
      );
    }
  }
  return out;
}

describe('production topology: network', () => {
  it('when the listening sockets of the server, the UI, MinIO, the API and PostgreSQL are read, then every one is on loopback', () => {
    const pgPid = Number(fs.readFileSync(path.join(topo.pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // The processes running now (a fault test may have restarted the server since prod:local started it).
    const pids: Record<string, number> = { postgres: pgPid };
    for (const name of Object.keys(state.services)) pids[name] = running(topo.dirs, name)!.pid;
    const seen: Record<string, string[]> = {};
    for (const [name, pid] of Object.entries(pids)) seen[name] = listeningAddresses(pid);
    expect(seen['temporal-server']!.length).toBeGreaterThanOrEqual(8); // 4 gRPC + 4 membership (+ metrics)
    expect(seen['temporal-ui']!.length).toBeGreaterThanOrEqual(1);
    expect(seen.api!.length).toBeGreaterThanOrEqual(1);
    expect(seen.postgres!.length).toBeGreaterThanOrEqual(1);
    expect(seen.minio!.length).toBeGreaterThanOrEqual(1);
    for (const [name, addrs] of Object.entries(seen))
      for (const a of addrs) expect(`${name} ${a === '::1' ? '127.0.0.1' : a}`).toBe(`${name} 127.0.0.1`);
  });

  it('when the Web UI is asked for the namespaces, then it answers from the server (its own mTLS client certificate)', async () => {
    const r = await fetch(`${state.temporal.uiUrl}/api/v1/namespaces`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { namespaces: { namespaceInfo: { name: string } }[] };
    expect(body.namespaces.map((n) => n.namespaceInfo.name)).toContain(state.temporal.namespace);
  });
});

describe('production topology: namespace and server configuration', () => {
  it('when the namespace is described, then it has the stated retention and all six search attributes', async () => {
    const { connection } = await temporalClient(state);
    try {
      const ns = await connection.workflowService.describeNamespace({ namespace: state.temporal.namespace });
      expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 24 * 3600);
      const sas = await connection.operatorService.listSearchAttributes({ namespace: state.temporal.namespace });
      const types: Record<string, string> = {
        KEYWORD: 'INDEXED_VALUE_TYPE_KEYWORD',
        KEYWORD_LIST: 'INDEXED_VALUE_TYPE_KEYWORD_LIST',
        INT: 'INDEXED_VALUE_TYPE_INT',
        BOOL: 'INDEXED_VALUE_TYPE_BOOL',
      };
      const { temporal } = await import('@temporalio/proto');
      for (const key of Object.values(SA)) {
        const got = sas.customAttributes?.[key.name];
        expect(`${key.name} ${temporal.api.enums.v1.IndexedValueType[got ?? 0]}`).toBe(
          `${key.name} ${types[key.type]}`,
        );
      }
    } finally {
      await connection.close();
    }
  });

  it('when the project dynamic config is validated by the server binary, then it has no errors or warnings', () => {
    const server = state.services['temporal-server']!.argv[0]!;
    const out = execFileSync(
      server,
      ['validate-dynamic-config', path.join(REPO, 'deploy', 'temporal', 'dynamicconfig.yaml')],
      {
        encoding: 'utf8',
      },
    );
    expect(out).not.toMatch(/error|warning/i);
  });
});
