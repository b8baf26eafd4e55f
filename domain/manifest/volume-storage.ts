// Per-volume storage facts that KubeVirt reads from the PVC object, which a launcher inside the pod cannot see: the
// claim's size and whether the claim is preallocated (KubeVirt: `*/storage.preallocation` or
// `*/storage.thick-provisioned` = "true" on the PVC). The VMI carries them as annotations keyed by volume, in the
// form Kubernetes uses for per-container annotations (`container.apparmor.security.beta.kubernetes.io/<name>`):
//   claim-size.vm-launcher.io/<volume>: 10Gi        the size of a created disk.img, the cap of a grown one
//   preallocation.vm-launcher.io/<volume>: "true"   create fully allocated; never discard
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { parseQuantity } from './quantity.js';
import { fieldPath, type Problems } from './manifest-reader.js';
import type { DiskSpec } from '../model/index.js';

export const CLAIM_SIZE_PREFIX = 'claim-size.vm-launcher.io/';
export const PREALLOCATION_PREFIX = 'preallocation.vm-launcher.io/';

/** The disks with their annotations applied; every annotation that names no volume, or holds a bad value, is a problem. */
export function applyStorageAnnotations(problems: Problems, disks: DiskSpec[], annotations: Record<string, string>, metaPath: string): DiskSpec[] {
  const byVolume = new Map(disks.map((d) => [d.volumeName, { ...d }]));
  for (const [key, value] of Object.entries(annotations)) {
    const prefix = [CLAIM_SIZE_PREFIX, PREALLOCATION_PREFIX].find((p) => key.startsWith(p));
    if (!prefix) continue;
    const field = `${fieldPath(metaPath, 'annotations')}["${key}"]`;
    const volume = key.slice(prefix.length);
    const disk = byVolume.get(volume);
    const bad = (message: string, fix: string) => problems.push(problem(Reason.FieldInvalid, `${field}: ${message}`, { field, fix, ...(disk && { volume }) }));
    if (!disk?.storage) {
      bad(`no disk uses a volume named ${JSON.stringify(volume)}`, `name a volume of spec.volumes after the /, e.g. ${prefix}rootdisk`);
      continue;
    }
    if (prefix === CLAIM_SIZE_PREFIX) {
      const bytes = parseQuantity(value);
      if (disk.source.kind === 'hostDisk') bad('a hostDisk has no claim', 'set hostDisk.capacity instead');
      else if (bytes === undefined) bad(`${JSON.stringify(value)} is not a quantity`, 'write the PVC\'s size as a Kubernetes quantity such as 10Gi');
      else disk.storage = { ...disk.storage, size: { bytes, source: `annotation ${key}` } };
    } else if (value === 'true' || value === 'false') {
      disk.storage = { ...disk.storage, preallocate: value === 'true' };
    } else {
      bad(`${JSON.stringify(value)} is neither "true" nor "false"`, 'write "true" for a preallocated (thick-provisioned) claim');
    }
  }
  return disks.map((d) => byVolume.get(d.volumeName) ?? d);
}
