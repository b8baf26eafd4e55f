// The largest disk QEMU opens: BDRV_MAX_LENGTH, INT64_MAX aligned down to 1 GiB (QEMU's block layer). A larger raw
// image is created by qemu-img on some filesystems (tmpfs, xfs), then QEMU refuses it at start ("Could not refresh
// total sector count: File too large"; measured with QEMU 7.2): check refuses it first.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';

export const QEMU_MAX_DISK_BYTES = 2 ** 63 - 2 ** 30;

/** A problem when a disk of `bytes` (asked for at `field`) is beyond what QEMU can open. */
export function diskSizeLimitProblem(bytes: number, field: string, volume: string): Problem | undefined {
  if (bytes <= QEMU_MAX_DISK_BYTES) return undefined;
  return problem(Reason.FieldInvalid, `${field}: ${BigInt(bytes)} bytes is beyond QEMU's largest disk (${BigInt(QEMU_MAX_DISK_BYTES)} bytes, 8 EiB - 1 GiB)`, {
    field, volume, fix: 'give a capacity of at most 8Ei - 1Gi (in practice: what the ephemeral dir\'s filesystem holds)',
  });
}
