// Where a volume's bytes come from, as the manifest says (manifest/vmi-volumes.ts reads it): the one place a
// volume's kind is decided. The disk spec carries it as it was read; inspection and conversion switch on it.
import type { CloudInitSpec } from './cloud-init.js';

export type CreatedSource =
  | { kind: 'emptyDisk'; capacityBytes: number }
  /** The PVC whose raw image backs the overlay. */
  | { kind: 'ephemeral'; claimName: string };

export type VolumeSource =
  | { kind: 'pvc'; claimName: string; readOnly: boolean }
  /** `create`: type DiskOrCreate; `capacityBytes`: hostDisk.capacity, the size of a created image. */
  | { kind: 'hostDisk'; path: string; create: boolean; capacityBytes?: number }
  | { kind: 'cloudInit'; cloudInit: CloudInitSpec }
  | CreatedSource
  /** A source vm-launcher refused (already reported); the volume still exists for matching. */
  | { kind: 'refused' };

/** What a disk is backed by once its volume was matched: every source but a refused one. */
export type DiskSource = Exclude<VolumeSource, { kind: 'refused' }>;
