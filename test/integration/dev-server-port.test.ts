// Issue 11, bug 7: a start blocked by a port in use says which process holds it; a Temporal dev
// server that a killed `npm start` left behind on the same state folder is recognised, and stopped
// when asked (npm start asks). Real processes: a real dev server and a real listener.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, isPortOpen, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { findPortHolder, isOurDevServer } from '../../src/temporal/port-holder';
import { waitFor } from '../helpers/temporal';

let tmp: string;
const servers: DevServer[] = [];
const children: ChildProcess[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-port-'));
});
afterAll(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  for (const c of children) c.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('when another program listens on the port, then the error names its pid and command', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1')`], {
    stdio: 'ignore',
  });
  children.push(child);
  await waitFor(() => isPortOpen(port), { what: 'the listener' });
  expect(findPortHolder(port)?.pid).toBe(child.pid);
  await expect(startDevServer({ port, uiPort: null })).rejects.toThrow(
    new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use by pid ${child.pid} \\(.*node -e require\\('net'\\)`),
  );
});

test('when a dev server left behind on the same db file holds the port, then it is named as ours, and leftover "stop" replaces it', async () => {
  const port = await freePort();
  const dbFile = path.join(tmp, 'home', 'temporal.db');
  const logFile = path.join(tmp, 'temporal.log');
  const old = await startDevServer({ port, uiPort: null, dbFile, logFile });
  servers.push(old);
  const holder = findPortHolder(port);
  expect(holder?.pid).toBe(old.process.pid);
  expect(isOurDevServer(holder!, dbFile)).toBe(true);
  expect(isOurDevServer(holder!, path.join(tmp, 'other.db'))).toBe(false);

  // Without leave to stop it: the error says what it is and how to get rid of it.
  await expect(startDevServer({ port, uiPort: null, dbFile, logFile })).rejects.toThrow(
    new RegExp(`already in use by pid ${old.process.pid} .*left behind by an \`npm start\` that did not shut down`),
  );
  // Another state folder's start never touches it.
  await expect(
    startDevServer({ port, uiPort: null, dbFile: path.join(tmp, 'other.db'), logFile, leftover: 'stop' }),
  ).rejects.toThrow(/choose other ports/);
  expect(old.process.exitCode).toBeNull();

  const notes: string[] = [];
  const fresh = await startDevServer({
    port,
    uiPort: null,
    dbFile,
    logFile,
    leftover: 'stop',
    log: (l) => notes.push(l),
  });
  servers.push(fresh);
  expect(notes.join('\n')).toMatch(new RegExp(`left behind on this state .*pid ${old.process.pid}.*stopping it`));
  expect(old.process.exitCode !== null || old.process.signalCode !== null).toBe(true);
  expect(findPortHolder(port)?.pid).toBe(fresh.process.pid);
});
