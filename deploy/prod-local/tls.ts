// The deployment's private CA and certificates for mTLS to Temporal, made with the openssl CLI
// (ECDSA P-256, 825 days): server.pem (the frontend and the internode listener, name
// trainyard-temporal), internal.pem (the server's own system worker), and one client certificate per
// role: api, worker, ui, operator (the Temporal CLI). Existing files are kept, so restarts reuse
// them. Also runnable on its own for docker-compose: `npx tsx deploy/prod-local/tls.ts DIR`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The name every client checks the server's certificate against (TEMPORAL_TLS_SERVER_NAME). */
export const SERVER_NAME = 'trainyard-temporal';
export const CLIENT_ROLES = ['api', 'worker', 'ui', 'operator'] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export interface TlsFiles {
  dir: string;
  ca: string;
  serverName: string;
  client(role: ClientRole): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`openssl ${args[0]} failed: ${stderr || (err as Error).message}`);
  }
}

function leaf(dir: string, name: string, subject: string, ext: string[]): void {
  if (fs.existsSync(path.join(dir, `${name}.pem`))) return;
  const extFile = path.join(dir, `${name}.ext`);
  fs.writeFileSync(extFile, `${ext.join('\n')}\n`);
  openssl(
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '825',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem.partial`,
    ],
    dir,
  );
  fs.chmodSync(path.join(dir, `${name}.key`), 0o600);
  fs.renameSync(path.join(dir, `${name}.pem.partial`), path.join(dir, `${name}.pem`));
  fs.rmSync(path.join(dir, `${name}.csr`));
  fs.rmSync(extFile);
}

/** Makes (or reuses) every file in `dir`. */
export function ensureCertificates(dir: string): TlsFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(path.join(dir, 'ca.pem'))) {
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem.partial',
        '-days',
        '825',
        '-sha256',
        '-subj',
        '/O=Trainyard/CN=Trainyard deployment CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    fs.chmodSync(path.join(dir, 'ca.key'), 0o600);
    fs.renameSync(path.join(dir, 'ca.pem.partial'), path.join(dir, 'ca.pem'));
  }
  const base = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];
  // The server presents server.pem to clients and to its own services (internode: both directions).
  leaf(dir, 'server', `/O=Trainyard/CN=${SERVER_NAME}`, [
    ...base,
    'extendedKeyUsage=serverAuth,clientAuth',
    `subjectAltName=DNS:${SERVER_NAME},DNS:localhost,DNS:temporal,IP:127.0.0.1`,
  ]);
  leaf(dir, 'internal', '/O=Trainyard/CN=temporal-system-worker', [...base, 'extendedKeyUsage=clientAuth']);
  for (const role of CLIENT_ROLES)
    leaf(dir, `client-${role}`, `/O=Trainyard/CN=trainyard-${role}`, [...base, 'extendedKeyUsage=clientAuth']);
  return {
    dir,
    ca: path.join(dir, 'ca.pem'),
    serverName: SERVER_NAME,
    client: (role) => ({ cert: path.join(dir, `client-${role}.pem`), key: path.join(dir, `client-${role}.key`) }),
  };
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx tsx deploy/prod-local/tls.ts DIR');
    process.exit(2);
  }
  const files = ensureCertificates(path.resolve(dir));
  console.log(`certificates in ${files.dir} (server name ${files.serverName})`);
}
