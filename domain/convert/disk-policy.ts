// The decision tables that turn what the user asked for and what the launcher found into disk settings.
// Each is a pure function of plain values, so each is tested as a table.
import { Reason } from '../reasons.js';
import type { Accel, Bus, CacheMode, IoMode, VolumeKind, Decision } from '../model/index.js';

const ok = <T>(value: T): Decision<T> => ({ ok: true, value });

/**
 * Cache: `none` (O_DIRECT, the host page cache stays out of the way) where the image's location accepts O_DIRECT,
 * else `writethrough` (safe without O_DIRECT). A user's `none` where O_DIRECT fails is an error, not a silent change.
 */
export function decideCache(requested: CacheMode | undefined, directIo: boolean): Decision<CacheMode> {
  if (requested === 'none' && !directIo) {
    return {
      ok: false,
      reason: Reason.CacheNoneUnsupported,
      message: "cache: none needs O_DIRECT, which the image's location refuses",
      fix: 'remove cache (vm-launcher then picks writethrough) or set cache: writethrough',
    };
  }
  return ok(requested ?? (directIo ? 'none' : 'writethrough'));
}

/**
 * IO: `native` (Linux AIO) needs O_DIRECT, so it needs cache none; it also only pays off where writes cannot block
 * on allocation: a block device or a fully allocated file. Everything else gets `threads`.
 */
export function decideIo(requested: IoMode | undefined, cache: CacheMode, kind: VolumeKind, fullyAllocated: boolean): Decision<IoMode> {
  if (requested === 'native' && cache !== 'none') {
    return {
      ok: false,
      reason: Reason.IoNativeNeedsCacheNone,
      message: `io: native needs cache: none, but the cache is ${cache}`,
      fix: 'remove io (vm-launcher then picks threads) or set io: threads',
    };
  }
  if (requested) return ok(requested);
  return ok(cache === 'none' && (kind === 'block' || fullyAllocated) ? 'native' : 'threads');
}

/**
 * Discard: `unmap` lets the guest's TRIM free space in a sparse image. A fully allocated image (and a block device,
 * whose facts always say fullyAllocated) gets no discard attribute, so its allocation is kept as it is.
 */
export const decideDiscard = (fullyAllocated: boolean): 'unmap' | undefined => (fullyAllocated ? undefined : 'unmap');

/** libvirt's disk type: a device node is `block`; an image file (PVC or hostDisk) is `file`. */
export const diskSourceType = (kind: VolumeKind): 'file' | 'block' => (kind === 'block' ? 'block' : 'file');

/** `<domain type>`: kvm, or qemu for software emulation (TCG). */
export const domainTypeFor = (accel: Accel): 'kvm' | 'qemu' => accel;

/** virtio disks are vdX; sata and scsi share the sdX namespace (both are SCSI disks to the guest and to libvirt). */
export const targetPrefix = (bus: Bus): 'vd' | 'sd' => (bus === 'virtio' ? 'vd' : 'sd');

/** libvirt's disk suffixes: a..z, then aa..az, ba.. (bijective base 26): index 0 -> a, 25 -> z, 26 -> aa. */
export function diskSuffix(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`disk index must be a non-negative integer, not ${index}`);
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const rem = (n - 1) % 26;
    out = String.fromCharCode(97 + rem) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** Target names for disks in manifest order, counted per prefix: [virtio, sata, virtio, scsi] -> vda, sda, vdb, sdb. */
export function assignTargets(buses: readonly Bus[]): string[] {
  const next: Record<'vd' | 'sd', number> = { vd: 0, sd: 0 };
  return buses.map((bus) => {
    const prefix = targetPrefix(bus);
    return prefix + diskSuffix(next[prefix]++);
  });
}
