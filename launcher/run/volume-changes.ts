// Between preflight and the private stack: carry out the changes preflight planned (create a missing disk.img, grow
// one with its volume), log each with its numbers, then inspect again with changes off, so that the guest starts
// from the images as they now are and every ordinary rule (qemu-img, access, O_DIRECT) applies to a created one.
import { performance } from 'node:perf_hooks';
import { fail, LauncherError } from '../../domain/problem.js';
import { MIB } from '../../domain/convert/index.js';
import type { Logger } from '../common/log.js';
import type { Plan } from '../plan/plan.js';
import { preflight, type PreflightReport } from '../inspect/preflight.js';
import type { ManifestResult } from '../inspect/read-manifest.js';
import { createDiskImage } from './create-disk-image.js';
import { growDiskImage } from './grow-disk-image.js';

const mib = (n: number): string => `${(n / MIB).toFixed(n % MIB === 0 ? 0 : 2)} MiB`;

/** A shutdown signal stopped the work (sizeImage's Aborted): passed on as it is, never as a failure to create. */
const aborted = (e: unknown): e is LauncherError => e instanceof LauncherError && e.reason === 'Aborted';

/**
 * The report the guest starts from: `report` itself when nothing was planned, else a fresh one. `signal` (the
 * launcher's shutdown) stops a long fallocate at once: Aborted, the partial image removed.
 */
export async function applyVolumeChanges(plan: Plan, manifest: ManifestResult, report: PreflightReport, logger: Logger, signal?: AbortSignal): Promise<PreflightReport> {
  const runAs = plan.runAs.value;
  let changed = false;
  for (const { disk, change } of report.volumes) {
    if (!change) continue;
    const volume = disk.volumeName;
    const t0 = performance.now();
    if (change.kind === 'create') {
      try {
        await createDiskImage(change, runAs, signal);
      } catch (e) {
        if (aborted(e)) throw e;
        fail('DiskImageCreateFailed', `creating ${change.path} (${mib(change.sizeBytes)}) for volume ${volume} failed: ${(e as Error).message}`, { volume });
      }
      const how = change.preallocate ? 'fully allocated' : 'sparse';
      logger.info({ reason: 'DiskImageCreated', volume, path: change.path, sizeBytes: change.sizeBytes, preallocated: change.preallocate, why: change.why, durationMs: Math.round(performance.now() - t0) },
        `created ${change.path}: ${mib(change.sizeBytes)} ${how} (${change.why})`);
    } else {
      try {
        await growDiskImage(change, runAs, signal);
      } catch (e) {
        if (aborted(e)) throw e;
        // As in KubeVirt: the guest still starts, with the image as it was.
        logger.warn({ reason: 'DiskImageGrowFailed', volume, path: change.path, fromBytes: change.fromBytes, toBytes: change.toBytes }, `could not grow ${change.path}: ${(e as Error).message}`);
        continue;
      }
      logger.info({ reason: 'DiskImageGrown', volume, path: change.path, fromBytes: change.fromBytes, toBytes: change.toBytes, why: change.why },
        `grew ${change.path} from ${mib(change.fromBytes)} to ${mib(change.toBytes)} (${change.why})`);
    }
    changed = true;
  }
  return changed ? preflight(plan, manifest, { changes: false, signal }) : report;
}
