// Does this host's libvirt accept the passt backend? Asked of libvirt itself, read-only: `virsh -c test:///default
// define` parses a tiny domain with libvirt's own parser in libvirt's in-memory test driver (no daemon, nothing
// stored). Debian bookworm's libvirt 9.0 refuses `<backend type='passt'/>` there exactly as it would at define
// time (a Debian patch disables passt), so `check` can say so before anything starts.
// eslint-disable-next-line no-restricted-syntax -- a fresh mkdtemp dir of the launcher's own
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { LibvirtPasstSupport } from '../../domain/convert/index.js';
import type { RunAs } from '../common/run-as.js';

const probeXml = (type: 'user' | 'vhostuser'): string => [
  '<domain type="qemu"><name>vm-launcher-passt-probe</name><memory unit="MiB">64</memory>',
  type === 'vhostuser' ? '<memoryBacking><source type="memfd"/><access mode="shared"/></memoryBacking>' : '',
  '<os><type arch="x86_64">hvm</type></os>',
  `<devices><interface type="${type}"><backend type="passt"/><model type="virtio"/></interface></devices></domain>`,
].join('');

export interface PasstProbe { support: LibvirtPasstSupport; /** virsh could not run at all. */ virshMissing?: boolean; detail?: string }

/** `signal` (run's shutdown) stops virsh at once; the answer is then meaningless, and run exits Aborted before reading it. */
export async function probeLibvirtPasst(runAs: RunAs | undefined, signal?: AbortSignal): Promise<PasstProbe> {
  // Files, not stdin: node's stdio are sockets, which virsh cannot open as /dev/stdin. Readable by the VM user.
  const dir = await mkdtemp(join(tmpdir(), 'vml-passt-probe-'));
  try {
    await chmod(dir, 0o755);
    const virsh = (args: string[]) => execa('virsh', args, {
      reject: false, timeout: 10_000, killSignal: 'SIGKILL', all: true, cwd: '/', stdin: 'ignore',
      env: { PATH: SYSTEM_PATH, LC_ALL: 'C', HOME: '/nonexistent' }, extendEnv: false,
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      ...(signal && { cancelSignal: signal }),
    });
    const define = async (type: 'user' | 'vhostuser') => {
      const file = join(dir, `${type}.xml`);
      await writeFile(file, probeXml(type), { mode: 0o644 });
      return virsh(['-q', '-c', 'test:///default', 'define', file]);
    };
    return interpret(await Promise.all([define('user'), define('vhostuser'), virsh(['--version'])]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Result = Awaited<ReturnType<typeof execa>>;

function interpret([user, vhostUser, version]: Result[]): PasstProbe {
  if (!user || !vhostUser || !version || version.exitCode === undefined) {
    return { support: { user: false, vhostUser: false }, virshMissing: true };
  }
  const refusal = [user, vhostUser].find((r) => r.exitCode !== 0);
  return {
    support: { user: user.exitCode === 0, vhostUser: vhostUser.exitCode === 0, ...(version.exitCode === 0 && { version: `libvirt ${String(version.stdout).trim()}` }) },
    ...(refusal && { detail: String(refusal.all ?? '').trim().split('\n').filter(Boolean).pop() }),
  };
}
