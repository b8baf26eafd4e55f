// The disks `run` makes itself, in the ephemeral dir: an emptyDisk as a fresh sparse raw image of its capacity, an
// ephemeral disk as a qcow2 overlay on the volume's raw image. The overlay names its backing file's format
// (-F raw), so nothing ever probes the image, and the image is only read. Created before the guest starts (never by
// check), as the VM user, and removed at exit. A leftover from a launcher that was killed is replaced, never reused:
// an emptyDisk starts empty, an ephemeral disk starts as its image.
import { execa } from 'execa';
import { fail } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { CreatedDiskFacts, VolumeFacts } from '../../domain/model/index.js';
import { trustedOwners, type RunAs } from '../common/run-as.js';
import { createdDiskLocation, type CreatedDiskLocation } from '../plan/created-disk-paths.js';
import { UnsafeEntryError, UserDir } from '../common/user-dir.js';

const QEMU_IMG_TIMEOUT_MS = 30_000;

/** qemu-img's arguments for one created disk: the one place their formats are decided. */
export function qemuImgCreateArgs(created: CreatedDiskFacts, backing: string): string[] {
  if (created.kind === 'emptyDisk') return ['create', '-q', '-f', 'raw', created.path, String(created.sizeBytes)];
  // The size is given, so qemu-img needs nothing from the backing image beyond opening it read-only.
  return ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', created.path, String(created.backingSizeBytes)];
}

/** What createDisks made, for removeCreatedDisks. */
export type CreatedDisks = CreatedDiskLocation[];

/**
 * The owners a directory under the ephemeral dir may have: root (an emptyDir is root's), the launcher's uid and the
 * VM user's (common/run-as.ts: trustedOwners). Anything else
 * was not made by either and is not entered.
 */

/**
 * Opens (making what is missing) the directories that hold `location`, below the ephemeral dir, through descriptors
 * only (common/user-dir.ts): the ephemeral dir is the VM user's (an emptyDir with fsGroup 107), who could otherwise
 * plant `empty-disks -> /etc` and have a root launcher chown /etc to it.
 */
async function openLocationDir(ephemeralDir: string, location: CreatedDiskLocation, runAs: RunAs | undefined, create: boolean): Promise<UserDir | undefined> {
  const owners = trustedOwners(runAs);
  // QEMU's user must pass through the ephemeral dir; the levels below it are its own.
  let dir: UserDir | undefined = create
    ? await UserDir.openOrCreate(ephemeralDir, 0o755, undefined, owners)
    : await UserDir.open(ephemeralDir, owners).catch(() => undefined);
  for (const name of location.dirNames) {
    if (!dir) return undefined;
    const parent: UserDir = dir;
    try {
      dir = create
        ? await parent.subdir(name, { mode: 0o750, ...(runAs && { owner: runAs }), owners })
        : await parent.existingSubdir(name, owners);
    } finally {
      await parent.close();
    }
  }
  return dir;
}

/**
 * Creates every disk the facts ask for; what it made is pushed to `made` as it goes, so a failure can be undone.
 * `signal` (the launcher's shutdown) stops qemu-img at once: Aborted, the partial disk removed with the rest.
 */
export async function createDisks(facts: readonly VolumeFacts[], ephemeralDir: string, runAs: RunAs | undefined, made: CreatedDisks, signal?: AbortSignal): Promise<void> {
  for (const f of facts) {
    if (!f.created) continue;
    const location = createdDiskLocation(ephemeralDir, f.volume, f.created.kind === 'emptyDisk' ? 'emptyDisk' : 'ephemeral');
    let dir: UserDir | undefined;
    try {
      dir = await openLocationDir(ephemeralDir, location, runAs, true);
      await dir!.remove(location.fileName); // a killed launcher's leftover: start fresh
    } catch (e) {
      if (!(e instanceof UnsafeEntryError)) throw e;
      fail('EphemeralDirUnsafe', `${e.message}: not creating the disk of volume ${f.volume} there`, { volume: f.volume });
    } finally {
      await dir?.close();
    }
    made.push(location);
    // As the VM user, by path: whatever that user changes meanwhile, it only reaches what it could write itself.
    const r = await execa('qemu-img', qemuImgCreateArgs(f.created, f.path), {
      reject: false, timeout: QEMU_IMG_TIMEOUT_MS, killSignal: 'SIGKILL', stdin: 'ignore',
      env: { LANG: 'C', PATH: SYSTEM_PATH }, extendEnv: false,
      ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
      ...(signal && { cancelSignal: signal }),
    });
    if (r.isCanceled) fail('Aborted', `qemu-img create ${location.path} for volume ${f.volume} stopped: a signal asked the launcher to stop`, { volume: f.volume });
    if (r.exitCode !== 0 || r.timedOut) {
      const why = String(r.stderr).trim().split('\n').pop() || (r.timedOut ? 'timed out' : `exit code ${r.exitCode}`);
      fail('CreatedDiskFailed', `qemu-img create ${location.path} for volume ${f.volume}: ${why.replace(/^qemu-img: /, '')}`, { volume: f.volume });
    }
  }
}

/**
 * Removes what createDisks made, and its dirs when they are empty (the ephemeral dir itself stays), through
 * descriptors as createDisks made them. Never throws.
 */
export async function removeCreatedDisks(made: CreatedDisks, ephemeralDir: string, runAs: RunAs | undefined): Promise<void> {
  for (const location of made) {
    await removeOne(location, ephemeralDir, runAs).catch(() => undefined);
  }
}

async function removeOne(location: CreatedDiskLocation, ephemeralDir: string, runAs: RunAs | undefined): Promise<void> {
  const dir = await openLocationDir(ephemeralDir, location, runAs, false);
  if (!dir) return;
  try {
    await dir.remove(location.fileName);
  } finally {
    await dir.close();
  }
  // Each level when empty, innermost first: its parent opened afresh, never by a path below the ephemeral dir.
  for (let depth = location.dirNames.length; depth > 0; depth--) {
    const parent = await openLocationDir(ephemeralDir, { ...location, dirNames: location.dirNames.slice(0, depth - 1) }, runAs, false);
    if (!parent) return;
    try {
      if (!(await parent.removeEmptyDir(location.dirNames[depth - 1]!))) return;
    } finally {
      await parent.close();
    }
  }
}
