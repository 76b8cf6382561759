// The bubblewrap command line of one step attempt: what the sandbox sees. New namespaces for
// everything (user, mount, PID, IPC, UTS, cgroup; network unless the step's network is `host`),
// its own /proc (only its own processes), a minimal /dev, a private /tmp, uid/gid 65534, and a
// read-only view of the system (/usr, /bin, /lib*, a few files of /etc), of the executables'
// installations, the step kit and scripts — plus its inputs read-only and its own folder
// read-write, each at the path it has on the host. Nothing else of the host exists inside.
import fs from 'node:fs';
import path from 'node:path';
import type { StepNetwork } from '../../src/domain/node-types';

export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;

/** What a step of this worker may see of /etc (the rest of it does not exist inside). */
const ETC_FILES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'localtime',
  'nsswitch.conf',
  'hosts',
  'host.conf',
  'gai.conf',
  'resolv.conf',
  'protocols',
  'services',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'mime.types',
  'os-release',
];

/** The host's system folders as the sandbox sees them (merged-/usr links stay links). */
export function systemArgs(): string[] {
  const out = ['--ro-bind', '/usr', '/usr'];
  for (const p of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isSymbolicLink()) out.push('--symlink', fs.readlinkSync(p), p);
    else if (st.isDirectory()) out.push('--ro-bind', p, p);
  }
  for (const f of ETC_FILES) out.push('--ro-bind-try', `/etc/${f}`, `/etc/${f}`);
  return out;
}

/** passwd and group that name the sandbox's user only, written once into `dir` (world-readable). */
export function writeIdentityFiles(dir: string): { passwd: string; group: string } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  const passwd = path.join(dir, 'passwd');
  const group = path.join(dir, 'group');
  fs.writeFileSync(passwd, `nobody:x:${SANDBOX_UID}:${SANDBOX_GID}:trainyard step:/tmp:/usr/sbin/nologin\n`, {
    mode: 0o644,
  });
  fs.writeFileSync(group, `nogroup:x:${SANDBOX_GID}:\n`, { mode: 0o644 });
  return { passwd, group };
}

export interface SandboxView {
  /** systemArgs() of this host. */
  system: string[];
  identity: { passwd: string; group: string };
  /** Read-only, at the same path inside. */
  readOnly: string[];
  /** Read-write, at the same path inside. */
  writable: string[];
  /** Device nodes passed through (the step's GPUs). */
  devices: string[];
  network: StepNetwork;
  /** Size of the private /tmp. */
  tmpBytes: number;
  cwd: string;
}

/** bwrap's arguments, up to and including `--` (the command follows). */
export function bwrapArgs(view: SandboxView): string[] {
  const args = [
    '--unshare-all',
    ...(view.network === 'host' ? ['--share-net'] : []),
    '--unshare-user',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_GID),
    // No user namespaces inside: nothing there can gain new mounts or hide from the PID namespace.
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'trainyard-step',
    ...view.system,
    '--ro-bind',
    view.identity.passwd,
    '/etc/passwd',
    '--ro-bind',
    view.identity.group,
    '/etc/group',
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    ...view.devices.flatMap((d) => ['--dev-bind', d, d]),
    '--size',
    String(view.tmpBytes),
    '--tmpfs',
    '/tmp',
  ];
  // Parents before children, so a folder inside another is mounted on top of it.
  const mounts = [...view.readOnly.map((p) => ({ p, rw: false })), ...view.writable.map((p) => ({ p, rw: true }))].sort(
    (a, b) => a.p.length - b.p.length || (a.rw === b.rw ? 0 : a.rw ? 1 : -1),
  );
  const seen = new Set<string>();
  for (const m of mounts) {
    const key = `${m.rw}:${m.p}`;
    if (seen.has(key)) continue;
    seen.add(key);
    args.push(m.rw ? '--bind' : '--ro-bind', m.p, m.p);
  }
  args.push('--chdir', view.cwd, '--');
  return args;
}

/** The NVIDIA device nodes of this host (passed to GPU steps; CUDA_VISIBLE_DEVICES picks theirs). */
export function gpuDevices(): string[] {
  let names: string[];
  try {
    names = fs.readdirSync('/dev');
  } catch {
    return [];
  }
  return names.filter((n) => /^nvidia(ctl|-uvm|-uvm-tools|-modeset|\d+)$/.test(n)).map((n) => `/dev/${n}`);
}
