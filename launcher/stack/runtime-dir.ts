// The runtime dir belongs to one launcher for its lifetime. It is claimed only when it is absent, empty, or provably
// a dead launcher's (its owner marker, stack/ownership-marker.ts); then its mode and owner are set, never inherited
// (Kubernetes emptyDirs are 0777). Everything the launcher writes there itself is written while the directory is
// still root's, or at its top level through safe-files (no link is ever followed). At exit only the names the
// launcher creates are removed (the VM user's trees by the VM user); anything else stays, and is reported.
import { constants } from 'node:fs';
// eslint-disable-next-line no-restricted-syntax -- mkdir while the runtime dir is still root's 0700 (before the hand-over); afterwards only unlink/rmdir of its top-level names, which never follow a link and whose parent only root can change
import { lstat, mkdir, open, readdir, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LauncherError, problem } from '../../domain/problem.js';
import type { Logger } from '../common/log.js';
import { launcherAndVmUids, vmUid, type RunAs } from '../common/run-as.js';
import { removeAs } from '../common/remove-as.js';
import { chmodFd, chownFd, createExclusive, isTempNameFor, writeFileSafely } from '../common/safe-files.js';
import { processStart } from '../common/proc.js';
import { RUNTIME_DIR_NAMES, type RuntimeLayout } from '../plan/runtime-layout.js';
import { chooseCacheDir, installCapabilitiesSeed, kvmUsableFor } from './cache-dir.js';
import { busConfig, libvirtdConf, qemuConf } from './config-files.js';
import { runtimeDirLengthProblem } from '../plan/runtime-dir-length.js';
import { launcherAlive, markerForThisProcess, readMarker, writeMarker, type OwnerMarker } from './ownership-marker.js';
import { leftovers, stopLeftovers } from './leftovers.js';
import { PrivateDir } from '../common/private-dir.js';

export { MAX_RUNTIME_DIR_LENGTH } from '../plan/runtime-dir-length.js';

/** The stack's daemons: their log files are opened before the directory is handed to the VM user. */
export const DAEMON_NAMES = ['dbus-daemon', 'libvirtd', 'libvirt-dbus'] as const;

const ours = (name: string): boolean =>
  (RUNTIME_DIR_NAMES as readonly string[]).includes(name) || RUNTIME_DIR_NAMES.some((n) => isTempNameFor(name, n));

const refuse = (reason: 'RuntimeDirNotEmpty' | 'RuntimeDirInUse' | 'RuntimeDirUnsafe', message: string): never => {
  throw new LauncherError(problem(reason, message));
};

const listed = (names: string[]): string => `${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;

export class RuntimeDir {
  private marker: OwnerMarker = markerForThisProcess();
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    /** The layout in use: the cache may have moved into the runtime dir (see claim). */
    readonly layout: RuntimeLayout,
    private readonly runAs: RunAs | undefined,
    /** Each daemon's log file, created before the hand-over. */
    readonly logFiles: ReadonlyMap<string, FileHandle>,
    /** The cloud-init seed's staging dir: the launcher's own, held by descriptor (run/cloud-init-seed.ts). */
    readonly seedStaging: PrivateDir,
  ) {}

  /**
   * Claims the runtime dir: refuses (RuntimeDirNotEmpty, RuntimeDirInUse, RuntimeDirUnsafe) without touching
   * anything that is not provably a dead launcher's, else empties it of the dead launcher's names, sets owner and
   * mode, lays out the stack's tree, writes the config files and the marker, and hands it to the VM user.
   */
  static async claim(l: RuntimeLayout, runAs: RunAs | undefined, logger: Logger): Promise<RuntimeDir> {
    const tooLong = runtimeDirLengthProblem(l.root);
    if (tooLong) throw new LauncherError(tooLong);
    // Asked while the directory is claimed: for a root launcher it is a process run as the VM user.
    const kvmUsable = kvmUsableFor(runAs).catch(() => false);
    await clearDeadLaunchersNames(l, runAs, logger);
    const dir = await takeOwnership(l.root);
    let logFiles = new Map<string, FileHandle>();
    let staging: PrivateDir | undefined;
    try {
      const left = await readdir(l.root);
      if (left.length > 0) refuse('RuntimeDirNotEmpty', `runtime dir ${l.root} holds ${listed(left)}, which vm-launcher did not create`);
      const layout = await chooseCacheDir(l, runAs, await kvmUsable, logger);
      for (const d of [layout.home, layout.xdgRuntime, join(layout.xdgConfig, 'libvirt'), layout.logsDir, layout.seedDir, layout.virtiofsDir]) await mkdir(d, { recursive: true, mode: 0o700 });
      if (layout.cacheDir.startsWith(layout.root + '/')) await mkdir(layout.cacheDir, { mode: 0o700 });
      await installCapabilitiesSeed(layout.cacheDir, runAs, await kvmUsable, logger);
      const uids = launcherAndVmUids(runAs);
      await writeFileSafely(layout.busConfig, busConfig(layout.busSocket, uids));
      await writeFileSafely(layout.qemuConf, qemuConf());
      await writeFileSafely(layout.libvirtdConf, libvirtdConf());
      for (const name of DAEMON_NAMES) logFiles.set(name, await createExclusive(join(layout.logsDir, `${name}.log`), 0o644, true));
      // Not handed over: the launcher writes the seed's files (user data: secrets) there through its descriptor.
      staging = await PrivateDir.create(layout.seedStaging);
      const rd = new RuntimeDir(layout, runAs, logFiles, staging);
      await writeMarker(layout.ownerMarker, rd.marker);
      if (runAs) {
        // Hand-over, children first: the VM user can reach nothing before the top directory is its own.
        for (const d of [layout.home, layout.xdgRuntime, layout.xdgConfig, join(layout.xdgConfig, 'libvirt'), layout.logsDir, layout.seedDir, layout.virtiofsDir,
          ...(layout.cacheDir.startsWith(layout.root + '/') ? [layout.cacheDir] : [])]) {
          const fh = await open(d, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
          await chownFd(fh, runAs.uid, runAs.gid).finally(() => fh.close());
        }
        await chownFd(dir, runAs.uid, runAs.gid);
      }
      logFiles = new Map();
      staging = undefined;
      return rd;
    } finally {
      await staging?.close();
      for (const fh of logFiles.values()) await fh.close().catch(() => undefined);
      await dir.close();
    }
  }

  /** Records a process the launcher started, so that a later launcher can stop it if this one is killed. */
  recordProcess(role: string, pid: number | undefined, group: boolean): Promise<void> {
    const start = pid === undefined ? undefined : processStart(pid);
    if (pid === undefined || start === undefined) return this.writes;
    this.marker = { ...this.marker, processes: [...this.marker.processes.filter((p) => p.role !== role), { role, pid, start, group }] };
    const marker = this.marker;
    this.writes = this.writes.then(() => writeMarker(this.layout.ownerMarker, marker)).catch(() => undefined);
    return this.writes;
  }

  /**
   * Removes the names the launcher created (the marker last) and the directory if nothing else is left in it.
   * Never throws: returns the names it left (someone else's, e.g. a hook's files).
   */
  async release(logger: Logger): Promise<string[]> {
    await this.writes;
    await this.seedStaging.close();
    await emptyStaging(this.layout.seedStaging);
    const root = this.layout.root;
    let entries: string[];
    try {
      entries = await readdir(root);
    } catch {
      return [];
    }
    const mine = entries.filter((e) => ours(e) && e !== RUNTIME_DIR_NAMES[0]);
    const foreign = entries.filter((e) => !ours(e));
    try {
      await removeAs(mine.map((e) => join(root, e)), this.runAs);
      await unlink(this.layout.ownerMarker);
    } catch (e) {
      logger.warn({ reason: 'RuntimeDirKept', dir: root }, `could not empty the runtime dir: ${(e as Error).message}`);
      return foreign;
    }
    if (foreign.length > 0) {
      logger.warn({ reason: 'RuntimeDirKept', dir: root, left: foreign.slice(0, 20) }, `runtime dir ${root} kept: it holds ${listed(foreign)}, which vm-launcher did not create (a hook's files?)`);
    } else {
      await rmdir(root).catch(() => undefined); // a mount point (an emptyDir) stays, empty
    }
    return foreign;
  }
}

/**
 * A directory left by a launcher that was killed: its marker is ours, its launcher dead, every entry a name the
 * launcher creates. The processes it recorded are stopped, then those names are removed. Anything else: refused,
 * nothing deleted.
 */
async function clearDeadLaunchersNames(l: RuntimeLayout, runAs: RunAs | undefined, logger: Logger): Promise<void> {
  const st = await lstat(l.root).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (!st) return;
  if (!st.isDirectory()) refuse('RuntimeDirUnsafe', `runtime dir ${l.root} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`);
  const entries = await readdir(l.root);
  if (entries.length === 0) return;
  const read = await readMarker(l.ownerMarker);
  if (read.state !== 'ours') {
    refuse('RuntimeDirNotEmpty', `runtime dir ${l.root} is not empty (${listed(entries)}) and ${read.state === 'absent' ? 'has no vm-launcher owner marker' : `its owner marker is not to be trusted: ${read.why}`}`);
    return;
  }
  if (read.marker.pid !== process.pid && launcherAlive(read.marker)) {
    refuse('RuntimeDirInUse', `runtime dir ${l.root} belongs to a running launcher (pid ${read.marker.pid})`);
  }
  const foreign = entries.filter((e) => !ours(e));
  if (foreign.length > 0) refuse('RuntimeDirNotEmpty', `runtime dir ${l.root} holds ${listed(foreign)}, which vm-launcher did not create; nothing was removed`);
  await stopLeftovers(read.marker, leftovers(read.marker, l.root, vmUid(runAs)), logger);
  await emptyStaging(l.seedStaging);
  logger.info({ reason: 'RuntimeDirLeftoversRemoved', dir: l.root, deadLauncherPid: read.marker.pid }, `removing the leftovers of a dead launcher (pid ${read.marker.pid}) from ${l.root}`);
  await removeAs(entries.filter((e) => e !== RUNTIME_DIR_NAMES[0]).map((e) => join(l.root, e)), runAs && st.uid === runAs.uid ? runAs : undefined);
  await unlink(l.ownerMarker);
}

/**
 * A seed staging dir still the launcher's (not handed over: a launcher killed while writing it, or a seed that
 * failed) is emptied through its descriptor, so that the VM user's `rm` can remove it with the rest.
 */
async function emptyStaging(path: string): Promise<void> {
  const staging = await PrivateDir.openOwn(path);
  if (!staging) return;
  try {
    await staging.empty();
  } finally {
    await staging.close();
  }
}

/** Creates or opens the directory itself (never through a link) and makes it the launcher's, mode 0700. */
async function takeOwnership(root: string): Promise<FileHandle> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  let dir: FileHandle;
  try {
    dir = await open(root, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    return refuse('RuntimeDirUnsafe', `runtime dir ${root} cannot be opened as a directory (${(e as NodeJS.ErrnoException).code}): is it a symbolic link?`);
  }
  const uid = process.getuid?.() ?? 0;
  const st = await dir.stat();
  try {
    if (uid === 0) await chownFd(dir, 0, 0);
    else if (st.uid !== uid) refuse('RuntimeDirUnsafe', `runtime dir ${root} belongs to uid ${st.uid} (mode ${(st.mode & 0o7777).toString(8)}): the launcher (uid ${uid}) cannot make it private`);
    await chmodFd(dir, 0o700);
  } catch (e) {
    await dir.close();
    throw e;
  }
  return dir;
}
