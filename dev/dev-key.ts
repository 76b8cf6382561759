// npm start's development API key: generated once, kept in the state folder (mode 0600), reused
// across restarts so scripts and the demo keep working. Only used when no keys are configured.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const DEV_OWNER = 'dev';

export function devKeyFile(home: string): string {
  return path.join(home, 'dev-api-key');
}

export function loadOrCreateDevKey(home: string): string {
  const file = devKeyFile(home);
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key) return key;
  } catch {
    /* first start */
  }
  fs.mkdirSync(home, { recursive: true });
  const key = `ty_dev_${randomBytes(18).toString('base64url')}`;
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
