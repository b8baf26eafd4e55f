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

/** flood: the guest writes its serial console without end, and otherwise waits like `wait`. */
export type GuestMode = 'wait' | 'poweroff' | 'ignore' | 'flood';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const builder = join(repoRoot, 'test', 'fixtures', 'build-test-disk.sh');
const templates = join(tmpdir(), `vm-launcher-test-disks-${process.getuid?.() ?? 0}`);

/**
 * Why the guest cannot be built here, or undefined when it can. The builder itself knows what it needs
 * (`--check`: every missing tool or file with its Debian package), so the two never disagree.
 */
export function guestBuildUnavailable(): string | undefined {
  try {
    execFileSync(builder, ['--check'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000 });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `test-guest builder: ${(err.stderr ?? '').trim().replace(/\s*\n\s*/g, ' ') || err.message}`;
  }
}

/** efi: the disk also boots under UEFI (Debian's signed shim + GRUB), with secure boot too. */
export function buildTestDisk(out: string, mode: GuestMode = 'wait', sizeMiB = 32, opts: { efi?: boolean } = {}): void {
  mkdirSync(templates, { recursive: true });
  // Keyed by the builder's own hash: a changed builder never reuses an old template.
  const template = join(templates, `${mode}-${sizeMiB}${opts.efi ? '-efi' : ''}-${builderHash()}.img`);
  if (!existsSync(template)) {
    const tmp = `${template}.${process.pid}.tmp`;
    runBuilder([tmp, String(sizeMiB)], mode, opts.efi ?? false);
    execFileSync('mv', [tmp, template]);
  }
  execFileSync('cp', ['--sparse=always', template, out]);
}

let hash: string | undefined;
const builderHash = (): string => (hash ??= sha256(builder).slice(0, 12));

/** Runs the builder quietly; when it fails, the error carries its stderr and the command that reproduces it. */
function runBuilder(args: string[], mode: GuestMode, efi: boolean): void {
  try {
    execFileSync(builder, args, { env: { ...process.env, MODE: mode, EFI: efi ? '1' : '0' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
  } catch (e) {
    const err = e as { status?: number | null; signal?: string | null; stderr?: string; message: string };
    const how = err.status != null ? `exit ${err.status}` : err.signal ? `signal ${err.signal}` : err.message;
    throw new Error(`building the test guest's disk failed (${how}); reproduce with:\n  MODE=${mode} EFI=${efi ? 1 : 0} ${builder} ${args.join(' ')}\n`
      + `its stderr:\n${(err.stderr ?? '').trim().split('\n').slice(-20).join('\n')}`);
  }
}

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
