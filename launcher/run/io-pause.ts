// A guest QEMU paused on an I/O error. The domain's disks have error_policy='stop': when a write fails (a full volume,
// ENOSPC; or EIO), QEMU pauses the guest instead of letting it see the error, and keeps the failed request to retry.
// Nothing is lost while it waits. The launcher:
// - reports it: reason GuestPausedIoError in the log, phase Paused in the status file (`probe ready` fails, `probe
//   live` passes: restarting the pod would not bring space back, and would lose what the guest has not written);
// - resumes it by itself, as KubeVirt's own launcher retries an unpause: once every filesystem volume has room again
//   (ENOSPC), or after a back-off for other errors; a guest that pauses again at once waits twice as long (capped);
// - during a shutdown, presses the power button only once the guest runs again (supervise.ts).
import { statfs } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { DiskError, type LibvirtDomain } from '../stack/libvirt-client.js';
import type { Lifecycle } from './lifecycle.js';

/** Whether the volumes the guest writes to have room again: the first volume without room, or undefined. */
export type SpaceCheck = () => Promise<string | undefined>;

const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 60_000;
/** A guest that pauses again this soon after a resume gets a longer wait. */
const QUICK_REPAUSE_MS = 10_000;

export interface IoPauseOptions {
  domain: LibvirtDomain;
  logger: Logger;
  lifecycle: Lifecycle;
  spaceCheck?: SpaceCheck;
  shuttingDown: () => boolean;
  onResumed: () => void;
}

export class IoPause {
  isPaused = false;
  private retryMs = FIRST_RETRY_MS;
  private resumedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: IoPauseOptions) {}

  paused(seenBy: string): void {
    if (this.isPaused || this.stopped) return;
    this.isPaused = true;
    if (Date.now() - this.resumedAt < QUICK_REPAUSE_MS) this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    else this.retryMs = FIRST_RETRY_MS;
    void this.report(seenBy);
    this.schedule();
  }

  resumed(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.resumedAt = Date.now();
    clearTimeout(this.timer);
    this.o.logger.info({ reason: 'GuestResumed' }, 'the guest runs again after its I/O error');
    if (!this.o.shuttingDown()) void this.o.lifecycle.to('Running', 'GuestResumed', 'the guest runs again after its I/O error');
    this.o.onResumed();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async report(seenBy: string): Promise<void> {
    const errors = await this.o.domain.diskErrors().catch(() => []);
    const full = errors.filter((e) => e.error === DiskError.NoSpace).map((e) => e.disk);
    const other = errors.filter((e) => e.error !== DiskError.NoSpace).map((e) => e.disk);
    const what = full.length ? `disk ${full.join(', ')}: no space left on its volume` : other.length ? `disk ${other.join(', ')}: I/O error` : 'an I/O error';
    const message = `the guest is paused: ${what}. Its data is safe (QEMU holds the failed write); it resumes by itself once the volume has room again`;
    this.o.logger.warn({ reason: 'GuestPausedIoError', disks: errors, seenBy }, message);
    if (!this.o.shuttingDown() && this.isPaused) await this.o.lifecycle.to('Paused', 'GuestPausedIoError', message);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tryResume(), this.retryMs);
  }

  private async tryResume(): Promise<void> {
    if (!this.isPaused || this.stopped) return;
    const noRoom = await this.o.spaceCheck?.().catch(() => undefined);
    if (noRoom) {
      this.o.logger.debug({ volume: noRoom }, 'still no room on the volume: the guest stays paused');
    } else {
      this.o.logger.info({ reason: 'GuestResuming' }, 'resuming the guest after its I/O error');
      await this.o.domain.resume().catch((e: Error) => this.o.logger.warn({ reason: 'GuestResumeFailed' }, `resume failed: ${e.message}`));
    }
    if (this.isPaused) this.schedule();
  }
}

/**
 * Room again on a filesystem volume: at least 5 % of its size or 64 MiB free, whichever is less (a guest resumed
 * into a few kilobytes would pause again at once).
 */
export function spaceCheckFor(dirs: Array<{ volume: string; dir: string }>): SpaceCheck {
  return async () => {
    for (const { volume, dir } of dirs) {
      const fs = await statfs(dir);
      if (fs.blocks === 0) continue;
      const need = Math.min(64 * 1024 * 1024, fs.blocks * fs.bsize * 0.05);
      if (fs.bavail * fs.bsize < need) return volume;
    }
    return undefined;
  };
}
