// Defaults KubeVirt's mutating webhook applies before a VMI reaches its launcher, applied here the same way and
// reported as notes (KubeVirtDefault), so a manifest that runs under KubeVirt runs here unchanged.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { Problems } from './manifest-reader.js';
import type { ParsedDisk } from './vmi-disks.js';
import type { ParsedVolume } from './vmi-volumes.js';

/**
 * A volume no disk uses gets a disk of its own, named after the volume, appended after the listed disks: a
 * `disk` on the default bus (virtio), as KubeVirt's SetDefaultVolumeDisk and its disk defaults make it.
 */
export function addDefaultDisks(problems: Problems, disks: readonly ParsedDisk[], volumes: readonly ParsedVolume[], shared: ReadonlySet<string> = new Set()): ParsedDisk[] {
  // A volume a filesystem shares is not a disk (KubeVirt's webhook skips it too).
  const used = new Set([...disks.map((d) => d.volumeName), ...shared]);
  const names = new Set(disks.map((d) => d.name));
  const added: ParsedDisk[] = [];
  for (const volume of volumes) {
    if (used.has(volume.name)) continue;
    used.add(volume.name);
    if (names.has(volume.name)) continue; // a disk of that name uses another volume: DiskMissing says so
    added.push({
      name: volume.name, volumeName: volume.name, volumeField: `${volume.field}.name`, field: volume.field,
      device: 'disk', bus: 'virtio', readonly: false,
    });
    problems.push(problem(Reason.KubeVirtDefault, `${volume.field}: no disk uses volume ${volume.name}; as in KubeVirt, it gets a virtio disk named ${volume.name}`, {
      field: volume.field, volume: volume.name, fix: `list a disk for ${volume.name} in spec.domain.devices.disks to choose its bus or boot order`,
    }));
  }
  return [...disks, ...added];
}
