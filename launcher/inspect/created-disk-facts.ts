// Facts about the disks `run` will create (emptyDisk images, ephemeral overlays) and the ephemeral dir they go to.
// Read-only like the rest of inspect/: check never creates them; it only says where they will be and whether the
// launcher will be able to make them there.
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import type { DiskSpec, VolumeFacts } from '../../domain/model/index.js';
import { createdDiskLocation } from '../plan/created-disk-paths.js';

const TMPFS_MAGIC = 0x01021994;

export interface EphemeralDirFacts {
  /** Whether images there can be opened with O_DIRECT (cache none): not on tmpfs, which refuses it on older kernels. */
  directIo: boolean;
  free?: number;
  size?: number;
  problems: Problem[];
}

/** The dir itself if it exists, else its nearest existing ancestor (the launcher creates the rest at run). */
async function nearestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      await stat(d);
      return d;
    } catch {
      if (d === dirname(d)) return d;
    }
  }
}

export async function inspectEphemeralDir(dir: string): Promise<EphemeralDirFacts> {
  const at = await nearestExisting(dir);
  const problems: Problem[] = [];
  const st = await stat(at);
  const writable = await access(at, constants.W_OK | constants.X_OK).then(() => true, () => false);
  if (!st.isDirectory() || !writable) {
    problems.push(problem('EphemeralDirUnusable', `ephemeral dir ${dir}: ${at} is ${st.isDirectory() ? 'not writable by the launcher' : 'not a directory'}; emptyDisk and ephemeral disks are created there at run`, {
      fix: `Mount an emptyDir at ${dir} writable by the launcher (fsGroup 107), or point --ephemeral-dir elsewhere.`,
    }));
  }
  const fs = await statfs(at);
  return { directIo: fs.type !== TMPFS_MAGIC, ...(fs.blocks > 0 && { size: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize }), problems };
}

/** An emptyDisk has no volume in the pod: its facts are where `run` will create it and how large. */
export function emptyDiskFacts(disk: DiskSpec & { source: { kind: 'emptyDisk' } }, ephemeralDir: string, dir: EphemeralDirFacts): { facts: VolumeFacts; problems: Problem[] } {
  const { path } = createdDiskLocation(ephemeralDir, disk.volumeName, 'emptyDisk');
  const sizeBytes = disk.source.capacityBytes;
  const problems: Problem[] = [];
  if (dir.size !== undefined && sizeBytes > dir.size) {
    // Never fillable, and beyond some filesystems' largest file (ext4: 16 TiB - 4 KiB): qemu-img create then fails at run.
    problems.push(problem('DiskImageTooLarge', `emptyDisk ${disk.volumeName} is ${mib(sizeBytes)} but the ephemeral dir's filesystem holds only ${mib(dir.size)}`, {
      volume: disk.volumeName, field: disk.field, fix: `Give it a capacity of at most ${mib(dir.size)}, or a larger emptyDir at ${ephemeralDir}.`,
    }));
  } else if (dir.free !== undefined && sizeBytes > dir.free) {
    problems.push(problem('DiskImageMayNotFit', `emptyDisk ${disk.volumeName} may grow to ${mib(sizeBytes)}; the ephemeral dir has ${mib(dir.free)} free`, {
      volume: disk.volumeName, field: disk.field, fix: `Give the ephemeral dir (an emptyDir at ${ephemeralDir}) more room, or a smaller capacity: a full disk pauses the guest.`,
    }));
  }
  return {
    facts: {
      volume: disk.volumeName, kind: 'filesystem', path, format: 'raw', virtualSize: sizeBytes, allocatedSize: 0,
      fullyAllocated: false, directIo: dir.directIo,
      ...(dir.size !== undefined && { filesystemSize: dir.size, filesystemFree: dir.free }),
      created: { kind: 'emptyDisk', path, sizeBytes },
    },
    problems,
  };
}

/** An ephemeral disk: the volume's image (already inspected, read-only) becomes the backing file of an overlay. */
export function withOverlay(facts: VolumeFacts, ephemeralDir: string, dir: EphemeralDirFacts): VolumeFacts {
  const { path } = createdDiskLocation(ephemeralDir, facts.volume, 'ephemeral');
  return {
    ...facts,
    // The overlay is a sparse file in the ephemeral dir: that is what cache/io/discard are decided for.
    directIo: facts.directIo && dir.directIo,
    fullyAllocated: false,
    created: { kind: 'overlay', path, backingSizeBytes: facts.virtualSize ?? 0 },
  };
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
