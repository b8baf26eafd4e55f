// The disks `run` makes itself, in the ephemeral dir: an emptyDisk as a fresh sparse raw image of its capacity, an
// ephemeral disk as a qcow2 overlay on the volume's raw image. The overlay names its backing file's format
// (-F raw), so nothing ever probes the image, and the image is only read. Created before the guest starts (never by
// check), as the VM user, and removed at exit. A leftover from a launcher that was killed is replaced, never reused:
// an emptyDisk starts empty, an ephemeral disk starts as its image.
import { chown, mkdir, rm, rmdir } from 'node:fs/promises';
import { execa } from 'execa';
import { fail } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { CreatedDiskFacts, VolumeFacts } from '../../domain/model/index.js';
import type { RunAs } from '../common/run-as.js';
import { createdDiskLocation, type CreatedDiskLocation } from '../plan/created-disk-paths.js';

const QEMU_IMG_TIMEOUT_MS = 30_000;

/** qemu-img's arguments for one created disk: the one place their formats are decided. */
export function qemuImgCreateArgs(created: CreatedDiskFacts, backing: string): string[] {
  if (created.kind === 'emptyDisk') return ['create', '-q', '-f', 'raw', created.path, String(created.sizeBytes)];
  // The size is given, so qemu-img needs nothing from the backing image beyond opening it read-only.
  return ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', 'raw', created.path, String(created.backingSizeBytes)];
}

/** What createDisks made, for removeCreatedDisks. */
export type CreatedDisks = CreatedDiskLocation[];

/** Creates every disk the facts ask for; what it made is pushed to `made` as it goes, so a failure can be undone. */
export async function createDisks(facts: readonly VolumeFacts[], ephemeralDir: string, runAs: RunAs | undefined, made: CreatedDisks): Promise<void> {
  for (const f of facts) {
    if (!f.created) continue;
    const location = createdDiskLocation(ephemeralDir, f.volume, f.created.kind === 'emptyDisk' ? 'emptyDisk' : 'ephemeral');
    // QEMU's user must pass through the ephemeral dir; the levels below it are its own.
    await mkdir(ephemeralDir, { recursive: true, mode: 0o755 });
    for (const d of location.dirs) {
      await mkdir(d, { recursive: true, mode: 0o750 });
      if (runAs) await chown(d, runAs.uid, runAs.gid);
    }
    await rm(location.path, { force: true }); // a killed launcher's leftover: start fresh
    made.push(location);
    const r = await execa('qemu-img', qemuImgCreateArgs(f.created, f.path), {
      reject: false, timeout: QEMU_IMG_TIMEOUT_MS, killSignal: 'SIGKILL', stdin: 'ignore',
      env: { LANG: 'C', PATH: SYSTEM_PATH }, extendEnv: false,
      ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    });
    if (r.exitCode !== 0 || r.timedOut) {
      const why = String(r.stderr).trim().split('\n').pop() || (r.timedOut ? 'timed out' : `exit code ${r.exitCode}`);
      fail('CreatedDiskFailed', `qemu-img create ${location.path} for volume ${f.volume}: ${why.replace(/^qemu-img: /, '')}`, { volume: f.volume });
    }
  }
}

/** Removes what createDisks made, and its dirs when they are empty (the ephemeral dir itself stays). Never throws. */
export async function removeCreatedDisks(made: CreatedDisks): Promise<void> {
  for (const { path, dirs } of made) {
    await rm(path, { force: true }).catch(() => undefined);
    for (const d of [...dirs].reverse()) await rmdir(d).catch(() => undefined); // only when empty
  }
}
