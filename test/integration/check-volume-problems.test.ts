// Edge cases of preflight that were bugs once (found while writing check.test.ts): each test pins the fix.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, qemuImgUnavailable } from '../../harness/requirements.js';
import { VM_UID, allProblemsOf, changed, cleanupAll, fsVolume, giveToVm, qemuImg, runCli, scene, snapshot, vmiJson, type CheckJson, type Scene } from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();

test.after.always(() => cleanupAll());

function newScene(t: ExecutionContext): Scene {
  const s = scene('vml-bugs-');
  t.teardown(() => s.cleanup());
  return s;
}

/** True (and the reason printed) when this machine cannot run the test. */
function cannotRun(t: ExecutionContext, reason: string | undefined): boolean {
  if (reason) {
    t.log(`SKIPPED: ${reason}`);
    t.pass();
  }
  return reason !== undefined;
}

// launcher/qemu-img.ts says qemu-img runs "as the unprivileged VM user", but options.ts hands preflight
// `defaultQemuImgLimits` (no runAs) and nothing adds it: a possibly hostile image is parsed by qemu-img as root.
test('qemu-img info runs as QEMU\'s user (--run-as), not as root', async (t) => {
  if (cannotRun(t, noQemuImg ?? (isRoot ? undefined : 'needs root (with another user, runAs does not apply)'))) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  const bin = join(s.dir, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  const log = join(s.dir, 'who.log');
  writeFileSync(log, '');
  chmodSync(log, 0o666);
  writeFileSync(join(bin, 'qemu-img'), `#!/bin/sh\necho "$(id -u)" >> ${log}\nexec /usr/bin/qemu-img "$@"\n`, { mode: 0o755 });
  s.writeVmi(vmiJson('whoami', [{ volume: 'rootdisk' }]));
  const r = await runCli(['check', '--json', ...s.opts(), '--run-as', `${VM_UID}:${VM_UID}`], 60_000, { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` });
  t.is(r.code, 0, r.stdout + r.stderr);
  const uids = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.true(uids.length > 0, 'the wrapper saw qemu-img run');
  t.deepEqual([...new Set(uids)], [String(VM_UID)], `qemu-img ran as uid ${uids.join(',')}`);
});

// checkFits compares the virtual size with statfs's total; a filesystem that reports no size (f_blocks = 0:
// ramfs, some FUSE filesystems) makes every image "larger than its filesystem (0.0 MiB)".
test('a filesystem that reports no size (ramfs) does not make every image DiskImageTooLarge', async (t) => {
  if (cannotRun(t, noQemuImg ?? (isRoot ? undefined : 'mounting ramfs needs root'))) return;
  const s = newScene(t);
  const vol = join(s.volumesDir, 'rootdisk');
  mkdirSync(vol);
  const { execFileSync } = await import('node:child_process');
  execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'ramfs', vol]);
  t.teardown(() => execFileSync('umount', ['-l', vol]));
  const img = join(vol, 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  s.writeVmi(vmiJson('ramfs', [{ volume: 'rootdisk' }]));
  const before = snapshot([img]);
  const r = await runCli(['check', '--json', ...s.opts()]);
  const json = JSON.parse(r.stdout) as CheckJson;
  t.deepEqual(changed(before), []);
  t.false(allProblemsOf(json).some((p) => p.reason === 'DiskImageTooLarge'), JSON.stringify(allProblemsOf(json)));
  t.is(r.code, 0);
});

// A device path that is a dangling symlink (a device that went away) ends in VolumeInspectFailed with a raw
// ENOENT from stat(), instead of one of the clear reasons with a fix.
test('a dangling symlink at the device path is VolumeNotFound or VolumeNotBlockDevice, not VolumeInspectFailed', async (t) => {
  if (cannotRun(t, noQemuImg)) return;
  const s = newScene(t);
  symlinkSync('/dev/vm-launcher-test-no-such-device', join(s.devicesDir, 'rootdisk'));
  s.writeVmi(vmiJson('dangling-dev', [{ volume: 'rootdisk' }]));
  const r = await runCli(['check', '--json', ...s.opts()]);
  t.is(r.code, 3);
  const reasons = allProblemsOf(JSON.parse(r.stdout) as CheckJson).map((p) => p.reason);
  t.true(reasons.includes('VolumeNotFound') || reasons.includes('VolumeNotBlockDevice'), reasons.join(', '));
});

// "check reports every problem at once" (DESIGN.md, issue 2): but any manifest error leaves preflight without a
// spec, so no volume is inspected and a bad image on a correctly named volume goes unreported.
test('a manifest error does not hide the problems of the other volumes', async (t) => {
  if (cannotRun(t, noQemuImg)) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'qcow2', img, '4M');
  giveToVm(img);
  s.writeVmi(vmiJson('mixed', [{ volume: 'rootdisk' }, { volume: 'Bad_Name' }]));
  const r = await runCli(['check', '--json', ...s.opts()]);
  t.is(r.code, 3);
  const reasons = allProblemsOf(JSON.parse(r.stdout) as CheckJson).map((p) => p.reason);
  t.true(reasons.includes('VolumeNameInvalid'));
  t.true(reasons.includes('DiskImageNotRaw'), `the qcow2 on rootdisk is reported too: ${reasons.join(', ')}`);
});
