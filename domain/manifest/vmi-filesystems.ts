// spec.domain.devices.filesystems: a filesystem PVC shared with the guest as a directory through virtiofs (not as a
// disk: the volume need not hold disk.img). As in KubeVirt the filesystem's name is its volume's name and the tag
// the guest mounts (`mount -t virtiofs <name> /mnt`).
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDns1123Label } from './names.js';
import { fieldPath, parseObjects, readObject, readString, refuseUnknownKeys, type Obj, type Problems } from './manifest-reader.js';
import { FILESYSTEM_FIELDS, FIX_HINTS, VIRTIOFS_FIELDS } from './vmi-fields.js';
import type { ParsedVolume } from './vmi-volumes.js';
import type { ParsedDisk } from './vmi-disks.js';
import type { FilesystemSpec } from '../model/index.js';

/** A virtiofs tag is at most 36 bytes (virtio_fs_config.tag; QEMU refuses a longer one at start). */
export const MAX_VIRTIOFS_TAG = 36;

export interface ParsedFilesystem { name: string; field: string }

export function parseFilesystems(problems: Problems, list: unknown[], path: string): ParsedFilesystem[] {
  const kind = { what: 'filesystem', fix: 'give each filesystem the name of its volume and virtiofs: {}', rules: FILESYSTEM_FIELDS, hints: FIX_HINTS };
  return parseObjects(problems, list, path, kind, (item, field) => parseFilesystem(problems, item, field));
}

function parseFilesystem(problems: Problems, item: Obj, field: string): ParsedFilesystem | undefined {
  const virtiofs = readObject(problems, item, 'virtiofs', field);
  if (virtiofs) refuseUnknownKeys(problems, virtiofs, fieldPath(field, 'virtiofs'), VIRTIOFS_FIELDS, FIX_HINTS);
  else if (item['virtiofs'] === undefined || item['virtiofs'] === null) {
    problems.push(problem(Reason.FieldMissing, `${field}.virtiofs: missing; virtiofs is the only filesystem type`, { field: `${field}.virtiofs`, fix: 'add virtiofs: {}' }));
  }
  const name = readString(problems, item, 'name', field);
  if (name === undefined) {
    if (item['name'] === undefined || item['name'] === null) {
      problems.push(problem(Reason.FieldMissing, `${field}.name: a filesystem needs a name`, { field: `${field}.name`, fix: 'name the filesystem after the volume it shares' }));
    }
    return undefined;
  }
  if (!isDns1123Label(name) || name.length > MAX_VIRTIOFS_TAG) {
    problems.push(problem(Reason.FieldInvalid, `${field}.name: ${JSON.stringify(name)} cannot be a virtiofs tag: it must be a DNS-1123 label of at most ${MAX_VIRTIOFS_TAG} characters`, {
      field: `${field}.name`, fix: `name the volume and its filesystem with at most ${MAX_VIRTIOFS_TAG} lowercase letters, digits and dashes`,
    }));
    return undefined;
  }
  return virtiofs ? { name, field } : undefined;
}

/**
 * Pairs each filesystem with the volume of its name. Only a persistentVolumeClaim can be shared; a volume is either
 * a disk or a share, never both; every problem names the exact field.
 */
export function matchFilesystems(problems: Problems, filesystems: readonly ParsedFilesystem[], volumes: readonly ParsedVolume[], disks: readonly ParsedDisk[]): FilesystemSpec[] {
  const seen = new Set<string>();
  const specs: FilesystemSpec[] = [];
  for (const fs of filesystems) {
    if (seen.has(fs.name)) {
      problems.push(problem(Reason.FieldInvalid, `${fs.field}.name: another filesystem already shares volume ${fs.name}`, { field: `${fs.field}.name`, volume: fs.name, fix: 'share each volume once' }));
      continue;
    }
    seen.add(fs.name);
    const volume = volumes.find((v) => v.name === fs.name);
    if (!volume) {
      problems.push(problem(Reason.VolumeMissing, `${fs.field}.name: filesystem ${fs.name} shares volume ${fs.name}, which spec.volumes does not have`, {
        field: `${fs.field}.name`, volume: fs.name, fix: `add a persistentVolumeClaim volume named ${fs.name}, or correct the name`,
      }));
      continue;
    }
    const disk = disks.find((d) => d.volumeName === fs.name);
    if (disk) {
      problems.push(problem(Reason.VolumeUsedTwice, `${fs.field}.name: volume ${fs.name} is also disk ${disk.name} (${disk.field}); a volume is either a disk or a virtiofs share`, {
        field: `${fs.field}.name`, volume: fs.name, fix: 'remove the disk or the filesystem, or give each its own volume',
      }));
      continue;
    }
    const source = volume.source;
    if (!source || source.kind === 'refused') continue; // already reported
    if (source.kind !== 'pvc') {
      const field = source.kind === 'cloudInit' ? source.cloudInit.field : fieldPath(volume.field, source.kind);
      problems.push(problem(Reason.FieldNotSupported, `${field}: filesystem ${fs.name} (${fs.field}) can share only a persistentVolumeClaim`, {
        field, volume: fs.name, fix: 'share a filesystem PVC (persistentVolumeClaim), or make this volume a disk',
      }));
      continue;
    }
    specs.push({ name: fs.name, volumeName: fs.name, field: fs.field, claimName: source.claimName, readOnly: source.readOnly });
  }
  return specs;
}

