// How big a disk.img the launcher creates on an empty filesystem volume, and how far it may grow one: KubeVirt's
// rules (pkg/host-disk, ExpandDisks) as pure functions of plain numbers, so each is tested as a table.
import { Reason } from '../reasons.js';
import type { Decision, DiskSpec, VolumeChange, VolumeFacts } from '../model/index.js';

export const MIB = 1024 * 1024;
/** Left unused on a volume when an image is sized from it (KubeVirt's minimumReservePVCBytes default). */
export const VOLUME_RESERVE_BYTES = 128 * 1024;
/** A volume may be this much smaller than the wanted size (KubeVirt's pvcTolerateLessSpaceUpToPercent default). */
export const SMALL_VOLUME_TOLERANCE_PERCENT = 10;

/** Images are whole MiB (KubeVirt aligns image sizes the same way). */
export const alignDownToMiB = (bytes: number): number => Math.floor(bytes / MIB) * MIB;

const mib = (bytes: number): string => `${Number.isInteger(bytes / MIB) ? bytes / MIB : (bytes / MIB).toFixed(2)} MiB`;

/** The size the user asked for and where it was written (`hostDisk.capacity`, an annotation). */
export interface WantedSize { bytes: number; source: string }

export interface CreateSizeInput {
  wanted?: WantedSize;
  /** Bytes an unprivileged writer may still use on the volume (statfs f_bavail * f_bsize); undefined when the filesystem reports no size. */
  availableBytes?: number;
}

export interface CreateSize {
  sizeBytes: number;
  /** Why this size, for people: `hostDisk.capacity 10Gi`, `what the volume can hold`. */
  why: string;
  /** Present when the volume is smaller than wanted but within the tolerance: a warning. */
  tolerated?: { reason: typeof Reason.ToleratedSmallPV; message: string };
}

/**
 * The size of a new image: the wanted size (rounded down to 1 MiB) when the volume holds it beside the reserve;
 * else, within the tolerance, what the volume holds (with a warning); else a refusal with the numbers. Without a
 * wanted size: what the volume holds. Unlike KubeVirt, a tolerated size is also rounded down to 1 MiB, and the
 * tolerance is checked against that rounded size.
 */
export function decideCreateSize(input: CreateSizeInput): Decision<CreateSize> {
  const room = input.availableBytes === undefined ? undefined : alignDownToMiB(Math.max(0, input.availableBytes - VOLUME_RESERVE_BYTES));
  const { wanted } = input;
  if (!wanted) {
    if (room === undefined) {
      return refuse(Reason.VolumeTooSmall, 'the volume\'s filesystem reports no size, and no size was asked for',
        'give the size: hostDisk.capacity, or the annotation claim-size.vm-launcher.io/<volume> (see docs/storage.md: Creating and growing disk.img)');
    }
    if (room === 0) return refuse(Reason.VolumeTooSmall, `the volume has ${mib(input.availableBytes ?? 0)} free; an image needs at least 1 MiB beside the ${VOLUME_RESERVE_BYTES / 1024} KiB reserve`, 'use a larger PVC');
    return ok({ sizeBytes: room, why: `what the volume can hold (${mib(input.availableBytes ?? 0)} free, ${VOLUME_RESERVE_BYTES / 1024} KiB kept in reserve)` });
  }
  const want = alignDownToMiB(wanted.bytes);
  if (want === 0) return refuse(Reason.FieldInvalid, `${wanted.source} is ${wanted.bytes} bytes: an image needs at least 1 MiB`, `set ${wanted.source} to 1Mi or more`);
  const asked = `${wanted.source} ${mib(want)}${want !== wanted.bytes ? ` (${wanted.bytes} bytes rounded down to whole MiB)` : ''}`;
  if (room === undefined || want <= room) return ok({ sizeBytes: want, why: asked });
  const floor = Math.ceil((want * (100 - SMALL_VOLUME_TOLERANCE_PERCENT)) / 100);
  const numbers = `${wanted.source} asks for ${mib(want)}; the volume has ${mib(input.availableBytes ?? 0)} free, ${mib(room)} usable after the ${VOLUME_RESERVE_BYTES / 1024} KiB reserve`;
  if (room < floor) {
    return refuse(Reason.VolumeTooSmall, `${numbers}, below the ${SMALL_VOLUME_TOLERANCE_PERCENT} % tolerance (at least ${mib(floor)})`,
      `use a PVC of at least ${mib(want + VOLUME_RESERVE_BYTES)} (plus filesystem overhead), or lower ${wanted.source}`);
  }
  return ok({
    sizeBytes: room,
    why: `${wanted.source} ${mib(want)}, tolerated down to what the volume can hold`,
    tolerated: { reason: Reason.ToleratedSmallPV, message: `${numbers}: creating ${mib(room)}, within the ${SMALL_VOLUME_TOLERANCE_PERCENT} % tolerance` },
  });
}

export interface GrowthInput {
  virtualSize: number;
  /** Bytes the image already holds on the volume (a sparse image holds less than its virtual size). */
  allocatedSize: number;
  availableBytes?: number;
  /** The claim's size when known: growth never goes past it. */
  claimSize?: WantedSize;
}

/**
 * How far an existing image may grow: to what the volume can hold (what the image holds plus the free space, less
 * the reserve), capped by the claim's size, rounded down to 1 MiB. Undefined when that is not larger: never shrink.
 */
export function decideGrowth(input: GrowthInput): { fromBytes: number; toBytes: number; why: string } | undefined {
  if (input.availableBytes === undefined) return undefined;
  const room = input.allocatedSize + input.availableBytes - VOLUME_RESERVE_BYTES;
  const capped = input.claimSize ? Math.min(room, input.claimSize.bytes) : room;
  const to = alignDownToMiB(capped);
  if (to <= input.virtualSize) return undefined;
  const why = input.claimSize && input.claimSize.bytes <= room ? `${input.claimSize.source} ${mib(to)}` : 'what the volume can hold';
  return { fromBytes: input.virtualSize, toBytes: to, why };
}

const ok = <T>(value: T): Decision<T> => ({ ok: true, value });
const refuse = (reason: typeof Reason.VolumeTooSmall | typeof Reason.FieldInvalid, message: string, fix: string): Decision<never> =>
  ({ ok: false, reason, message, fix });

/**
 * The growth run carries out for one disk when --expand-disks is on: only a writable image on a filesystem PVC
 * (never a block volume, a hostDisk or a read-only disk), and only when its volume holds more than its size.
 */
export function growthChange(disk: DiskSpec, facts: VolumeFacts | undefined): VolumeChange | undefined {
  if (!facts || facts.kind !== 'filesystem' || disk.readonly || disk.device === 'cdrom' || facts.virtualSize === undefined) return undefined;
  const grow = decideGrowth({
    virtualSize: facts.virtualSize,
    allocatedSize: facts.allocatedSize ?? 0,
    ...(facts.filesystemFree !== undefined && { availableBytes: facts.filesystemFree }),
    ...(disk.storage?.size && { claimSize: disk.storage.size }),
  });
  return grow && { kind: 'grow', path: facts.path, ...grow, preallocate: facts.fullyAllocated || disk.storage?.preallocate === true };
}
