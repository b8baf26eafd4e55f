// What the pod gives a virtiofs share, read-only: the volume's directory (a filesystem PVC, found where a filesystem
// disk's volume is, but shared as a directory: it need not hold disk.img), whether the VM user may use it, the
// socket path against the unix socket limit, and a virtiofsd that runs unprivileged. `check` shows it, `run`
// starts virtiofsd from it (launcher/run/virtiofsd-process.ts).
import { access, constants, lstat, realpath, stat } from 'node:fs/promises';
import { execa } from 'execa';
import { problem, type Problem } from '../../domain/problem.js';
import { MAX_UNIX_SOCKET_PATH, virtiofsSocketPath } from '../../domain/convert/index.js';
import type { FilesystemSpec, VmSpec } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';
import type { Plan } from '../plan/plan.js';
import { volumePaths } from '../plan/volume-paths.js';

/**
 * Where virtiofsd is looked for, in order: Debian trixie's Rust virtiofsd (package virtiofsd, what the image has),
 * then QEMU's old C one (Debian bookworm's qemu-system-common), which is found only to say why it cannot serve.
 */
export const VIRTIOFSD_PATHS = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'] as const;

export interface Virtiofsd { path: string; version: string }

export interface ShareInspection {
  share: FilesystemSpec;
  /** The volume's directory (its real path), what virtiofsd exports. */
  dir?: string;
  socketPath: string;
  problems: Problem[];
}

export interface SharesInspection { shares: ShareInspection[]; virtiofsd?: Virtiofsd; problems: Problem[] }

export async function inspectShares(spec: VmSpec, plan: Plan): Promise<SharesInspection> {
  const list = spec.filesystems ?? [];
  if (list.length === 0) return { shares: [], problems: [] };
  const [found, shares] = await Promise.all([
    findVirtiofsd(plan.runAs.value),
    Promise.all(list.map((s) => inspectShare(s, plan))),
  ]);
  const problems: Problem[] = [];
  if (!found.ok) {
    problems.push(problem('VirtiofsdUnavailable', `filesystem ${list[0]!.name}${list.length > 1 ? ` (and ${list.length - 1} more)` : ''} needs virtiofsd: ${found.why}`, { field: list[0]!.field }));
  }
  return { shares, ...(found.ok && { virtiofsd: found.value }), problems };
}

async function inspectShare(share: FilesystemSpec, plan: Plan): Promise<ShareInspection> {
  const at = { volume: share.volumeName, field: share.field };
  const socketPath = virtiofsSocketPath(plan.runtime.layout.virtiofsDir, share.volumeName);
  const problems: Problem[] = [];
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_UNIX_SOCKET_PATH) {
    problems.push(problem('VirtiofsSocketPathTooLong', `virtiofsd's socket would be ${socketPath} (${bytes} bytes; a unix socket path holds ${MAX_UNIX_SOCKET_PATH})`, {
      ...at, fix: `shorten --runtime-dir (${Buffer.byteLength(plan.runtime.layout.root)} bytes) or the volume's name (${share.volumeName})`,
    }));
  }
  const { blockPath, dirPath } = volumePaths(plan.volumes.layout, share.volumeName);
  const mountFix = `mount the filesystem PVC ${share.claimName} with volumeMounts at ${dirPath}`;
  try {
    const [blk, dirSt] = await Promise.all([lstat(blockPath).catch(() => null), lstat(dirPath).catch(() => null)]);
    if (blk && dirSt) {
      problems.push(problem('VolumeAmbiguous', `volume ${share.volumeName} is both ${blockPath} and ${dirPath}`, { ...at, fix: `a shared volume is a directory: remove ${blockPath} from the pod spec` }));
      return { share, socketPath, problems };
    }
    if (!dirSt) {
      problems.push(blk
        ? problem('VolumeNotDirectory', `volume ${share.volumeName} is a block device (${blockPath}); virtiofs shares a directory`, { ...at, fix: `use a filesystem PVC (volumeMode: Filesystem) and ${mountFix}` })
        : problem('VolumeNotFound', `volume ${share.volumeName} is not a directory at ${dirPath}`, { ...at, fix: mountFix }));
      return { share, socketPath, problems };
    }
    const dir = await realpath(dirPath);
    if (!(await stat(dir)).isDirectory()) {
      problems.push(problem('VolumeNotDirectory', `${dirPath} is not a directory`, { ...at, fix: mountFix }));
      return { share, socketPath, problems };
    }
    if (!(await canUseDir(dir, !share.readOnly, plan.runAs.value))) {
      const who = plan.runAs.value ? `uid ${plan.runAs.value.uid}` : 'the launcher\'s user';
      problems.push(problem('ShareNotAccessible', `${who}, which runs virtiofsd, cannot ${share.readOnly ? 'read and enter' : 'read, write and enter'} ${dir}`, {
        ...at, fix: `chown ${plan.runAs.value?.uid ?? 107} ${dir} (or set the pod's fsGroup)${share.readOnly ? '' : ', or mark the claim readOnly'}`,
      }));
    }
    return { share, dir, socketPath, problems };
  } catch (e) {
    problems.push(problem('VolumeInspectFailed', `could not inspect volume ${share.volumeName}: ${(e as Error).message}`, { ...at, fix: 'check the volume\'s mount and permissions in the pod' }));
    return { share, socketPath, problems };
  }
}

/** The kernel decides, as the VM user (uid and gid only, as virtiofsd gets): read, enter, and write when asked. */
async function canUseDir(dir: string, write: boolean, runAs: RunAs | undefined): Promise<boolean> {
  const args = ['-r', dir, '-a', '-x', dir, ...(write ? ['-a', '-w', dir] : [])];
  const r = await execa('/usr/bin/test', args, { ...(runAs && { uid: runAs.uid, gid: runAs.gid }), reject: false, timeout: 5000, env: {}, extendEnv: false });
  return r.exitCode === 0;
}

type Found = { ok: true; value: Virtiofsd } | { ok: false; why: string };

/**
 * The first virtiofsd that runs as the VM user and is not QEMU's C virtiofsd: that one (QEMU 7.2 and older, Debian
 * bookworm's) needs root for its sandbox and cannot serve a share as the VM user. `--version` runs as the VM user,
 * under a timeout: it proves the program starts unprivileged and tells the two apart.
 */
export async function findVirtiofsd(runAs: RunAs | undefined, paths: readonly string[] = VIRTIOFSD_PATHS): Promise<Found> {
  const seen: string[] = [];
  for (const path of paths) {
    if (!(await access(path, constants.X_OK).then(() => true, () => false))) continue;
    const r = await execa(path, ['--version'], { ...(runAs && { uid: runAs.uid, gid: runAs.gid }), reject: false, timeout: 5000, env: {}, extendEnv: false, all: true });
    const out = String(r.all ?? '').trim();
    const first = out.split('\n')[0] ?? '';
    // QEMU's own install path, or its banner: the C virtiofsd (as a non-root user it fails even to print its version).
    const isC = path.startsWith('/usr/lib/qemu/') || /QEMU|Fabrice Bellard|FUSE kernel interface/.test(out);
    if (isC) { seen.push(`${path} is QEMU's C virtiofsd (${r.exitCode === 0 ? first : `--version failed: ${first}`}), which needs root and cannot run as the VM user`); continue; }
    if (r.exitCode !== 0) { seen.push(`${path} did not run as the VM user (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}: ${first})`); continue; }
    return { ok: true, value: { path, version: first } };
  }
  return { ok: false, why: seen.length ? seen.join('; ') : `none installed (looked for ${paths.join(', ')})` };
}

/** One line per share, for `check` and the run's log. */
export function describeShare(s: ShareInspection, virtiofsd: Virtiofsd | undefined): string {
  return `share via virtiofs: tag ${s.share.name}${s.share.readOnly ? ' (read-only)' : ''}, ${virtiofsd ? `${virtiofsd.path} (${virtiofsd.version})` : 'virtiofsd: none usable'}, --sandbox none, socket ${s.socketPath}`;
}
