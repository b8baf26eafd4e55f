// launcher/plan/: the one resolved plan. The command line, the environment and the manifest are merged here,
// once, into every value a later stage needs, each with where it came from. Later stages take the plan (or the
// part of it they need), never the command line. `check --json` prints it with its sources.
import type { Accel } from '../../domain/model/index.js';
import type { PasstMode } from '../../domain/convert/index.js';
import type { RunAs } from '../common/run-as.js';
import type { RuntimeLayout } from './runtime-layout.js';
import type { VolumeLayout } from './volume-paths.js';
import { SETTINGS } from './settings.js';

/** A value and where it came from: `--grace-period`, `env VM_LAUNCHER_ACCEL`, `spec.terminationGracePeriodSeconds`, `default`. */
export interface Sourced<T> { value: T; source: string }

export type AccelChoice = 'auto' | 'kvm' | 'tcg';

export interface QemuImgLimits {
  timeoutMs: number;
  memoryBytes: number;
  /** qemu-img runs as the user QEMU will run as: a hostile image never meets root. */
  runAs?: RunAs;
}

export interface Plan {
  vmiPath: Sourced<string>;
  volumes: { volumesDir: Sourced<string>; devicesDir: Sourced<string> } & { layout: VolumeLayout };
  accel: { choice: Sourced<AccelChoice>; value: Accel; why: string };
  /** Who runs the stack, QEMU, qemu-img and hooks; undefined: the launcher's own (non-root) user. */
  runAs: { value?: RunAs; source: string };
  runtime: { dir: Sourced<string>; cacheDir: Sourced<string>; layout: RuntimeLayout };
  gracePeriodSeconds: Sourced<number>;
  hooks: { dir?: Sourced<string>; timeoutMs: Sourced<number> };
  /** A copy of the guest's console that outlives the runtime dir. */
  consoleLogCopy?: Sourced<string>;
  /** --instancetypes-dir: the operator's instance types and preferences (read with the manifest). */
  instancetypesDir?: Sourced<string>;
  /** Where run creates emptyDisk images and ephemeral overlays (launcher/plan/created-disk-paths.ts). */
  ephemeralDir: Sourced<string>;
  /** Persistent EFI variables (efi.persistent): a PVC mounted here outlives the pod. */
  nvramDir: Sourced<string>;
  qemuImg: QemuImgLimits;
  /** What run may do to filesystem volumes' images (launcher/inspect/missing-image.ts, launcher/run/volume-changes.ts). */
  images: ImagePolicy;
  network: { passtMode: Sourced<PasstMode> };
  cloudInit: { secretsDir: Sourced<string>; seedTimeoutMs: number };
}

/** Creating a missing disk.img and growing one with its volume: each a switch with its source. */
export interface ImagePolicy {
  /** Create a missing disk.img (PVC) or DiskOrCreate hostDisk image; off: today's strict DiskImageMissing. */
  create: Sourced<boolean>;
  /** Extend disk.img to what its volume holds before start (KubeVirt's ExpandDisks); never shrinks. */
  expand: Sourced<boolean>;
  /** Also create and grow where the volume dir is not a mount point (local runs; in a pod that is the container's own disk). */
  allowPlainDir: Sourced<boolean>;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** The plan as rows for people and machines: setting, value, source. */
export function explainPlan(p: Plan): Array<{ setting: string; value: string; source: string }> {
  const row = (setting: string, s: Sourced<unknown> | undefined, value?: string) =>
    (s ? [{ setting, value: value ?? String(s.value), source: s.source }] : []);
  return [
    ...row(SETTINGS.vmi.flag, p.vmiPath),
    ...row(SETTINGS.instancetypesDir.flag, p.instancetypesDir),
    ...row(SETTINGS.volumesDir.flag, p.volumes.volumesDir),
    ...row(SETTINGS.devicesDir.flag, p.volumes.devicesDir),
    ...row(SETTINGS.accel.flag, p.accel.choice, `${p.accel.value === 'kvm' ? 'kvm' : 'tcg'} (${p.accel.why})`),
    { setting: SETTINGS.runAs.flag, value: p.runAs.value ? `${p.runAs.value.uid}:${p.runAs.value.gid}` : `${process.getuid?.()} (the launcher's own user)`, source: p.runAs.source },
    ...row(SETTINGS.runtimeDir.flag, p.runtime.dir),
    ...row(SETTINGS.cacheDir.flag, p.runtime.cacheDir),
    ...row(SETTINGS.gracePeriod.flag, p.gracePeriodSeconds, `${p.gracePeriodSeconds.value} s`),
    ...row(SETTINGS.hooksDir.flag, p.hooks.dir),
    ...row(SETTINGS.hookTimeout.flag, p.hooks.timeoutMs, `${p.hooks.timeoutMs.value / 1000} s`),
    ...row(SETTINGS.consoleLog.flag, p.consoleLogCopy),
    ...row(SETTINGS.createDisks.flag, p.images.create, yesNo(p.images.create.value)),
    ...row(SETTINGS.expandDisks.flag, p.images.expand, yesNo(p.images.expand.value)),
    ...row(SETTINGS.allowPlainDir.flag, p.images.allowPlainDir, yesNo(p.images.allowPlainDir.value)),
    ...row(SETTINGS.passtMode.flag, p.network.passtMode),
    ...row(SETTINGS.secretsDir.flag, p.cloudInit.secretsDir),
    ...row(SETTINGS.ephemeralDir.flag, p.ephemeralDir),
    ...row(SETTINGS.nvramDir.flag, p.nvramDir),
  ];
}
