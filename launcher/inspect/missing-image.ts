// A filesystem volume (or a DiskOrCreate hostDisk) whose image does not exist yet: may run create it, where and how
// big? And (--expand-disks) may run grow an existing one? Read-only like all of inspect/: the answer is a planned change (`create`) that check reports and only run
// carries out (launcher/run/create-disk-image.ts). The safety rules: the directory is a mount point (a plain
// directory in a pod is the container's own disk), holds nothing but lost+found and dotfiles, and the VM user may
// create files in it; the size follows KubeVirt's rules (domain/convert/disk-image-size.ts).
import { lstat, readdir, realpath, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decideCreateSize, growthChange } from '../../domain/convert/index.js';
import { hasErrors, problem, type Problem } from '../../domain/problem.js';
import type { DiskSpec, VolumeChange, VolumeFacts } from '../../domain/model/index.js';
import { canAccess, type RunAs } from '../common/run-as.js';
import type { ImagePolicy } from '../plan/plan.js';
import { DISK_IMAGE_NAME, volumePaths, type VolumeLayout } from '../plan/volume-paths.js';
import type { VolumeInspection } from './inspect-volume.js';
import { isMountPoint } from './mount-point.js';

export interface MissingImageOptions { layout: VolumeLayout; runAs?: RunAs; images: ImagePolicy }

const exists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);

/**
 * The inspection of a disk whose image run would create, or undefined when this does not apply (the image exists,
 * the volume is a block device or absent, the disk is read-only, creation is off): the ordinary rules then report.
 */
export async function inspectMissingImage(disk: DiskSpec, opts: MissingImageOptions): Promise<VolumeInspection | undefined> {
  if (!disk.storage?.mayCreate || !opts.images.create.value) return undefined;
  const target = await missingTarget(disk, opts.layout);
  if (!target) return undefined;
  const at = { volume: disk.volumeName, field: disk.field };
  const problems: Problem[] = [];
  const { dir, name, shown } = target;

  const [mounted, entries, writable, fs] = await Promise.all([
    opts.images.allowPlainDir.value ? true : isMountPoint(dir),
    readdir(dir),
    canAccess(dir, true, opts.runAs),
    statfs(dir),
  ]);
  if (!mounted) {
    problems.push(problem('VolumeNotMountPoint', `${name} is missing and ${shown} is not a mount point: vm-launcher creates an image only on a mounted volume`, {
      ...at, fix: `Mount the PVC at ${shown} (an empty one gets a new ${name}), or put the VM's raw image at ${join(shown, name)}; for a local run, --allow-plain-dir yes.`,
    }));
  }
  const others = entries.filter((e) => e !== 'lost+found' && !e.startsWith('.'));
  if (others.length > 0) {
    problems.push(problem('VolumeNotEmpty', `${name} is missing and ${shown} holds ${others.slice(0, 5).join(', ')}${others.length > 5 ? ` and ${others.length - 5} more` : ''}: an image is created only on an empty volume`, {
      ...at, fix: `Put the VM's raw image at ${join(shown, name)}, or empty the volume so that vm-launcher creates it.`,
    }));
  }
  const who = opts.runAs ? `uid ${opts.runAs.uid}` : `uid ${process.getuid?.()}`;
  if (!writable) {
    problems.push(problem('VolumeNotWritable', `${name} is missing and ${who}, the VM user, cannot create files in ${shown}`, {
      ...at, fix: `chown ${opts.runAs?.uid ?? 107} ${shown}, or set the pod's fsGroup so that the VM user can write the volume.`,
    }));
  }
  const available = fs.blocks === 0 ? undefined : fs.bavail * fs.bsize;
  const decision = decideCreateSize({ ...(disk.storage.size && { wanted: disk.storage.size }), ...(available !== undefined && { availableBytes: available }) });
  if (!decision.ok) {
    problems.push(problem(decision.reason, `cannot create ${join(shown, name)}: ${decision.message}`, { ...at, fix: decision.fix }));
    return { disk, problems };
  }
  if (decision.value.tolerated) problems.push(problem(decision.value.tolerated.reason, `${join(shown, name)}: ${decision.value.tolerated.message}`, at));
  if (problems.some((p) => p.severity === 'error')) return { disk, problems };

  const { sizeBytes, why } = decision.value;
  const path = join(dir, name);
  const preallocate = disk.storage.preallocate;
  // What the created image will be, so that check can build the domain now. O_DIRECT cannot be probed on a file
  // that does not exist: assumed here, probed for real when run inspects the created image before the start.
  const facts: VolumeFacts = {
    volume: disk.volumeName,
    kind: disk.source.kind === 'hostDisk' ? 'hostDisk' : 'filesystem',
    path,
    format: 'raw',
    virtualSize: sizeBytes,
    allocatedSize: preallocate ? sizeBytes : 0,
    fullyAllocated: preallocate,
    directIo: true,
    ...(available !== undefined && { filesystemSize: fs.blocks * fs.bsize, filesystemFree: available }),
  };
  return { disk, facts, problems, change: { kind: 'create', dir, name, path, sizeBytes, why, preallocate } };
}

/**
 * The growth run makes to a PVC's existing image (domain/convert/disk-image-size.ts decides), only on a volume that is a
 * mount point: in a plain directory, "what the volume holds" would be the free space of the container's own disk.
 */
export async function plannedGrowth(v: VolumeInspection, layout: VolumeLayout, allowPlainDir: boolean): Promise<VolumeChange | undefined> {
  if (hasErrors(v.problems) || v.disk.source.kind === 'hostDisk') return undefined;
  const change = growthChange(v.disk, v.facts);
  if (!change || allowPlainDir) return change;
  return (await isMountPoint(await realpath(volumePaths(layout, v.disk.volumeName).dirPath))) ? change : undefined;
}

/** Where the missing image would go: its directory (real path), its name, and the directory as the user named it. */
async function missingTarget(disk: DiskSpec, layout: VolumeLayout): Promise<{ dir: string; name: string; shown: string } | undefined> {
  let shown: string;
  let name: string;
  if (disk.source.kind === 'hostDisk') {
    shown = dirname(disk.source.path);
    name = basename(disk.source.path);
  } else {
    const { blockPath, dirPath } = volumePaths(layout, disk.volumeName);
    if (await exists(blockPath)) return undefined; // a block volume, or an ambiguous one: the ordinary rules
    shown = dirPath;
    name = DISK_IMAGE_NAME;
  }
  const st = await stat(shown).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  const dir = await realpath(shown);
  if (await exists(join(dir, name))) return undefined; // even a dangling symlink: the ordinary rules refuse it
  return { dir, name, shown };
}
