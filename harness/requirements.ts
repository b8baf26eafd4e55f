// What a test needs from this machine. A test that cannot run here is skipped with the
// printed reason, never faked.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { guestBuildUnavailable } from './guest-disk.js';

export const isRoot = (process.getuid?.() ?? 1) === 0;

/** Whether `cmd` is installed: on PATH, or where Debian puts admin tools (an ordinary user's PATH lacks /usr/sbin). */
function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', 'PATH="$PATH:/usr/sbin:/sbin" command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function qemuImgUnavailable(): string | undefined {
  return has('qemu-img') ? undefined : 'qemu-img is not installed (apt-get install qemu-utils)';
}

/** Why a real guest cannot be booted here, or undefined. */
export function bootUnavailable(): string | undefined {
  for (const [p, pkg] of [
    ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86'], ['/usr/sbin/libvirtd', 'libvirt-daemon-system'],
    ['/usr/sbin/libvirt-dbus', 'libvirt-dbus'], ['/usr/bin/dbus-daemon', 'dbus'],
  ] as const) {
    if (!existsSync(p)) return `${p} missing (apt-get install ${pkg})`;
  }
  if (isRoot) {
    try {
      execFileSync('getent', ['passwd', '107'], { stdio: 'ignore' });
    } catch {
      return 'uid 107 (the VM user) has no passwd entry: useradd --system -u 107 -g 107 -M vm-launcher';
    }
  }
  return guestBuildUnavailable();
}

export function loopUnavailable(): string | undefined {
  if (!isRoot) return 'loop block devices need root (losetup)';
  return has('losetup') ? undefined : 'losetup missing (util-linux)';
}

export function validatorUnavailable(): string | undefined {
  return has('virt-xml-validate') ? undefined : 'virt-xml-validate missing (apt-get install libvirt-clients)';
}

/** Why an EFI guest cannot boot here (Debian's ovmf with libvirt's descriptors, Debian's signed boot chain). */
export function efiUnavailable(): string | undefined {
  for (const f of ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.ms.fd', '/usr/share/qemu/firmware']) {
    if (!existsSync(f)) return `${f} missing (apt-get install ovmf)`;
  }
  const chain = ['/usr/lib/shim/shimx64.efi.signed', '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed'];
  if (!chain.every((f) => existsSync(f)) && !has('apt-get')) return 'the EFI test guest needs shim-signed and grub-efi-amd64-signed (or apt-get to fetch them)';
  return undefined;
}
