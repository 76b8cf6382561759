// PostgreSQL from the distribution's packages (Debian: apt-get install postgresql), with its own
// cluster under <home>/postgres: listening on 127.0.0.1 only, password (SCRAM) logins over TCP, the
// superuser reachable only through a Unix socket in a private folder of the state folder. PostgreSQL refuses to run as
// root, so when prod:local runs as root every PostgreSQL command runs as the OS user `postgres`.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const DB_USER = 'temporal';

export interface Postgres {
  bin: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  port: number;
  passwordFile: string;
  /** OS user the server runs as (undefined: this process's user). */
  osUser?: string;
}

export function findPgBin(explicit: string | undefined, searchPath: string): string {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  for (const dir of searchPath.split(path.delimiter)) candidates.push(dir);
  try {
    const versions = fs
      .readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    /* not Debian's layout */
  }
  for (const dir of candidates) {
    const initdb = path.join(dir, 'initdb');
    if (fs.existsSync(initdb)) return path.dirname(fs.realpathSync(initdb));
  }
  throw new Error(
    'PostgreSQL not found (no initdb on PATH or in /usr/lib/postgresql/<version>/bin): apt-get install -y postgresql, or set TRAINYARD_PG_BIN',
  );
}

export function postgresOf(home: string, port: number, bin: string): Postgres {
  const root = path.join(home, 'postgres');
  return {
    bin,
    dataDir: path.join(root, 'data'),
    // Unix socket paths are limited to ~107 bytes: keep this one short-named.
    socketDir: path.join(root, 'run'),
    logFile: path.join(home, 'logs', 'postgres.log'),
    port,
    passwordFile: path.join(home, 'secrets', 'postgres-password'),
    osUser: process.getuid?.() === 0 ? 'postgres' : undefined,
  };
}

/** Runs a PostgreSQL program (as the postgres OS user when we are root). */
function pg(p: Postgres, program: string, args: string[], opts: { input?: string } = {}): string {
  const bin = path.join(p.bin, program);
  const [cmd, argv] = p.osUser ? ['runuser', ['-u', p.osUser, '--', bin, ...args]] : [bin, args];
  try {
    return execFileSync(cmd, argv, {
      encoding: 'utf8',
      input: opts.input,
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: '/',
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${program} ${args[0] ?? ''} failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

function chownToPg(p: Postgres, dir: string): void {
  if (!p.osUser) return;
  execFileSync('chown', ['-R', `${p.osUser}:`, dir]);
}

export function password(p: Postgres): string {
  return fs.readFileSync(p.passwordFile, 'utf8').trim();
}

/** Creates the cluster and the password of the temporal role once. */
export function ensureCluster(p: Postgres): void {
  fs.mkdirSync(path.dirname(p.passwordFile), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(p.passwordFile))
    fs.writeFileSync(p.passwordFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  if (fs.existsSync(path.join(p.dataDir, 'PG_VERSION'))) return;
  fs.mkdirSync(p.dataDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(p.socketDir, { recursive: true, mode: 0o700 });
  chownToPg(p, path.dirname(p.dataDir));
  if (p.osUser) {
    try {
      execFileSync('runuser', ['-u', p.osUser, '--', 'test', '-w', p.dataDir]);
    } catch {
      throw new Error(
        `PostgreSQL runs as the OS user "${p.osUser}", which cannot reach ${p.dataDir} (a parent folder is not traversable): set TRAINYARD_PROD_HOME to a folder it can reach`,
      );
    }
  }
  pg(p, 'initdb', [
    '-D',
    p.dataDir,
    '-U',
    'postgres',
    // The socket folder is private to PostgreSQL's OS user (0700), so local logins need no password.
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  // Loopback only; Temporal's four services each keep a pool (20 + 10 connections).
  fs.appendFileSync(
    path.join(p.dataDir, 'postgresql.conf'),
    [
      '',
      '# prod:local',
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${p.socketDir}'`,
      'max_connections = 200',
      "password_encryption = 'scram-sha-256'",
      '',
    ].join('\n'),
  );
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export function isRunning(p: Postgres): boolean {
  try {
    pg(p, 'pg_ctl', ['status', '-D', p.dataDir]);
    return true;
  } catch {
    return false;
  }
}

export async function startPostgres(p: Postgres): Promise<void> {
  if (isRunning(p)) return;
  if (await portOpen(p.port))
    throw new Error(`port ${p.port} (PostgreSQL) is taken by another process: choose TRAINYARD_PROD_PORT_BASE`);
  fs.mkdirSync(path.dirname(p.logFile), { recursive: true });
  if (!fs.existsSync(p.logFile)) fs.writeFileSync(p.logFile, '');
  if (p.osUser) execFileSync('chown', [`${p.osUser}:`, p.logFile]);
  pg(p, 'pg_ctl', ['start', '-D', p.dataDir, '-l', p.logFile, '-w', '-t', '60', '-o', `-p ${p.port}`]);
  // The temporal role (idempotent): it will create, and so own, its databases (setup.sh schema).
  const pw = password(p).replace(/'/g, "''");
  pg(
    p,
    'psql',
    ['-h', p.socketDir, '-p', String(p.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q'],
    {
      input: `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${DB_USER}') THEN CREATE ROLE ${DB_USER} LOGIN CREATEDB; END IF;
END $$;
ALTER ROLE ${DB_USER} WITH PASSWORD '${pw}';
`,
    },
  );
}

/** Creates a database owned by DB_USER unless it exists (other programs on this cluster: bench/peers.ts). */
export function createDatabase(p: Postgres, name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`createDatabase: "${name}" is not a plain lower-case name`);
  const psql = ['-h', p.socketDir, '-p', String(p.port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1'];
  const exists = pg(p, 'psql', [...psql, '-tAc', `SELECT 1 FROM pg_database WHERE datname = '${name}'`]).trim();
  if (!exists) pg(p, 'psql', [...psql, '-qc', `CREATE DATABASE ${name} OWNER ${DB_USER}`]);
}

/** mode: 'fast' (disconnect clients, clean shutdown) or 'immediate' (like a crash; recovery on start). */
export function stopPostgres(p: Postgres, mode: 'fast' | 'immediate' = 'fast'): boolean {
  if (!fs.existsSync(path.join(p.dataDir, 'PG_VERSION')) || !isRunning(p)) return false;
  pg(p, 'pg_ctl', ['stop', '-D', p.dataDir, '-m', mode, '-w', '-t', '60']);
  return true;
}
