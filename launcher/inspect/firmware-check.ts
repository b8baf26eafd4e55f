// What EFI needs from the pod: Debian's OVMF with libvirt's firmware descriptors (auto-selection finds the build
// that matches: secure boot with enrolled keys, or plain), and for efi.persistent a writable NVRAM dir (a PVC).
// Read-only: the NVRAM file itself is made by libvirt from the firmware's template when the guest first starts.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { problem, type Problem } from '../../domain/problem.js';
import type { FirmwareSpec, HardwareSpec } from '../../domain/model/index.js';
import { canAccess, type RunAs } from '../common/run-as.js';

/** Where QEMU's firmware descriptors are (the package's, then the admin's). */
export const FIRMWARE_DESCRIPTOR_DIRS = ['/usr/share/qemu/firmware', '/etc/qemu/firmware'];

interface Descriptor { 'interface-types'?: string[]; targets?: Array<{ architecture?: string }>; features?: string[] }

async function descriptors(dirs: readonly string[]): Promise<Descriptor[]> {
  const out: Descriptor[] = [];
  for (const dir of dirs) {
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((n) => n.endsWith('.json'))) {
      try {
        out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as Descriptor);
      } catch { /* not a descriptor */ }
    }
  }
  return out;
}

/** swtpm (run by libvirt for a TPM) and swtpm_setup (which makes its first state). */
export async function checkTpm(hw: HardwareSpec): Promise<Problem[]> {
  if (!hw.tpm) return [];
  const missing = [];
  for (const p of ['/usr/bin/swtpm', '/usr/bin/swtpm_setup']) if (!(await stat(p).then(() => true, () => false))) missing.push(p);
  return missing.length === 0 ? [] : [problem('HostProgramMissing', `devices.tpm needs ${missing.join(' and ')}`, {
    field: 'spec.domain.devices.tpm', fix: 'apt-get install --no-install-recommends swtpm swtpm-tools (the image has them)',
  })];
}

export async function checkFirmware(fw: FirmwareSpec, nvram: string | undefined, runAs: RunAs | undefined, dirs = FIRMWARE_DESCRIPTOR_DIRS): Promise<Problem[]> {
  if (fw.bootloader !== 'efi') return [];
  const problems: Problem[] = [];
  const secure = fw.secureBoot === true;
  const found = (await descriptors(dirs)).some((d) => d['interface-types']?.includes('uefi')
    && d.targets?.some((t) => t.architecture === 'x86_64')
    && (secure ? ['secure-boot', 'enrolled-keys'].every((f) => d.features?.includes(f)) : !d.features?.includes('secure-boot')));
  if (!found) {
    problems.push(problem('FirmwareMissing', `no ${secure ? 'secure-boot (enrolled keys)' : 'plain'} x86_64 UEFI firmware in ${dirs.join(' or ')}`, {
      field: 'spec.domain.firmware.bootloader.efi', fix: 'apt-get install --no-install-recommends ovmf (the image has it)',
    }));
  }
  if (fw.persistentNvram && nvram !== undefined) {
    const dir = nvram.slice(0, nvram.lastIndexOf('/'));
    const found = await stat(dir).then((s) => (s.isDirectory() ? 'ok' : 'is not a directory'), (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'does not exist' : `cannot be reached (${e.code})`));
    const who = runAs ? `uid ${runAs.uid}` : 'the launcher\'s user';
    const why = found !== 'ok' ? found : (await canAccess(dir, true, runAs)) ? undefined : `is not writable by ${who}`;
    if (why) {
      problems.push(problem('NvramDirMissing', `efi.persistent: the NVRAM dir ${dir} ${why}; the EFI variables would not survive the pod`, {
        field: 'spec.domain.firmware.bootloader.efi.persistent', fix: `Mount a PVC at ${dir} (fsGroup 107) or set --nvram-dir; or remove efi.persistent.`,
      }));
    }
  }
  return problems;
}
