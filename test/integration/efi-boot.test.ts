// EFI for real (TCG) through the launcher and libvirt's firmware auto-selection with Debian's OVMF: a plain EFI
// boot, a secure boot with SMM (the guest's kernel says "Secure boot enabled": Debian's signed shim, GRUB and
// kernel passed OVMF's check against Microsoft's enrolled keys), and NVRAM kept across two runs with
// efi.persistent (the guest counts its boots in an EFI variable). The same guest in the trixie image:
// test/container/efi.test.ts.
import test from 'ava';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LauncherRun, vmFixture, type VmFixture } from '../../harness/launcher-process.js';
import { chownTree } from '../../harness/guest-disk.js';
import { bootUnavailable, efiUnavailable } from '../../harness/requirements.js';

const skip = bootUnavailable() ?? efiUnavailable();
const boot = skip ? test.skip : test.serial;
if (skip) test('EFI boots', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });

/** An EFI VMI: 512Mi, as the EFI stub needs room to decompress Debian's kernel. */
export function efiVmi(name: string, efi: string, smm: boolean): string {
  return [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    `metadata: { name: ${name}, namespace: tests }`,
    'spec:',
    '  domain:',
    '    memory: { guest: 512Mi }',
    ...(smm ? ['    features: { smm: {} }'] : []),
    `    firmware: { bootloader: { efi: ${efi} } }`,
    '    devices: { disks: [ { name: rootdisk, bootOrder: 1 } ] }',
    '  volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: root } } ]',
    '',
  ].join('\n');
}

async function bootEfi(t: { is: (a: unknown, b: unknown, m?: string) => void }, fx: VmFixture, args: string[]): Promise<LauncherRun> {
  const run = new LauncherRun(args);
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 240_000);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
  } finally {
    run.kill(fx.runtimeDir);
  }
  return run;
}

const consoleLine = (run: LauncherRun, prefix: string) => run.lines.find((l) => l.component === 'guest-console' && l.msg.includes(prefix))?.msg ?? '';

boot('plain EFI: OVMF boots the guest, secure boot off; q35 applied with a note', async (t) => {
  const fx = vmFixture({ name: 'efi-plain', efi: true });
  writeFileSync(fx.vmiPath, efiVmi('efi-plain', '{ secureBoot: false }', false));
  const run = await bootEfi(t, fx, fx.args());
  t.regex(consoleLine(run, 'GUEST-FIRMWARE='), /GUEST-FIRMWARE=efi secureboot: Secure boot disabled/);
  t.truthy(run.lines.find((l) => l.reason === 'KubeVirtDefault' && l.field === 'spec.domain.machine.type'));
});

boot('secure boot with SMM: the guest\'s kernel reports secure boot enabled', async (t) => {
  const fx = vmFixture({ name: 'efi-secure', efi: true });
  writeFileSync(fx.vmiPath, efiVmi('efi-secure', '{}', true));
  const run = await bootEfi(t, fx, fx.args());
  t.regex(consoleLine(run, 'GUEST-FIRMWARE='), /GUEST-FIRMWARE=efi secureboot: Secure boot enabled/);
  t.truthy(run.lines.find((l) => l.reason === 'KubeVirtDefault' && l.field?.toString().endsWith('efi.secureBoot')), 'KubeVirt\'s default secureBoot: true is noted');
});

boot('efi.persistent: the EFI variables survive the pod (two runs), in --nvram-dir', async (t) => {
  const fx = vmFixture({ name: 'efi-nvram', efi: true });
  writeFileSync(fx.vmiPath, efiVmi('efi-nvram', '{ secureBoot: false, persistent: true }', false));
  const nvramDir = join(fx.dir, 'nvram');
  mkdirSync(nvramDir);
  chownTree(nvramDir, 107, 107);
  const args = fx.args('--nvram-dir', nvramDir);
  const first = await bootEfi(t, fx, args);
  t.regex(consoleLine(first, 'GUEST-EFIVAR-BOOTS='), /GUEST-EFIVAR-BOOTS=1$/);
  t.true(existsSync(join(nvramDir, 'efi-nvram_VARS.fd')), 'the variable store is in the NVRAM dir, named as KubeVirt names it');
  const second = await bootEfi(t, fx, args);
  t.regex(consoleLine(second, 'GUEST-EFIVAR-BOOTS='), /GUEST-EFIVAR-BOOTS=2$/, 'the second run read what the first wrote');
});

test('efi.persistent without an NVRAM dir: check refuses it (NvramDirMissing)', async (t) => {
  const fx = vmFixture({ name: 'efi-nodir', withDisk: false });
  writeFileSync(fx.vmiPath, efiVmi('efi-nodir', '{ secureBoot: false, persistent: true }', false));
  const { runCli } = await import('../helpers/check-fixture.js');
  const args = fx.args('--nvram-dir', join(fx.dir, 'absent')).map((a) => (a === 'run' ? 'check' : a));
  const r = await runCli([...args, '--json']);
  t.is(r.code, 3);
  t.regex(r.stdout, /NvramDirMissing/);
});
