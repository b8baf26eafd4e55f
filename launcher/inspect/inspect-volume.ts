// What the pod really has behind one disk: a block device node or a directory holding
// exactly one raw `disk.img`. Decided from the filesystem, never from the manifest.
// Read-only by construction: stat, readdir, statfs, an O_RDONLY|O_DIRECT open and qemu-img info.
import { constants, type Stats } from 'node:fs';
// eslint-disable-next-line no-restricted-syntax -- open: only a block volume's device node, in the pod's /dev (root's); files go through user-dir.ts
import { lstat, open, realpath, stat, statfs } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { LauncherError, problem, type Problem } from '../../domain/problem.js';
import type { DiskSpec, VolumeChange, VolumeFacts, VolumeKind } from '../../domain/model/index.js';
import { imageLockHolder } from './image-locks.js';
import { emptyDiskFacts, withOverlay, type EphemeralDirFacts } from './created-disk-facts.js';
import { qemuImgInfo } from './qemu-img.js';
import { knownRaw, rawMarkerPath } from './raw-marker.js';
import { notRawFix, backingFileFix } from './image-fixes.js';
import { writeRefused } from './write-probe.js';
import { listVolumeEntries } from './volume-entries.js';
import type { QemuImgLimits } from '../plan/plan.js';
import { canAccess, type RunAs } from '../common/run-as.js';
import { openInspected } from '../common/user-dir.js';
import { unsearchableParent } from './blocked-parent.js';
import { DISK_IMAGE_NAME, volumePaths, type VolumeLayout } from '../plan/volume-paths.js';

export interface InspectOptions {
  layout: VolumeLayout;
  /** Where run creates emptyDisk images and overlays, with what preflight learnt about it (only when some disk needs it). */
  ephemeral?: { dir: string; facts: EphemeralDirFacts };
  runAs?: RunAs;
  qemuImg: QemuImgLimits;
  /** `run`'s shutdown signal: stops qemu-img info at once. */
  signal?: AbortSignal;
}

export interface VolumeInspection {
  disk: DiskSpec;
  facts?: VolumeFacts;
  problems: Problem[];
  /** What run does to the image before start: create it (missing-image.ts) or grow it (--expand-disks). */
  change?: VolumeChange;
  /** The inode preflight inspected: run checks QEMU opened this very file (run/disk-identity.ts). */
  identity?: DiskIdentity;
}

/** What preflight saw: a file's (dev, ino), or a block device's rdev. */
export interface DiskIdentity { volume: string; path: string; block: boolean; dev: number; ino: number; rdev: number }

const IMAGE_SUFFIXES = ['.img', '.qcow2', '.raw', '.vmdk', '.vhd', '.vhdx', '.iso'];

const lstatOrNull = async (p: string): Promise<Stats | null> => {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
};

export async function inspectDisk(disk: DiskSpec, opts: InspectOptions): Promise<VolumeInspection> {
  const volume = disk.volumeName;
  const problems: Problem[] = [];
  const at = { volume, field: disk.field };
  const { source } = disk;
  if (source.kind === 'emptyDisk' && opts.ephemeral) {
    return { disk, ...emptyDiskFacts({ ...disk, source }, opts.ephemeral.dir, opts.ephemeral.facts) };
  }
  try {
    const located = source.kind === 'hostDisk'
      ? await locateHostDisk(source.path, at, problems)
      : await locateVolume(volume, opts.layout, at, problems);
    if (!located) return { disk, problems };
    const facts = await examineImage(disk, located.kind, located.path, located.st, opts, problems);
    if (located.kind === 'filesystem' && facts) await checkFits(facts, located.dir ?? located.path, at, problems);
    const identity = { volume, path: located.path, block: located.st.isBlockDevice(), dev: located.st.dev, ino: located.st.ino, rdev: located.st.rdev };
    if (source.kind === 'ephemeral' && facts && opts.ephemeral) return { disk, facts: withOverlay(facts, opts.ephemeral.dir, opts.ephemeral.facts), problems, identity };
    return { disk, facts, problems, identity };
  } catch (e) {
    problems.push(problem('VolumeInspectFailed', `could not inspect volume ${volume}: ${(e as Error).message}`, {
      ...at, fix: 'Check the volume\'s mount and permissions in the pod.',
    }));
    return { disk, problems };
  }
}

interface Located { kind: VolumeKind; path: string; st: Stats; dir?: string }
type At = { volume: string; field: string };

async function locateHostDisk(path: string, at: At, problems: Problem[]): Promise<Located | null> {
  const st = await lstatOrNull(path);
  if (!st) {
    problems.push(problem('HostDiskMissing', `hostDisk ${path} does not exist in the pod`, {
      ...at, fix: 'Mount the host path into the pod, or create the image first; vm-launcher never creates hostDisk images.',
    }));
    return null;
  }
  const real = await realpath(path);
  const rst = await stat(real);
  if (!rst.isFile()) {
    problems.push(problem('DiskImageNotRegularFile', `hostDisk ${path} is not a regular file`, { ...at, fix: 'Point hostDisk.path at a raw image file.' }));
    return null;
  }
  return { kind: 'hostDisk', path: real, st: rst };
}

async function locateVolume(volume: string, layout: VolumeLayout, at: At, problems: Problem[]): Promise<Located | null> {
  const { blockPath, dirPath } = volumePaths(layout, volume);
  const [blk, dir] = await Promise.all([lstatOrNull(blockPath), lstatOrNull(dirPath)]);
  if (blk && dir) {
    problems.push(problem('VolumeAmbiguous', `volume ${volume} is both ${blockPath} and ${dirPath}`, {
      ...at, fix: `A volume is either a block device (${blockPath}) or a filesystem (${dirPath}/${DISK_IMAGE_NAME}), not both: remove one from the pod spec.`,
    }));
    return null;
  }
  if (!blk && !dir) {
    problems.push(problem('VolumeNotFound', `volume ${volume} is neither a block device at ${blockPath} nor a directory at ${dirPath}`, {
      ...at, fix: `Add the PVC to the pod: volumeDevices with devicePath ${blockPath} (block) or volumeMounts with mountPath ${dirPath} (filesystem).`,
    }));
    return null;
  }
  if (blk) {
    const st = await stat(blockPath).catch(() => null); // a device node may be reached through a symlink (podman --device)
    if (!st) {
      problems.push(problem('VolumeNotFound', `${blockPath} is a symlink to nothing`, {
        ...at, fix: `Map the block PVC with volumeDevices at ${blockPath}; the link there leads nowhere.`,
      }));
      return null;
    }
    if (!st.isBlockDevice()) {
      problems.push(problem('VolumeNotBlockDevice', `${blockPath} exists but is not a block device`, {
        ...at, fix: `Map the block PVC with volumeDevices at ${blockPath}, or rename the volume if ${blockPath} is something else.`,
      }));
      return null;
    }
    return { kind: 'block', path: blockPath, st };
  }
  return locateImageInDirectory(volume, dirPath, at, problems);
}

async function locateImageInDirectory(volume: string, dirPath: string, at: At, problems: Problem[]): Promise<Located | null> {
  const dirReal = await realpath(dirPath);
  const dst = await stat(dirReal);
  if (!dst.isDirectory()) {
    problems.push(problem('VolumeNotDirectory', `${dirPath} is not a directory`, { ...at, fix: `Mount the filesystem PVC at ${dirPath}.` }));
    return null;
  }
  // One problem per kind, naming a few files: 20000 stray files are one warning, not 20000.
  const { extraImages, extraFiles } = await listVolumeEntries(dirReal, IMAGE_SUFFIXES);
  if (extraImages.count > 0) {
    problems.push(problem('VolumeHasExtraImage', `volume ${volume} holds ${extraImages.count} other image(s) beside ${DISK_IMAGE_NAME}: ${extraImages.names.join(', ')}${extraImages.count > extraImages.names.length ? ', ...' : ''}`, {
      ...at, fix: `One volume backs exactly one disk: move ${extraImages.count > 1 ? 'them' : extraImages.names[0]} to a volume of ${extraImages.count > 1 ? 'their' : 'its'} own.`,
    }));
  }
  if (extraFiles.count > 0) {
    problems.push(problem('VolumeHasExtraFile', `volume ${volume} holds ${extraFiles.count} file(s) vm-launcher ignores: ${extraFiles.names.join(', ')}${extraFiles.count > extraFiles.names.length ? ', ...' : ''}`, {
      ...at, fix: `Only ${DISK_IMAGE_NAME} is used; remove what is not needed.`,
    }));
  }
  const imagePath = join(dirReal, DISK_IMAGE_NAME);
  const ist = await lstatOrNull(imagePath);
  if (!ist) {
    problems.push(problem('DiskImageMissing', `volume ${volume} has no ${DISK_IMAGE_NAME} at ${join(dirPath, DISK_IMAGE_NAME)}`, {
      ...at, fix: `Put the VM's raw disk image at the root of the volume, named ${DISK_IMAGE_NAME}.`,
    }));
    return null;
  }
  let real = imagePath;
  if (ist.isSymbolicLink()) {
    try {
      real = await realpath(imagePath);
    } catch {
      problems.push(problem('DiskImageMissing', `${DISK_IMAGE_NAME} on volume ${volume} is a dangling symlink`, { ...at, fix: `Replace the symlink with the image itself.` }));
      return null;
    }
    const rel = relative(dirReal, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      problems.push(problem('DiskImageOutsideVolume', `${DISK_IMAGE_NAME} on volume ${volume} is a symlink to ${real}, outside the volume`, {
        ...at, fix: `The image must live on its own volume: copy it into ${dirPath} as ${DISK_IMAGE_NAME}.`,
      }));
      return null;
    }
  }
  const st = await stat(real);
  if (st.isDirectory()) {
    problems.push(problem('DiskImageIsDirectory', `${join(dirPath, DISK_IMAGE_NAME)} is a directory`, { ...at, fix: `${DISK_IMAGE_NAME} must be the raw image file itself.` }));
    return null;
  }
  if (!st.isFile()) {
    // A FIFO or device node here would hang or mislead qemu-img: refuse before opening it.
    problems.push(problem('DiskImageNotRegularFile', `${join(dirPath, DISK_IMAGE_NAME)} is not a regular file`, { ...at, fix: `${DISK_IMAGE_NAME} must be a regular raw image file.` }));
    return null;
  }
  return { kind: 'filesystem', path: real, st, dir: dirReal };
}

async function examineImage(disk: DiskSpec, kind: VolumeKind, path: string, st: Stats, opts: InspectOptions, problems: Problem[]): Promise<VolumeFacts | undefined> {
  const at = { volume: disk.volumeName, field: disk.field };
  // An ephemeral disk's image is only ever the read-only backing of the launcher's overlay.
  const ephemeral = disk.source.kind === 'ephemeral';
  const write = !disk.readonly && disk.device !== 'cdrom' && !ephemeral;
  const who = opts.runAs ? `uid ${opts.runAs.uid}` : `uid ${process.getuid?.()}`;
  // A read-only filesystem or an append-only/immutable file is not a matter of ownership: say what it is.
  const refusedWrite = write && kind !== 'block' ? await writeRefused(path, opts.runAs) : undefined;
  if (refusedWrite === 'EROFS') {
    problems.push(problem('VolumeReadOnly', `${path} is on a read-only filesystem, and the disk is not readonly`, {
      ...at, fix: 'Mount the PVC read-write, or mark the disk readonly (disk.readonly: true, persistentVolumeClaim.readOnly: true).',
    }));
    return undefined;
  }
  if (refusedWrite === 'append-only' || refusedWrite === 'immutable') {
    problems.push(problem('DiskImageNotWritable', `${path} is ${refusedWrite} (chattr +${refusedWrite === 'immutable' ? 'i' : 'a'}): QEMU cannot open it for writing`, {
      ...at, fix: `Check with lsattr ${path}; chattr -a -i ${path} if that flag was not meant, or mark the disk readonly.`,
    }));
    return undefined;
  }
  if (!(await canAccess(path, write, opts.runAs))) {
    const blocked = await unsearchableParent(path, opts.runAs);
    if (blocked) {
      problems.push(problem('DiskImageNotAccessible', `${path} cannot be reached by ${who}, the user QEMU runs as: it cannot enter ${blocked}`, {
        ...at, fix: `Let ${who} enter ${blocked}: chmod o+x ${blocked} (or give it the pod's group and g+x); the image's own mode is not the cause.`,
      }));
      return undefined;
    }
    problems.push(problem('DiskImageNotAccessible', `${path} is not ${write ? 'readable and writable' : 'readable'} by ${who}, the user QEMU runs as`, {
      ...at,
      fix: kind === 'block'
        ? `Give ${who} access to the device node (on Kubernetes: the node's device permissions; with podman: chown the host device), or mark the disk readonly if it is.`
        : `chown ${opts.runAs?.uid ?? 107} the image (or set fsGroup so the pod's group can ${write ? 'write' : 'read'} it).`,
    }));
    return undefined;
  }
  // Other VMs may share an ephemeral disk's image as their read-only backing too; QEMU's own locks refuse a writer.
  const locked = ephemeral ? undefined : await imageLockHolder(st);
  if (locked?.by === 'qemu') {
    problems.push(problem('DiskImageInUse', `${path} is open in a running QEMU (it holds QEMU's image locks)`, {
      ...at, fix: 'One disk belongs to one VM: stop the VM that uses it (another pod on the same ReadWriteMany PVC?) before starting this one.',
    }));
    return undefined;
  }
  if (locked?.by === 'other') {
    problems.push(problem('DiskImageLocked', `${path} is locked by another process, not a QEMU: ${locked.what}; QEMU would refuse to open it`, {
      ...at, fix: `Find the process (lslocks | grep ${st.ino}) and stop it or let it finish, then start again.`,
    }));
    return undefined;
  }
  // Raw by definition (a block device) or by record (raw-marker.ts): its first bytes are the guest's, not a format.
  const raw = kind === 'block' ? 'block' : await knownRaw(path, st, opts.runAs);
  let info;
  try {
    info = await qemuImgInfo(path, opts.qemuImg, raw ? 'raw' : undefined, opts.signal);
  } catch (e) {
    if (!(e instanceof LauncherError)) throw e;
    problems.push(problem(e.reason, `qemu-img info ${path}: ${e.message}`, {
      ...at, fix: e.reason === 'DiskImageInspectTimeout' ? 'The image may be hostile or on a stalled volume: check it by hand with qemu-img info.' : 'Is another VM using this image? Otherwise check the image with qemu-img info.',
    }));
    return undefined;
  }
  if (info.format !== 'raw') {
    problems.push(problem('DiskImageNotRaw', `${path} looks like ${info.format}, not raw, and vm-launcher never booted it as raw`, {
      ...at, fix: notRawFix(path, info.format, rawMarkerPath(path)),
    }));
  }
  if (info.backingFilename) {
    problems.push(problem('DiskImageHasBackingFile', `${path} depends on a backing file (${info.backingFilename})`, {
      ...at, fix: backingFileFix(path),
    }));
  }
  if (info.virtualSize === 0) {
    problems.push(problem('DiskImageEmpty', `${path} has a virtual size of zero`, { ...at, fix: 'Put a real disk image on the volume.' }));
  }
  const allocated = kind === 'block' ? info.virtualSize : st.blocks * 512;
  return {
    volume: disk.volumeName,
    kind,
    path,
    format: info.format,
    virtualSize: info.virtualSize,
    allocatedSize: allocated,
    fullyAllocated: kind === 'block' || st.blocks * 512 >= st.size,
    directIo: await acceptsDirectIo(path, st, kind),
  };
}

/**
 * cache='none' needs O_DIRECT; tmpfs and some FUSE filesystems refuse it. Read-only open: changes nothing.
 * A file image is opened only while it is still the inode inspected above (common/user-dir.ts): the VM user owns
 * the volume and may swap disk.img for a link to a FIFO or a device meanwhile; root never opens what it became.
 */
async function acceptsDirectIo(path: string, st: Stats, kind: VolumeKind): Promise<boolean> {
  try {
    const fh = kind === 'block'
      // A device node in the pod's /dev (root's): reached by its path, which podman may make a link.
      ? await open(path, constants.O_RDONLY | constants.O_DIRECT | constants.O_NONBLOCK | constants.O_NOCTTY)
      : await openInspected(path, { dev: st.dev, ino: st.ino }, constants.O_RDONLY | constants.O_DIRECT);
    await fh.close();
    return true;
  } catch {
    return false;
  }
}

async function checkFits(facts: VolumeFacts, dir: string, at: At, problems: Problem[]): Promise<void> {
  const fs = await statfs(dir);
  if (fs.blocks === 0) return; // ramfs and some FUSE filesystems report no size: nothing to compare with
  const total = fs.blocks * fs.bsize;
  const free = fs.bavail * fs.bsize;
  facts.filesystemSize = total;
  facts.filesystemFree = free;
  const virtual = facts.virtualSize ?? 0;
  const held = facts.allocatedSize ?? 0;
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  if (virtual > total) {
    problems.push(problem('DiskImageTooLarge', `${facts.path} is ${mib(virtual)} but its filesystem holds only ${mib(total)}`, {
      ...at, fix: 'Grow the PVC, or shrink the image (qemu-img resize --shrink) after shrinking the guest\'s filesystem.',
    }));
  } else if (virtual > free + held) {
    problems.push(problem('DiskImageMayNotFit', `${facts.path} may grow to ${mib(virtual)}; it holds ${mib(held)} and the filesystem has ${mib(free)} free`, {
      // fallocate at the current size allocates the holes: it changes neither the size nor a byte of content.
      ...at, fix: `Grow the PVC or preallocate the image (fallocate -l ${virtual} ${facts.path}; size and content unchanged): a full volume pauses the guest on write.`,
    }));
  }
}
