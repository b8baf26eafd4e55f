// Which pod volumes a VMI needs and where the container mounts them: the places the launcher looks (its defaults,
// which are KubeVirt's paths). One function per kind of VMI volume, each a row of the table in docs/pod.md.
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import type { IVolumeDevice } from 'kubernetes-models/v1/VolumeDevice';
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { DiskSpec, VmSpec } from '../model/index.js';
import { ACCESS_CREDENTIAL_DIR_SUFFIX, type CloudInitSpec } from '../model/index.js';

/** The launcher's default paths (launcher/plan): where it looks, so the Pod needs no flags. */
export const POD_PATHS = {
  volumes: '/var/run/kubevirt-private/vmi-disks',
  devices: '/dev',
  secrets: '/var/run/kubevirt-private/secret',
  ephemeral: '/var/run/kubevirt-ephemeral-disks',
  nvram: '/var/lib/libvirt/qemu/nvram',
  vmiDir: '/etc/vm-launcher',
} as const;

/** The claim of a volume whose PV is a raw block device: the Pod author says so, the launcher cannot see the PV. */
export const VOLUME_MODE_PREFIX = 'volume-mode.vm-launcher.io/';
/** efi.persistent keeps the EFI variables on this claim, as KubeVirt keeps them on its backend-storage PVC. */
export const nvramClaimName = (vmiName: string): string => `persistent-state-for-${vmiName}`;

export type PodTarget = 'kubernetes' | 'podman';

export interface PodVolumeOptions {
  target: PodTarget;
  /** podman: the host device passed for each Block volume (podman has no block claims). */
  hostDevices: Readonly<Record<string, string>>;
}

export interface PodVolumes {
  volumes: IVolume[];
  mounts: IVolumeMount[];
  devices: IVolumeDevice[];
  /** What a reader of the rendered Pod should know (printed as comments). */
  notes: string[];
  problems: Problem[];
}

/** Every pod volume the VMI needs, the ConfigMap holding the VMI last. */
export function podVolumes(spec: VmSpec, configMapName: string, opts: PodVolumeOptions): PodVolumes {
  const out: PodVolumes = { volumes: [], mounts: [], devices: [], notes: [], problems: [] };
  const blockVolumes = blockModeVolumes(spec, out.problems);
  for (const disk of spec.disks) {
    if (disk.source.kind === 'pvc') claimVolume(out, disk, disk.source.claimName, blockVolumes.has(disk.volumeName), opts);
    // An ephemeral disk's claim is only ever the read-only backing of the launcher's overlay.
    else if (disk.source.kind === 'ephemeral') claimVolume(out, { ...disk, readonly: true }, disk.source.claimName, false, opts);
  }
  hostDiskVolumes(out, spec.disks);
  if (spec.cloudInit) cloudInitSecrets(out, spec.cloudInit);
  accessCredentialSecrets(out, [...(spec.accessCredentials ?? []), ...(spec.userPasswords ?? [])]);
  ephemeralDir(out, spec.disks);
  for (const fs of spec.filesystems ?? []) {
    out.volumes.push({ name: fs.volumeName, persistentVolumeClaim: { claimName: fs.claimName, ...(fs.readOnly && { readOnly: true }) } });
    out.mounts.push({ name: fs.volumeName, mountPath: `${POD_PATHS.volumes}/${fs.volumeName}`, ...(fs.readOnly && { readOnly: true }) });
  }
  if (spec.hardware?.firmware.persistentNvram) {
    out.volumes.push({ name: 'nvram', persistentVolumeClaim: { claimName: nvramClaimName(spec.name) } });
    out.mounts.push({ name: 'nvram', mountPath: POD_PATHS.nvram });
    out.notes.push(`efi.persistent: the EFI variables live on the claim ${nvramClaimName(spec.name)} (a small Filesystem claim, 1Mi is plenty)`);
  }
  out.volumes.push({ name: 'vmi', configMap: { name: configMapName } });
  out.mounts.push({ name: 'vmi', mountPath: POD_PATHS.vmiDir, readOnly: true });
  return out;
}

/** `volume-mode.vm-launcher.io/<volume>: Block|Filesystem` annotations, checked against the VMI's claims. */
export function blockModeVolumes(spec: VmSpec, problems: Problem[]): Set<string> {
  const block = new Set<string>();
  const claims = new Set(spec.disks.filter((d) => d.source.kind === 'pvc').map((d) => d.volumeName));
  for (const [key, value] of Object.entries(spec.annotations)) {
    if (!key.startsWith(VOLUME_MODE_PREFIX)) continue;
    const volume = key.slice(VOLUME_MODE_PREFIX.length);
    const field = `metadata.annotations["${key}"]`;
    if (!claims.has(volume)) {
      problems.push(problem(Reason.FieldInvalid, `${field}: no persistentVolumeClaim disk uses a volume named ${JSON.stringify(volume)}`, {
        field, fix: `name a persistentVolumeClaim volume after the /, e.g. ${VOLUME_MODE_PREFIX}rootdisk`,
      }));
    } else if (value === 'Block') {
      block.add(volume);
    } else if (value !== 'Filesystem') {
      problems.push(problem(Reason.FieldInvalid, `${field}: ${JSON.stringify(value)} is neither Block nor Filesystem`, {
        field, volume, fix: 'write the claim\'s volumeMode: Block or Filesystem',
      }));
    }
  }
  return block;
}

/** A claim: its directory at KubeVirt's path, or, for a Block claim, the device at /dev/<volume>. */
function claimVolume(out: PodVolumes, disk: DiskSpec, claimName: string, block: boolean, opts: PodVolumeOptions): void {
  const name = disk.volumeName;
  const readOnly = disk.readonly ? { readOnly: true } : {};
  if (block && opts.target === 'podman') {
    // podman kube play (4.x) maps no volumeDevices: a hostPath of type BlockDevice becomes a device of the container.
    const path = opts.hostDevices[name];
    if (path === undefined) {
      out.problems.push(problem(Reason.PodHostDeviceMissing, `volume ${name} is a Block claim (${claimName}); podman has no block claims`, {
        volume: name, fix: `give the host device: --host-device ${name}=/dev/loopN (losetup -f --show disk.img; chown 107 it)`,
      }));
      return;
    }
    out.volumes.push({ name, hostPath: { path, type: 'BlockDevice' } });
    out.mounts.push({ name, mountPath: `${POD_PATHS.devices}/${name}`, ...readOnly });
    return;
  }
  out.volumes.push({ name, persistentVolumeClaim: { claimName, ...readOnly } });
  if (block) out.devices.push({ name, devicePath: `${POD_PATHS.devices}/${name}` });
  else out.mounts.push({ name, mountPath: `${POD_PATHS.volumes}/${name}`, ...readOnly });
}

/**
 * hostDisk: the host directory holding the image, mounted at the same path, since the launcher opens the VMI's path
 * as it is. One pod volume per directory (two mounts at one path are invalid); DiskOrCreate may create the directory.
 */
function hostDiskVolumes(out: PodVolumes, disks: readonly DiskSpec[]): void {
  const byDir = new Map<string, { name: string; create: boolean; readonly: boolean }>();
  for (const d of disks) {
    if (d.source.kind !== 'hostDisk') continue;
    const dir = d.source.path.slice(0, d.source.path.lastIndexOf('/')) || '/';
    const seen = byDir.get(dir);
    const create = d.storage?.mayCreate ?? false;
    if (seen) byDir.set(dir, { ...seen, create: seen.create || create, readonly: seen.readonly && d.readonly });
    else byDir.set(dir, { name: d.volumeName, create, readonly: d.readonly });
  }
  for (const [dir, v] of byDir) {
    out.volumes.push({ name: v.name, hostPath: { path: dir, type: v.create ? 'DirectoryOrCreate' : 'Directory' } });
    out.mounts.push({ name: v.name, mountPath: dir, ...(v.readonly && { readOnly: true }) });
  }
}

/**
 * cloud-init secretRefs: the Secret's keys (userdata or userData, networkdata or networkData) in
 * `<secrets>/<volume>/`, where the launcher reads them (KubeVirt mounts the same keys there one by one). Two Secrets
 * (user data and network data) share the directory through a projected volume.
 */
function cloudInitSecrets(out: PodVolumes, ci: CloudInitSpec): void {
  const names = [ci.userData, ci.networkData].flatMap((d) => (d?.from === 'secret' ? [d.secretName] : []));
  const secrets = [...new Set(names)];
  if (secrets.length === 0) return;
  const name = ci.volumeName;
  out.volumes.push(secrets.length === 1
    ? { name, secret: { secretName: secrets[0]!, defaultMode: 0o440 } }
    : { name, projected: { defaultMode: 0o440, sources: secrets.map((s) => ({ secret: { name: s } })) } });
  out.mounts.push({ name, mountPath: `${POD_PATHS.secrets}/${name}`, readOnly: true });
}

/** accessCredentials: each Secret at `<secrets>/<secretName>-access-cred`, as KubeVirt's pod mounts it (rendervolumes.go). */
function accessCredentialSecrets(out: PodVolumes, creds: ReadonlyArray<{ secretName: string }>): void {
  for (const secretName of new Set(creds.map((c) => c.secretName))) {
    const name = `${secretName}${ACCESS_CREDENTIAL_DIR_SUFFIX}`;
    out.volumes.push({ name, secret: { secretName, defaultMode: 0o440 } });
    out.mounts.push({ name, mountPath: `${POD_PATHS.secrets}/${name}`, readOnly: true });
  }
}

/** emptyDisks and ephemeral overlays live in the ephemeral dir: an emptyDir sized for them when their sizes are known. */
function ephemeralDir(out: PodVolumes, disks: readonly DiskSpec[]): void {
  const created = disks.flatMap((d) => (d.source.kind === 'emptyDisk' || d.source.kind === 'ephemeral' ? [d.source] : []));
  if (created.length === 0) return;
  let bytes = 0;
  let known = true;
  for (const c of created) {
    if (c.kind === 'emptyDisk') bytes += c.capacityBytes;
    // An overlay grows up to its backing image's size, which only the claim knows: no limit then.
    else known = false;
  }
  if (!known) out.notes.push('ephemeral-disks has no sizeLimit: an ephemeral overlay may grow to the size of its claim\'s image, which the VMI does not say');
  out.volumes.push({ name: 'ephemeral-disks', emptyDir: known ? { sizeLimit: sizeQuantity(bytes) } : {} });
  out.mounts.push({ name: 'ephemeral-disks', mountPath: POD_PATHS.ephemeral });
}

/** Bytes as the largest exact binary unit (Gi, Mi, Ki), else bytes. */
export function sizeQuantity(bytes: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
