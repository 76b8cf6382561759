// One `npm start` per state folder: a pid file that says who holds the stack and where it listens.
import fs from 'node:fs';
import path from 'node:path';

export interface StackLock {
  pid: number;
  apiUrl: string;
  temporalAddress: string;
  uiUrl: string | null;
  startedAt: string;
}

const lockFile = (home: string) => path.join(home, 'trainyard.pid.json');

/** The live holder of this home's lock, or null (a stale lock from a dead process is ignored). */
export function readLock(home: string): StackLock | null {
  try {
    const lock = JSON.parse(fs.readFileSync(lockFile(home), 'utf8')) as StackLock;
    process.kill(lock.pid, 0); // throws when the process is gone
    return lock;
  } catch {
    return null;
  }
}

/** Takes the lock; throws with the holder's details when another live process has it. */
export function acquireLock(home: string, lock: Omit<StackLock, 'pid' | 'startedAt'>): () => void {
  const held = readLock(home);
  if (held && held.pid !== process.pid) {
    throw new Error(
      `Trainyard is already running from ${home} (pid ${held.pid}; API ${held.apiUrl}, Temporal ${held.temporalAddress}). Stop it first, or set TRAINYARD_HOME to another folder.`,
    );
  }
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(
    lockFile(home),
    JSON.stringify({ ...lock, pid: process.pid, startedAt: new Date().toISOString() }, null, 2),
  );
  return () => {
    const current = readLock(home);
    if (!current || current.pid === process.pid) fs.rmSync(lockFile(home), { force: true });
  };
}
