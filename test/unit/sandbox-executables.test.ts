import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveAllowlist } from '../../activities/sandbox/executables';

describe('resolveAllowlist', () => {
  it('when /bin/true is allowed by path, then it needs no mount of its own (not "/", which would show every root to a step)', () => {
    const r = resolveAllowlist(['/bin/true'], ['/usr/bin']);
    expect(r.lookup('/bin/true')?.path).toBe('/bin/true');
    expect(r.mounts).toEqual([]);
  });

  it('when an executable lives in <prefix>/bin outside the system folders, then its installation is mounted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'allowlist-'));
    try {
      fs.mkdirSync(path.join(dir, 'bin'));
      const exe = path.join(dir, 'bin', 'tool');
      fs.writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
      const r = resolveAllowlist(['tool'], [path.join(dir, 'bin')]);
      expect(r.mounts).toEqual([fs.realpathSync(dir)].concat(fs.realpathSync(dir) === dir ? [] : [dir]).sort());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
