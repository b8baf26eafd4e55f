// harness/: what tests and benchmarks share to drive the real launcher and build real guests (bench/ must not
// import test/, so neither owns it).
// The test guest's disk: built once per mode with the project's builder, then copied.
// The guest counts its boots in BOOTS.TXT on its own FAT partition, which the host reads with mtools.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, chownSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type GuestMode = 'wait' | 'poweroff' | 'ignore';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const builder = join(repoRoot, 'test', 'fixtures', 'build-test-disk.sh');
const templates = join(tmpdir(), `vm-launcher-test-disks-${process.getuid?.() ?? 0}`);

/** Why the guest cannot be built here, or undefined when it can. */
export function guestBuildUnavailable(): string | undefined {
  const need = ['/usr/bin/mcopy', '/usr/bin/mtype', '/usr/bin/busybox', '/usr/lib/syslinux/mbr/mbr.bin', '/usr/bin/sfdisk'];
  const missing = need.filter((p) => !existsSync(p) && !existsSync(p.replace('/usr/bin', '/bin')) && !existsSync(p.replace('/usr/bin', '/sbin')));
  if (missing.length) return `test-guest builder needs ${missing.join(', ')} (apt-get install mtools busybox-static syslinux syslinux-common fdisk)`;
  if (!existsSync('/lib/modules') || !existsSync('/boot')) return 'test-guest builder needs a kernel (apt-get install linux-image-amd64)';
  return undefined;
}

/** efi: the disk also boots under UEFI (Debian's signed shim + GRUB), with secure boot too. */
export function buildTestDisk(out: string, mode: GuestMode = 'wait', sizeMiB = 32, opts: { efi?: boolean } = {}): void {
  mkdirSync(templates, { recursive: true });
  // Keyed by the builder's own hash: a changed builder never reuses an old template.
  const template = join(templates, `${mode}-${sizeMiB}${opts.efi ? '-efi' : ''}-${builderHash()}.img`);
  if (!existsSync(template)) {
    const tmp = `${template}.${process.pid}.tmp`;
    execFileSync(builder, [tmp, String(sizeMiB)], { env: { ...process.env, MODE: mode, EFI: opts.efi ? '1' : '0' }, stdio: 'ignore' });
    execFileSync('mv', [tmp, template]);
  }
  execFileSync('cp', ['--sparse=always', template, out]);
}

let hash: string | undefined;
const builderHash = (): string => (hash ??= sha256(builder).slice(0, 12));

export function readBootCount(image: string): number {
  try {
    const text = execFileSync('mtype', ['-i', `${image}@@1M`, '::BOOTS.TXT'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return text.split('\n').filter((l) => l.startsWith('boot ')).length;
  } catch {
    return 0;
  }
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function chownTree(path: string, uid: number, gid: number): void {
  if (process.getuid?.() !== 0) return;
  execFileSync('chown', ['-R', `${uid}:${gid}`, path]);
}

export { copyFileSync, chownSync };
