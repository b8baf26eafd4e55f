// Pairs disks with volumes under the filesystem-PV design's rule: one volume backs exactly one disk (1:1).
import { problem, type ProblemReason } from '../problem.js';
import { Reason } from '../reasons.js';
import type { DiskSource, DiskSpec, DiskStorage, VolumeSource } from '../model/index.js';
import type { Problems } from './manifest-reader.js';
import type { ParsedDisk } from './vmi-disks.js';
import type { ParsedVolume } from './vmi-volumes.js';

/** `shared`: volumes a virtiofs filesystem uses: no disk is expected for them (vmi-filesystems.ts pairs them). */
export function matchDisksToVolumes(problems: Problems, disks: ParsedDisk[], volumes: ParsedVolume[], shared: ReadonlySet<string> = new Set()): DiskSpec[] {
  const volumesByName = firstByName(problems, volumes, Reason.VolumeNameDuplicate, 'volume');
  firstByName(problems, disks, Reason.DiskNameDuplicate, 'disk');
  checkBootOrders(problems, disks);

  const usedBy = new Map<string, ParsedDisk>();
  const specs: DiskSpec[] = [];
  for (const disk of disks) {
    const volume = volumesByName.get(disk.volumeName);
    if (!volume) {
      problems.push(problem(Reason.VolumeMissing, `${disk.volumeField}: disk ${disk.name} uses volume ${disk.volumeName}, which spec.volumes does not have`, {
        field: disk.volumeField, volume: disk.volumeName, fix: `add a volume named ${disk.volumeName}, or correct the name`,
      }));
      continue;
    }
    const first = usedBy.get(volume.name);
    if (first) {
      problems.push(problem(Reason.VolumeUsedTwice, `${disk.volumeField}: volume ${volume.name} already backs disk ${first.name}; one volume backs exactly one disk`, {
        field: disk.volumeField, volume: volume.name, fix: 'give each disk its own volume',
      }));
      continue;
    }
    usedBy.set(volume.name, disk);
    const spec = toDiskSpec(disk, volume);
    if (spec) specs.push(spec);
  }
  for (const volume of volumesByName.values()) {
    if (usedBy.has(volume.name) || shared.has(volume.name)) continue;
    problems.push(problem(Reason.DiskMissing, `${volume.field}: no disk uses volume ${volume.name}`, {
      field: volume.field, volume: volume.name, fix: `add a disk named ${volume.name} to spec.domain.devices.disks, or remove the volume`,
    }));
  }
  return specs;
}

function toDiskSpec(disk: ParsedDisk, volume: ParsedVolume): DiskSpec | undefined {
  const source = volume.source;
  if (!source || source.kind === 'refused') return undefined; // already reported
  const { volumeField: _volumeField, ...rest } = disk;
  // A read-only claim makes a read-only disk, as in KubeVirt.
  const readonly = disk.readonly || (source.kind === 'pvc' && source.readOnly);
  return {
    ...rest,
    readonly: readonly || source.kind === 'cloudInit',
    source,
    ...storageOf(source, readonly || disk.device === 'cdrom'),
  };
}

/** What storage may do with the image: only a PVC's or a hostDisk's image may be created or grown. */
function storageOf(source: DiskSource, readonly: boolean): Pick<DiskSpec, 'storage'> {
  switch (source.kind) {
    case 'pvc':
    case 'hostDisk': return { storage: baseStorage(source, readonly) };
    // The seed is built by the launcher in the runtime dir and attached read-only: no storage to decide.
    case 'cloudInit': return {};
    // Made fresh by run in the ephemeral dir; an ephemeral disk's image is only ever read: never created or grown.
    case 'emptyDisk':
    case 'ephemeral': return {};
  }
}

/** Before annotations (volume-storage.ts): nothing is created for a disk the guest cannot write. */
function baseStorage(source: Extract<VolumeSource, { kind: 'pvc' | 'hostDisk' }>, readonly: boolean): DiskStorage {
  if (source.kind === 'pvc') return { mayCreate: !readonly, preallocate: false };
  return {
    mayCreate: source.create && !readonly,
    ...(source.capacityBytes !== undefined && { size: { bytes: source.capacityBytes, source: 'hostDisk.capacity' } }),
    preallocate: false,
  };
}

/** Index by name, reporting every later duplicate; the first one wins. */
function firstByName<T extends { name: string; field: string }>(problems: Problems, items: T[], reason: ProblemReason, what: string): Map<string, T> {
  const byName = new Map<string, T>();
  for (const item of items) {
    if (byName.has(item.name)) {
      problems.push(problem(reason, `${item.field}.name: another ${what} is already named ${item.name}`, {
        field: `${item.field}.name`, ...(what === 'volume' && { volume: item.name }), fix: `give every ${what} a unique name`,
      }));
    } else {
      byName.set(item.name, item);
    }
  }
  return byName;
}

function checkBootOrders(problems: Problems, disks: ParsedDisk[]): void {
  const seen = new Map<number, string>();
  for (const disk of disks) {
    if (disk.bootOrder === undefined) continue;
    const other = seen.get(disk.bootOrder);
    if (other !== undefined) {
      problems.push(problem(Reason.BootOrderDuplicate, `${disk.field}.bootOrder: disk ${other} already has boot order ${disk.bootOrder}`, {
        field: `${disk.field}.bootOrder`, fix: 'give each disk a different bootOrder',
      }));
    } else {
      seen.set(disk.bootOrder, disk.name);
    }
  }
}
